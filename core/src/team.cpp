#include <tapegrad/detail/team.hpp>

#include <algorithm>
#include <cstring>

namespace tg::detail {
namespace {
thread_local TeamMember* current_member = nullptr;
}  // namespace

std::mt19937_64& TeamMember::stream(std::mt19937_64& rng) {
    for (auto& [source, copy] : streams)
        if (&rng == source || &rng == copy.get()) return *copy;
    streams.emplace_back(&rng, std::make_unique<std::mt19937_64>(rng));
    return *streams.back().second;
}

void Team::start(std::size_t size) {
    std::lock_guard<std::mutex> lock(mutex_);
    size_ = size;
    arrived_ = left_ = 0;
    state_ = State::running;
    mismatch_.clear();
    inputs_.resize(size);
}

void Team::all_sum(std::size_t worker, const double* in, double* out, std::size_t n,
                   const char* what) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (state_ != State::running) throw_stopped();
    if (left_ > 0) {
        mismatch("worker " + std::to_string(worker) + " calls " + what + " but worker " +
                 std::to_string(last_left_) + " finished its step without that call");
        throw_stopped();
    }
    if (arrived_ == 0) {
        length_ = n;
        what_ = what;
    } else if (n != length_ || std::strcmp(what, what_) != 0) {
        mismatch("worker " + std::to_string(worker) + " calls " + what + " with " +
                 std::to_string(n) + " values where another worker calls " + what_ + " with " +
                 std::to_string(length_));
        throw_stopped();
    }
    inputs_[worker].assign(in, in + n);
    if (++arrived_ == size_) {
        sum_ = inputs_[0];
        for (std::size_t w = 1; w < size_; ++w)
            for (std::size_t i = 0; i < n; ++i) sum_[i] += inputs_[w][i];
        arrived_ = 0;
        ++round_;
        changed_.notify_all();
    } else {
        const std::uint64_t round = round_;
        changed_.wait(lock, [&] { return round_ != round || state_ != State::running; });
        if (round_ == round) throw_stopped();
    }
    // The next round cannot overwrite sum_ before this worker has arrived at it.
    std::copy(sum_.begin(), sum_.end(), out);
}

void Team::abort() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (state_ == State::running) state_ = State::aborted;
    changed_.notify_all();
}

void Team::leave(std::size_t worker) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++left_;
    last_left_ = worker;
    if (state_ == State::running && arrived_ > 0 && arrived_ + left_ == size_)
        mismatch("the workers waiting in " + std::string(what_) + " wait for worker " +
                 std::to_string(worker) + ", which finished its step without that call");
}

void Team::mismatch(const std::string& why) {
    state_ = State::mismatched;
    mismatch_ = "DataParallel: the workers ran different operations: " + why +
                ". Every worker must run the same layers in the same order (a model whose "
                "layers depend on the data cannot share batch statistics); run it on one "
                "worker (DataParallelOptions::workers = 1)";
    changed_.notify_all();
}

void Team::throw_stopped() const {
    if (state_ == State::mismatched) throw GraphError(mismatch_);
    throw TeamAborted("DataParallel: stopped because another worker failed");
}

TeamMember* team_member() { return current_member; }

TeamMemberGuard::TeamMemberGuard(TeamMember& member) : previous_(current_member) {
    current_member = &member;
}

TeamMemberGuard::~TeamMemberGuard() { current_member = previous_; }

void note_state_write(const std::string& name) {
    if (current_member && current_member->worker != 0) current_member->state_writes.push_back(name);
}

}  // namespace tg::detail
