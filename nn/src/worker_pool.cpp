#include "worker_pool.hpp"

namespace tg::detail {

WorkerPool::~WorkerPool() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_ = true;
    }
    start_.notify_all();
    for (std::thread& t : threads_) t.join();
}

void WorkerPool::run(std::size_t team, const std::function<void(std::size_t)>& job) {
    if (team <= 1) {
        job(0);
        return;
    }
    {
        std::lock_guard<std::mutex> lock(mutex_);
        while (threads_.size() + 1 < team)
            threads_.emplace_back([this, k = threads_.size() + 1] { thread_loop(k); });
        job_ = &job;
        team_ = team;
        remaining_ = team - 1;
        ++generation_;
    }
    start_.notify_all();
    job(0);
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return remaining_ == 0; });
    job_ = nullptr;
}

/// Thread k (k >= 1): sleeps until a run that includes it, runs job(k), reports, repeats.
void WorkerPool::thread_loop(std::size_t k) {
    std::size_t seen = 0;  // the last generation this thread looked at
    std::unique_lock<std::mutex> lock(mutex_);
    // A thread made during a run takes part in it: it was made because the run needs it.
    seen = generation_ - 1;
    for (;;) {
        start_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        if (k >= team_) continue;  // a smaller team this time
        const auto* job = job_;
        lock.unlock();
        (*job)(k);
        lock.lock();
        if (--remaining_ == 0) done_.notify_one();
    }
}

}  // namespace tg::detail
