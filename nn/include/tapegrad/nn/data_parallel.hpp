#pragma once
// tg::nn::DataParallel: one model, its batch split between worker threads.
//
//     tg::nn::DataParallel<double> parallel(model, tg::nn::half_sse_per_example<double>);
//     for (...) {
//         opt.zero_grad();
//         double loss = parallel.backward(x, y);  // fills every parameter's grad()
//         opt.step();
//     }
//
// Class targets may be int64, as PyTorch users hold them (DataParallel<T, std::int64_t>,
// deduced from a loss whose second parameter is a Tensor<std::int64_t>), and so may the
// inputs of a model that starts with an Embedding (token ids, Module::forward_indices):
//
//     tg::nn::DataParallel parallel(net, [](const tg::Tensor<>& logits,
//                                           const tg::Tensor<std::int64_t>& labels) {
//         return tg::nn::cross_entropy(logits, labels);
//     });                                     // DataParallel<double, std::int64_t>
//     double loss = parallel.backward(x, labels);
//
// Each worker takes a contiguous block of rows, runs the forward pass and tape.gradient
// on its own tape through the one shared model, and the gradients are reduced in worker
// order (worker 0 + worker 1 + ...), so a run is bit-identical from run to run whatever
// the timing, and equal to the one-thread gradient of the whole batch to rounding. The
// loss must be a mean over rows (half_sse_per_example, mse_loss, cross_entropy): worker
// k's loss is weighted by its share of the rows. Worker 0 is the calling thread; the others
// are threads of the object's own pool, made at the first step that needs them and kept,
// asleep between steps (never spinning); see docs/threads.md.
//
// The step is one thread's step, split: the workers record with the caller's grad mode
// and anomaly mode; a parameter that the loss does not reach gets no gradient; BatchNorm
// normalizes with the whole batch's statistics and updates its running ones once; dropout
// draws the masks one thread would draw. A module's forward may change its state (buffers,
// counters) only where is_primary_worker() is true; a model whose forward changes a
// parameter or buffer on another worker is refused with a WorkerError.

#include <tapegrad/detail/work_count.hpp>
#include <tapegrad/error.hpp>
#include <tapegrad/grad_mode.hpp>
#include <tapegrad/nn/module.hpp>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace tg::detail {
class WorkerPool;
class Team;
struct TeamMember;
}  // namespace tg::detail

namespace tg::nn {

/// A worker of DataParallel threw: the message names the worker and says what it threw;
/// the pool stays usable and no gradient was changed.
class WorkerError : public Error {
public:
    /// The error of worker `worker`, with the full message to show.
    WorkerError(std::size_t worker, const std::string& message) : Error(message), worker_(worker) {}
    /// The error of worker `worker`, and that worker's own exception.
    WorkerError(std::size_t worker, const std::string& message, std::exception_ptr cause)
        : Error(message), worker_(worker), cause_(std::move(cause)) {}
    /// The index of the worker whose exception this is (the lowest, if several threw).
    std::size_t worker() const { return worker_; }
    /// The worker's own exception (a tg::AnomalyError, a tg::ShapeError of the loss, ...,
    /// or the tg::Error of a refused model), for std::rethrow_exception.
    std::exception_ptr cause() const { return cause_; }

private:
    std::size_t worker_;
    std::exception_ptr cause_;
};

/// Whether the calling thread may change module state in a forward pass: true outside
/// DataParallel, and on its worker 0 (the calling thread) during a step; false on the
/// other workers, which run the same module object at the same time. A module whose
/// forward changes a buffer or counter does so only where this is true, from values that
/// are equal on every worker (docs/threads.md); BatchNorm is the example.
bool is_primary_worker();

/// How DataParallel uses its threads.
enum class Split {
    /// Chosen per step from the work the first step recorded (multiply-adds of its
    /// matrix products, elements of its other ops, number of ops, parameters): one
    /// thread, the batch split, or OpenBLAS threads, whichever a cost model of this
    /// machine predicts fastest; one thread unless another saves at least 10 %
    /// (docs/threads.md, "How a step is split"). The first step runs on one thread.
    automatic,
    /// The batch split between the workers, as far as min_rows_per_worker and
    /// min_work_per_worker allow.
    batch,
    /// One worker, the calling thread; OpenBLAS shares each large GEMM between the
    /// workers' count of threads during the step (tg::blas_threads() is restored after).
    blas,
};

/// How DataParallel splits a batch.
struct DataParallelOptions {
    /// Threads; 0: tg::num_threads() at each step.
    std::size_t workers = 0;
    /// How the threads are used.
    Split split = Split::automatic;
    /// Split::batch: a batch is split only so far that each worker gets at least this
    /// many rows; a smaller batch runs on fewer workers (one: the calling thread alone).
    std::size_t min_rows_per_worker = 128;
    /// Split::batch: ... and at least this much work, counted as rows × parameters of the
    /// model (about the multiply-adds of its forward pass, for an MLP).
    std::size_t min_work_per_worker = 500000;
};

/// How one step of DataParallel runs.
struct StepPlan {
    /// Threads the step uses.
    std::size_t workers = 1;
    /// Whether they are OpenBLAS's threads inside one worker rather than workers that
    /// split the batch.
    bool blas_threads = false;
};

/// One model, each batch split by rows between worker threads (see the top of this
/// header): backward() fills every parameter's grad() as one thread would. Y, the
/// targets' element type, is T or std::int64_t (class indices, PyTorch's long targets).
template <class T = double, class Y = T>
class DataParallel {
    static_assert(std::is_same_v<Y, T> || std::is_same_v<Y, std::int64_t>,
                  "DataParallel<T, Y>: the targets are of the model's type T or int64 indices");

public:
    /// loss(prediction, target): a mean over the rows.
    using LossFn = std::function<Tensor<T>(const Tensor<T>&, const Tensor<Y>&)>;

    /// Trains `model` (kept by reference: it must outlive this object) with `loss`.
    DataParallel(Module<T>& model, LossFn loss, DataParallelOptions options = {});
    /// Stops and joins the worker threads.
    ~DataParallel();
    /// Moves (the worker threads go along).
    DataParallel(DataParallel&&) noexcept;
    /// Moves.
    DataParallel& operator=(DataParallel&&) noexcept;

    /// Adds d loss(model(x), y) / d p into grad() of every parameter p that the loss
    /// depends on (as tape.backward would on one thread; the others keep no gradient) and
    /// returns the loss of the whole batch. x and y have the same number of rows. A
    /// worker's exception is rethrown as a WorkerError naming it; then no gradient is
    /// changed and no random generator advanced.
    T backward(const Tensor<T>& x, const Tensor<Y>& y);
    /// backward(x, y) for int64 inputs (token ids): each worker calls model(x rows), the
    /// model's forward_indices (a model that starts with an Embedding, as PyTorch's
    /// model(tokens)); one that does not take indices fails with the WorkerError of its
    /// tg::ValueError.
    T backward(const Tensor<std::int64_t>& x, const Tensor<Y>& y);

    /// How many workers split a batch of `rows` rows (1 when the step runs on one
    /// worker, with OpenBLAS threads or without).
    std::size_t workers_for(std::size_t rows) const {
        const StepPlan step = plan(rows);
        return step.blas_threads ? 1 : step.workers;
    }
    /// How a step of `rows` rows runs. Split::automatic: one thread until the first step
    /// has counted the model's work.
    StepPlan plan(std::size_t rows) const;
    /// Split::automatic: the forward work the first step recorded and its rows (rows 0:
    /// not counted yet).
    const tg::detail::WorkCount& counted_work() const { return counted_work_; }
    /// The rows of the step counted_work() is from (0: none yet).
    std::size_t counted_rows() const { return counted_rows_; }

private:
    template <class X>
    T step(const Tensor<X>& x, const Tensor<Y>& y);
    template <class X>
    void run_worker(std::size_t k, std::size_t team, const Tensor<X>& x, const Tensor<Y>& y,
                    const ThreadModes& modes);
    void refuse_state_writes(std::size_t team);
    void accumulate(std::size_t team);
    void write_back_generators();
    T finish(std::size_t team);

    Module<T>* model_;
    LossFn loss_;
    DataParallelOptions options_;
    std::vector<Tensor<T>> params_;
    std::vector<std::vector<Tensor<T>>> grads_;     ///< per worker, per parameter
    std::vector<double> losses_;                    ///< per worker, weighted
    std::vector<std::exception_ptr> errors_;        ///< per worker
    std::unique_ptr<tg::detail::WorkerPool> pool_;  ///< the threads of workers 1, 2, ...
    std::unique_ptr<tg::detail::Team> team_;        ///< sums statistics between workers
    std::vector<tg::detail::TeamMember> members_;   ///< per worker: rows, generators
    tg::detail::WorkCount counted_work_;            ///< Split::automatic: the first step's
    std::size_t counted_rows_ = 0;                  ///< ... and its rows (0: none yet)
};

}  // namespace tg::nn

namespace tg::detail {
/// The element types of a loss callable's arguments, Tensor<T>(const Tensor<T>&, const
/// Tensor<Y>&), read from a function pointer or a lambda's (non-template) call operator.
template <class F, class = void>
struct LossSignature {};
template <class T, class Y>
struct LossSignature<Tensor<T> (*)(const Tensor<T>&, const Tensor<Y>&)> {
    using target = Y;  ///< the targets' element type
};
template <class C, class T, class Y>
struct LossSignature<Tensor<T> (C::*)(const Tensor<T>&, const Tensor<Y>&) const> {
    using target = Y;  ///< the targets' element type
};
template <class F>
struct LossSignature<F, std::void_t<decltype(&F::operator())>>
    : LossSignature<decltype(&F::operator())> {};
}  // namespace tg::detail

namespace tg::nn {

/// `DataParallel parallel(model, loss)` deduces T from the model and Y from the loss's
/// second parameter (a function or a lambda with typed parameters; a generic lambda needs
/// the types named, DataParallel<double, std::int64_t>).
template <class T, class F, class Y = typename tg::detail::LossSignature<std::decay_t<F>>::target>
DataParallel(Module<T>&, F, DataParallelOptions = {}) -> DataParallel<T, Y>;

extern template class DataParallel<float>;
extern template class DataParallel<double>;
extern template class DataParallel<float, std::int64_t>;
extern template class DataParallel<double, std::int64_t>;

}  // namespace tg::nn
