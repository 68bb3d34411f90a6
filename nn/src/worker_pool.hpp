#pragma once
// The worker threads of DataParallel (private to nn/; docs/threads.md).
//
// A pool made once and kept: run(team, job) calls job(k) for k = 0 .. team-1, job(0) on
// the calling thread and the others on the pool's threads, and returns when every call
// has returned. Between runs the threads sleep on a condition variable. They never spin:
// on a machine whose cores are busy, a spinning worker takes the core its partner needs
// (libgomp's default made two threads up to 500x slower than one at load 12;
// benchmarks/README.md).

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tg::detail {

class WorkerPool {
public:
    WorkerPool() = default;
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;
    /// Stops and joins the threads.
    ~WorkerPool();

    /// job(k) for every k < team, job(0) on the calling thread; returns when all have
    /// returned. The pool grows to team − 1 threads on first need and keeps them. job
    /// must not throw (DataParallel catches inside it).
    void run(std::size_t team, const std::function<void(std::size_t)>& job);

private:
    void thread_loop(std::size_t k);

    std::mutex mutex_;
    std::condition_variable start_;     ///< a new run (generation_ changed) or stop_
    std::condition_variable done_;      ///< remaining_ reached 0
    std::vector<std::thread> threads_;  ///< thread i runs job(i + 1)
    const std::function<void(std::size_t)>* job_ = nullptr;
    std::size_t team_ = 0;
    std::size_t remaining_ = 0;   ///< calls of this run not yet returned, on pool threads
    std::size_t generation_ = 0;  ///< counts runs, so a thread runs each job once
    bool stop_ = false;
};

}  // namespace tg::detail
