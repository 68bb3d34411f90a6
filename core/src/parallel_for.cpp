// tg::detail::parallel_for's threads (core/include/tapegrad/detail/parallel_for.hpp).
//
// One process-wide pool of helper threads, made at the first loop that splits and kept.
// Unlike DataParallel's pool (nn/src/worker_pool.hpp), where worker k must run job k, a
// helper here only *joins* a loop: the calling thread starts taking chunks at once, a
// helper that wakes while the loop is open takes chunks too, and one that wakes after it
// closed goes back to sleep. So the caller waits only for helpers that started, and a
// helper kept off its core (a busy machine, OpenBLAS's own thread still spinning after a
// GEMM) delays nothing.

#include <tapegrad/detail/parallel_for.hpp>
#include <tapegrad/detail/team.hpp>
#include <tapegrad/threads.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace tg::detail {
namespace {

/// Chunks per thread: enough that a helper arriving late still finds some, few enough that
/// the shared counter costs nothing.
constexpr std::size_t kChunksPerThread = 4;

/// Set on a thread while it runs chunks (and always on the pool's threads): a loop inside
/// runs serially there.
thread_local bool in_parallel_loop = false;

std::atomic<std::size_t> split_loops{0};

class HelperPool {
public:
    HelperPool() = default;
    HelperPool(const HelperPool&) = delete;
    HelperPool& operator=(const HelperPool&) = delete;
    ~HelperPool() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
        }
        start_.notify_all();
        for (std::thread& t : threads_) t.join();
    }

    /// Runs body on the calling thread and on each of up to `helpers` pool threads that
    /// wakes while the run is open; returns when every call that started has returned.
    /// body must not throw.
    void run(std::size_t helpers, const std::function<void()>& body) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            while (threads_.size() < helpers) threads_.emplace_back([this] { thread_loop(); });
            body_ = &body;
            wanted_ = helpers;
            joined_ = 0;
            open_ = true;
            ++generation_;
        }
        start_.notify_all();
        body();
        std::unique_lock<std::mutex> lock(mutex_);
        open_ = false;  // helpers that wake from now on sit this run out
        done_.wait(lock, [this] { return active_ == 0; });
        body_ = nullptr;
    }

    /// Held by the thread whose loop has the pool; another thread's loop runs serially.
    std::mutex busy;

private:
    void thread_loop() {
        in_parallel_loop = true;  // a helper never splits a loop of its own
        std::size_t seen = 0;     // the last run this thread joined (runs count from 1)
        std::unique_lock<std::mutex> lock(mutex_);
        for (;;) {
            start_.wait(
                lock, [&] { return stop_ || (open_ && generation_ != seen && joined_ < wanted_); });
            if (stop_) return;
            seen = generation_;
            ++joined_;
            ++active_;
            const std::function<void()>* body = body_;
            lock.unlock();
            (*body)();
            lock.lock();
            if (--active_ == 0) done_.notify_one();
        }
    }

    std::mutex mutex_;
    std::condition_variable start_;  ///< a run opened, or stop_
    std::condition_variable done_;   ///< active_ reached 0
    std::vector<std::thread> threads_;
    const std::function<void()>* body_ = nullptr;
    std::size_t wanted_ = 0;      ///< helpers the open run may take
    std::size_t joined_ = 0;      ///< helpers that joined the open run
    std::size_t active_ = 0;      ///< helpers running body now
    std::size_t generation_ = 0;  ///< counts runs, so a helper joins each at most once
    bool open_ = false;
    bool stop_ = false;
};

HelperPool& pool() {
    static HelperPool instance;
    return instance;
}

}  // namespace

std::size_t parallel_team(std::size_t n, std::size_t grain) {
    if (in_parallel_loop || team_member()) return 1;
    apply_thread_policy();  // before it, OpenBLAS reports its own default (the cores)
    const int threads = blas_threads();
    if (threads <= 1) return 1;
    return std::min(static_cast<std::size_t>(threads), n / grain);
}

void parallel_chunks(std::size_t n, std::size_t grain, std::size_t team,
                     const std::function<void(std::size_t, std::size_t)>& fn) {
    HelperPool& helpers = pool();
    std::unique_lock<std::mutex> busy(helpers.busy, std::try_to_lock);
    if (!busy.owns_lock()) {  // another thread's loop has the helpers: ours runs here
        fn(0, n);
        return;
    }
    const std::size_t chunks = std::min(n / grain, team * kChunksPerThread);
    std::atomic<std::size_t> next{0};
    std::mutex error_mutex;
    std::exception_ptr error;
    const std::function<void()> body = [&] {
        const bool outer = in_parallel_loop;
        in_parallel_loop = true;
        for (std::size_t c; (c = next.fetch_add(1)) < chunks;) {
            try {
                fn(c * n / chunks, (c + 1) * n / chunks);
            } catch (...) {
                std::lock_guard<std::mutex> lock(error_mutex);
                if (!error) error = std::current_exception();
                next = chunks;  // start no more chunks
            }
        }
        in_parallel_loop = outer;
    };
    split_loops.fetch_add(1, std::memory_order_relaxed);
    helpers.run(team - 1, body);
    if (error) std::rethrow_exception(error);
}

std::size_t parallel_loops() { return split_loops.load(std::memory_order_relaxed); }

}  // namespace tg::detail
