#pragma once
// tg::detail::Team: the workers of one tg::nn::DataParallel step, for the few places whose
// result must not depend on how the batch was split (docs/threads.md, "State that a
// forward pass changes"):
//
// - batch_norm sums its statistics over the team (Team::all_sum), so that every worker
//   normalizes with the whole batch's mean and variance, as one thread does;
// - dropout and tg::nn::default_rng() draw from the worker's own copy of a generator
//   (TeamMember::stream), which dropout advances past the rows of the other workers, so
//   that the masks are one thread's and the shared generator is written once, after the
//   step;
// - a parameter or buffer changed in place by a worker other than 0 is noted
//   (note_state_write), and DataParallel refuses the model.
//
// Outside a step that is split between workers, team_member() is null and none of this
// runs.

#include <tapegrad/error.hpp>

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace tg::detail {

class Team;

/// One worker's part in a step: its rows of the batch, and its copies of the random
/// generators it draws from during the step.
struct TeamMember {
    Team* team = nullptr;
    std::size_t worker = 0;      ///< 0 is the calling thread
    std::size_t first_row = 0;   ///< this worker's rows of the batch are
    std::size_t rows = 0;        ///< [first_row, first_row + rows)
    std::size_t batch_rows = 0;  ///< the rows of the whole batch
    /// The calling thread's tg::nn::default_rng(): every worker's default_rng() stands for
    /// it during the step.
    std::mt19937_64* default_rng = nullptr;
    /// (a generator, this worker's copy of it), in order of first use in the step.
    std::vector<std::pair<std::mt19937_64*, std::unique_ptr<std::mt19937_64>>> streams;
    /// Names of parameters and buffers this worker changed in place (kept for worker > 0).
    std::vector<std::string> state_writes;

    /// This worker's copy of `rng`, made from it at the first use in the step (`rng` may be
    /// such a copy already).
    std::mt19937_64& stream(std::mt19937_64& rng);
};

/// Thrown in a worker that cannot go on because another worker failed; that worker's error
/// is the one to report.
class TeamAborted : public Error {
public:
    using Error::Error;
};

/// The workers of one step: a barrier that sums, and a way to give up without a hang.
class Team {
public:
    /// Before a step of `size` workers: none has arrived or left, none has failed.
    void start(std::size_t size);

    /// out = in_0 + in_1 + ... + in_{K-1} over the K workers (worker order, in double), for
    /// the n values each passes; all get the same bits. Every worker must call it the same
    /// number of times with the same n and `what` (an op name, for messages). Throws
    /// TeamAborted when another worker failed, and tg::GraphError when the workers made
    /// different calls (one finished its step, or passed another n or op).
    void all_sum(std::size_t worker, const double* in, double* out, std::size_t n,
                 const char* what);
    /// A worker failed: every all_sum waiting now or called later throws TeamAborted.
    void abort();
    /// Worker `worker` finished its step; one still waiting in all_sum waits in vain.
    void leave(std::size_t worker);

private:
    enum class State { running, aborted, mismatched };
    /// Stops the step: the workers made different calls (`why`); wakes the waiting ones.
    void mismatch(const std::string& why);
    [[noreturn]] void throw_stopped() const;

    std::mutex mutex_;
    std::condition_variable changed_;
    std::size_t size_ = 0, arrived_ = 0, left_ = 0;
    std::size_t last_left_ = 0;  ///< the worker that left last (for the message)
    std::uint64_t round_ = 0;    ///< completed all_sum calls
    State state_ = State::running;
    std::string mismatch_;
    std::size_t length_ = 0;      ///< n of the all_sum in progress
    const char* what_ = nullptr;  ///< what of the all_sum in progress
    std::vector<std::vector<double>> inputs_;
    std::vector<double> sum_;
};

/// The calling thread's part in the step being split, or nullptr.
TeamMember* team_member();

/// Makes `member` the calling thread's part while alive.
class TeamMemberGuard {
public:
    explicit TeamMemberGuard(TeamMember& member);
    ~TeamMemberGuard();
    TeamMemberGuard(const TeamMemberGuard&) = delete;
    TeamMemberGuard& operator=(const TeamMemberGuard&) = delete;

private:
    TeamMember* previous_;
};

/// Called by Tensor::mutable_value for a named tensor (a module's parameter or buffer):
/// remembers the name when a worker other than 0 is changing it.
void note_state_write(const std::string& name);

}  // namespace tg::detail
