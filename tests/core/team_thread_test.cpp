// tg::detail::Team, the exchange between DataParallel's workers: every worker gets the
// same sum, added in worker order; a failed worker stops the others instead of leaving them
// waiting; workers that make different calls get an error, not a hang. Also the
// per-worker generator copies and the note of a worker that changes a named tensor.

#include "test_helpers.hpp"

#include <tapegrad/detail/team.hpp>
#include <tapegrad/tensor.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace {

using tg::detail::Team;
using tg::detail::TeamAborted;
using tg::test::contains;

/// Runs job(k) for k = 0 .. size-1 on their own threads, after team.start(size); returns
/// what each threw ("" when nothing).
std::vector<std::string> run_team(Team& team, std::size_t size,
                                  const std::function<void(std::size_t)>& job) {
    team.start(size);
    std::vector<std::string> errors(size);
    std::vector<std::thread> threads;
    for (std::size_t k = 0; k < size; ++k)
        threads.emplace_back([&, k] {
            try {
                job(k);
                team.leave(k);
            } catch (const TeamAborted& e) {
                errors[k] = std::string("aborted: ") + e.what();
            } catch (const std::exception& e) {
                errors[k] = e.what();
                team.abort();
            }
        });
    for (std::thread& t : threads) t.join();
    return errors;
}

TEST(Team, EveryWorkerGetsTheSameSumInWorkerOrder) {
    Team team;
    // 1e16 + 1 − 1e16 is 0 in worker order (1e16 + 1 rounds to 1e16) and 1 in others.
    const double values[3] = {1e16, 1.0, -1e16};
    std::vector<std::vector<double>> got(3);
    const auto errors = run_team(team, 3, [&](std::size_t k) {
        for (int round = 0; round < 50; ++round) {
            double in[2] = {values[k], double(k + round)}, out[2];
            team.all_sum(k, in, out, 2, "test");
            got[k].insert(got[k].end(), out, out + 2);
        }
    });
    EXPECT_EQ(errors, std::vector<std::string>(3));
    for (int round = 0; round < 50; ++round) {
        EXPECT_EQ(got[0][2 * round], 0.0);
        EXPECT_EQ(got[0][2 * round + 1], 3.0 + 3 * round);
    }
    EXPECT_EQ(got[1], got[0]);
    EXPECT_EQ(got[2], got[0]);
}

TEST(Team, AFailedWorkerStopsTheOthers) {
    Team team;
    const auto errors = run_team(team, 3, [&](std::size_t k) {
        double v = 1, out = 0;
        team.all_sum(k, &v, &out, 1, "test");
        if (k == 1) throw tg::ValueError("worker 1 fails");
        team.all_sum(k, &v, &out, 1, "test");  // 0 and 2 would wait for 1 forever
    });
    EXPECT_TRUE(contains(errors[0], "aborted: "));
    EXPECT_EQ(errors[1], "worker 1 fails");
    EXPECT_TRUE(contains(errors[2], "aborted: "));
    // The next step starts afresh.
    EXPECT_EQ(run_team(team, 2,
                       [&](std::size_t k) {
                           double v = 1, out = 0;
                           team.all_sum(k, &v, &out, 1, "test");
                       }),
              std::vector<std::string>(2));
}

TEST(Team, WorkersThatMakeDifferentCallsGetAnError) {
    Team team;
    // Worker 1 finishes without the second exchange that worker 0 waits in.
    auto errors = run_team(team, 2, [&](std::size_t k) {
        double v = 1, out = 0;
        team.all_sum(k, &v, &out, 1, "batch_norm");
        if (k == 0) team.all_sum(k, &v, &out, 1, "batch_norm");
    });
    EXPECT_TRUE(contains(errors[0], "the workers ran different operations"));
    // (worker 0 waits when worker 1 leaves, or arrives after it left: either message)
    EXPECT_TRUE(contains(errors[0], "worker 1"));
    EXPECT_TRUE(contains(errors[0], "finished its step"));
    EXPECT_EQ(errors[1], "");
    // Another number of values.
    errors = run_team(team, 2, [&](std::size_t k) {
        double v[2] = {1, 2}, out[2];
        team.all_sum(k, v, out, k + 1, "batch_norm");
    });
    const std::string& mismatch = errors[0].empty() ? errors[1] : errors[0];
    EXPECT_TRUE(contains(mismatch, "values where another worker calls batch_norm with"));
}

TEST(Team, StreamsAreCopiesMadeAtFirstUse) {
    std::mt19937_64 shared(5);
    tg::detail::TeamMember member;
    std::mt19937_64& copy = member.stream(shared);
    EXPECT_NE(&copy, &shared);
    EXPECT_TRUE(copy == shared);
    copy();
    EXPECT_EQ(&member.stream(shared), &copy);   // the same copy, by the generator
    EXPECT_EQ(&member.stream(copy), &copy);     // or by the copy itself
    EXPECT_TRUE(shared == std::mt19937_64(5));  // never drawn from
}

TEST(Team, AWorkerOtherThanZeroChangingANamedTensorIsNoted) {
    tg::Tensor<double> buffer(0.0), unnamed(0.0);
    buffer.set_name("count");
    for (std::size_t worker : {0, 1}) {
        tg::detail::TeamMember member;
        member.worker = worker;
        const tg::detail::TeamMemberGuard guard(member);
        buffer.mutable_value()() += 1;
        unnamed.mutable_value()() += 1;
        EXPECT_EQ(member.state_writes,
                  worker ? std::vector<std::string>{"count"} : std::vector<std::string>{});
    }
    EXPECT_EQ(tg::detail::team_member(), nullptr);
}

}  // namespace
