#include <tapegrad/check.hpp>
#include <tapegrad/detail/team.hpp>
#include <tapegrad/nn/data_parallel.hpp>
#include <tapegrad/nn/random.hpp>
#include <tapegrad/tape.hpp>
#include <tapegrad/threads.hpp>

#include <tapegrad/nn/detail/split_plan.hpp>
#include "worker_pool.hpp"

#include <algorithm>
#include <cstring>
#include <optional>

namespace tg::nn {
namespace {

/// Rows [begin, end) of x (row-major, so one contiguous block), as a new tensor; x holds
/// values or int64 indices.
template <class T>
Tensor<T> rows_of(const Tensor<T>& x, std::size_t begin, std::size_t end) {
    Shape shape(x.value().shape());
    const std::size_t row = x.size() / shape[0];
    shape[0] = end - begin;
    Tensor<T> out = Tensor<T>::uninitialized(shape);
    std::memcpy(out.node()->value.data(), x.value().data() + begin * row,
                (end - begin) * row * sizeof(T));
    return out;
}

/// The first row of worker k's block when `rows` rows are split between `team` workers.
std::size_t first_row(std::size_t k, std::size_t team, std::size_t rows) { return k * rows / team; }

/// Sets OpenBLAS's thread count for a step and restores it after.
class BlasThreadsGuard {
public:
    explicit BlasThreadsGuard(std::size_t threads) : before_(blas_threads()) {
        set_blas_threads(static_cast<int>(threads));
    }
    ~BlasThreadsGuard() { set_blas_threads(before_); }
    BlasThreadsGuard(const BlasThreadsGuard&) = delete;
    BlasThreadsGuard& operator=(const BlasThreadsGuard&) = delete;

private:
    int before_;
};

bool is_team_aborted(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const tg::detail::TeamAborted&) {
        return true;
    } catch (...) {
        return false;
    }
}

std::string describe(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "an exception not derived from std::exception";
    }
}

}  // namespace

bool is_primary_worker() {
    const tg::detail::TeamMember* member = tg::detail::team_member();
    return !member || member->worker == 0;
}

template <class T, class Y>
DataParallel<T, Y>::DataParallel(Module<T>& model, LossFn loss, DataParallelOptions options)
    : model_(&model),
      loss_(std::move(loss)),
      options_(options),
      params_(model.parameters()),
      pool_(std::make_unique<tg::detail::WorkerPool>()),
      team_(std::make_unique<tg::detail::Team>()) {
    detail::apply_thread_policy();
    TG_CHECK(loss_, ValueError,
             "DataParallel: the loss function is empty; pass one, e.g. "
             "tg::nn::half_sse_per_example<double>");
}

template <class T, class Y>
DataParallel<T, Y>::~DataParallel() = default;
template <class T, class Y>
DataParallel<T, Y>::DataParallel(DataParallel&&) noexcept = default;
template <class T, class Y>
DataParallel<T, Y>& DataParallel<T, Y>::operator=(DataParallel&&) noexcept = default;

template <class T, class Y>
StepPlan DataParallel<T, Y>::plan(std::size_t rows) const {
    const std::size_t threads =
        options_.workers ? options_.workers : static_cast<std::size_t>(num_threads());
    std::size_t parameter_count = 0;
    for (const auto& p : params_) parameter_count += p.size();
    StepPlan plan;
    switch (options_.split) {
    case Split::automatic:
        if (counted_rows_ == 0 || rows == 0) return plan;  // the first step counts
        return tg::detail::plan_split(counted_work_.scaled(double(rows) / double(counted_rows_)),
                                  rows, parameter_count, threads, std::is_same_v<T, double>);
    case Split::blas:
        plan.workers = threads;
        plan.blas_threads = threads > 1;
        return plan;
    case Split::batch:
        break;
    }
    const std::size_t min_rows = std::max<std::size_t>(
        {options_.min_rows_per_worker,
         options_.min_work_per_worker / std::max<std::size_t>(parameter_count, 1), 1});
    plan.workers = std::max<std::size_t>(1, std::min(threads, rows / min_rows));
    return plan;
}

template <class T, class Y>
T DataParallel<T, Y>::backward(const Tensor<T>& x, const Tensor<Y>& y) {
    return step(x, y);
}

template <class T, class Y>
T DataParallel<T, Y>::backward(const Tensor<std::int64_t>& x, const Tensor<Y>& y) {
    return step(x, y);
}

template <class T, class Y>
template <class X>
T DataParallel<T, Y>::step(const Tensor<X>& x, const Tensor<Y>& y) {
    TG_CHECK(x.dim() > 0 && y.dim() > 0 && x.shape()[0] == y.shape()[0] && x.shape()[0] > 0,
             ShapeError, "DataParallel::backward: x of shape ", x.shape(), " and y of shape ",
             y.shape(), " need the same number of rows (axis 0), at least one");
    const std::size_t rows = x.shape()[0];
    const StepPlan step = plan(rows);
    const std::size_t team = step.blas_threads ? 1 : step.workers;
    std::optional<BlasThreadsGuard> blas;
    if (step.blas_threads) blas.emplace(step.workers);
    grads_.resize(team);  // (a smaller team than last time frees the rest here)
    losses_.assign(team, 0.0);
    errors_.assign(team, nullptr);
    // What the workers need of the calling thread: its modes, and for a split batch their
    // rows and the generator default_rng() stands for.
    const ThreadModes modes = thread_modes();
    members_.resize(team);
    if (team > 1) {
        team_->start(team);
        Rng* caller_rng = &default_rng();
        for (std::size_t k = 0; k < team; ++k) {
            tg::detail::TeamMember& m = members_[k];
            m.team = team_.get();
            m.worker = k;
            m.first_row = first_row(k, team, rows);
            m.rows = first_row(k + 1, team, rows) - m.first_row;
            m.batch_rows = rows;
            m.default_rng = caller_rng;
        }
    }
    // One wake-up and one join per step; the reduction runs on the calling thread after
    // the join. Inside the step the workers meet only where the result must not depend on
    // the split (batch_norm's statistics).
    pool_->run(team, [&](std::size_t k) {
        grads_[k].clear();  // the last step's, freed on the thread whose pool made them
        members_[k].streams.clear();
        members_[k].state_writes.clear();
        run_worker(k, team, x, y, modes);
    });
    refuse_state_writes(team);
    const bool failed = std::any_of(errors_.begin(), errors_.end(),
                                    [](const std::exception_ptr& e) { return e != nullptr; });
    if (!failed && team > 1) {
        accumulate(team);
        write_back_generators();
    }
    return finish(team);
}

/// Worker k of `team`: forward and tape.gradient over its block of rows, on its own
/// tape, seeded with its share of the rows so that the shares add up to the mean. A team
/// of one runs one thread's step: forward over the batch and tape.backward.
template <class T, class Y>
template <class X>
void DataParallel<T, Y>::run_worker(std::size_t k, std::size_t team, const Tensor<X>& x,
                                    const Tensor<Y>& y, const ThreadModes& modes) {
    try {
        const std::size_t rows = x.shape()[0];
        const std::size_t begin = first_row(k, team, rows), end = first_row(k + 1, team, rows);
        const double share = double(end - begin) / double(rows);
        const ThreadModesGuard carried(modes);
        std::optional<tg::detail::TeamMemberGuard> member;
        if (team > 1) member.emplace(members_[k]);
        TapeOptions tape_options;
        tape_options.detect_anomaly = modes.tape_anomaly;
        Tape tape(tape_options);
        // A team of one takes the batch itself: no copy.
        const Tensor<T> loss =
            team == 1 ? loss_((*model_)(x), y)
                      : loss_((*model_)(rows_of(x, begin, end)), rows_of(y, begin, end));
        TG_CHECK(loss.size() == 1, ShapeError, "the loss has shape ", loss.shape(),
                 "; DataParallel needs a one-element loss, a mean over the rows");
        // Split::automatic's first step counts the work its tape recorded.
        if (options_.split == Split::automatic && counted_rows_ == 0 && team == 1) {
            counted_work_ = tg::detail::count_work(tape);
            counted_rows_ = rows;
        }
        losses_[k] = double(loss.item()) * share;
        if (team == 1) {
            // One worker's step is one thread's: the sweep adds into grad() as it ends.
            tape.backward(loss);
            return;
        }
        // A parameter the loss does not reach keeps an undefined gradient (allow_unused),
        // so that it gets none, as on one thread.
        BackwardOptions options;
        options.allow_unused = true;
        grads_[k] = tape.gradient(loss, params_,
                                  Tensor<T>(Array<T>(loss.value().shape(), T(share))), options);
        team_->leave(k);
    } catch (...) {
        errors_[k] = std::current_exception();
        if (team > 1) team_->abort();  // the others stop at their next exchange
    }
}

/// A worker other than 0 that changed a parameter or buffer in place ran into the others,
/// which were running the same module: the step is refused (docs/threads.md).
template <class T, class Y>
void DataParallel<T, Y>::refuse_state_writes(std::size_t team) {
    for (std::size_t k = 1; k < team; ++k) {
        const std::vector<std::string>& names = members_[k].state_writes;
        if (names.empty() || errors_[k]) continue;
        errors_[k] = std::make_exception_ptr(
            Error("its forward pass changed '" + names.front() +
                  "' in place, as every worker did at the same time in the one shared model: under "
                  "DataParallel a forward changes module state only where "
                  "tg::nn::is_primary_worker() is true, from values equal on every worker "
                  "(docs/threads.md); change the module, or train it on one worker "
                  "(DataParallelOptions::workers = 1)"));
    }
}

/// Each generator the workers drew from takes worker 0's copy's state: where one thread's
/// generator would be after the step (every copy ends there when the draws follow the
/// rows, as dropout's do).
template <class T, class Y>
void DataParallel<T, Y>::write_back_generators() {
    for (auto& [source, copy] : members_[0].streams) *source = *copy;
}

/// grad += g_0 + g_1 + ... in worker order, so the result does not depend on timing. The
/// buffer added into is made on the calling thread (so the thread that frees it, the
/// caller's zero_grad, is the one whose pool made it). (A team of one ran tape.backward.)
template <class T, class Y>
void DataParallel<T, Y>::accumulate(std::size_t team) {
    std::vector<const T*> parts;
    for (std::size_t j = 0; j < params_.size(); ++j) {
        // The workers that reached the parameter (all of them, or none, unless the model's
        // graph depends on the data); none: it keeps no gradient.
        parts.clear();
        for (std::size_t w = 0; w < team; ++w)
            if (grads_[w][j].defined()) parts.push_back(grads_[w][j].value().data());
        if (parts.empty()) continue;
        auto& node = *params_[j].node();
        detail::GradLockGuard lock(node.grad_lock);
        if (!node.grad)
            node.grad = Tensor<T>(Array<T>(node.value.shape(), T(0))).node();
        else if (!node.grad->is_leaf())  // a recorded gradient (create_graph): copy
            node.grad = Tensor<T>(Array<T>(node.grad->values())).node();
        T* out = node.grad->value.data();
        for (std::size_t i = 0, n = params_[j].size(); i < n; ++i) {
            T sum = parts[0][i];
            for (std::size_t w = 1; w < parts.size(); ++w) sum += parts[w][i];
            out[i] += sum;
        }
        ++node.grad->version_counter();
    }
}

/// The loss of the whole batch, or the first worker's exception as a WorkerError: the
/// lowest worker that failed on its own rather than stopped because another failed.
template <class T, class Y>
T DataParallel<T, Y>::finish(std::size_t team) {
    std::optional<std::size_t> failed;
    for (std::size_t k = 0; k < team && !failed; ++k)
        if (errors_[k] && !is_team_aborted(errors_[k])) failed = k;
    for (std::size_t k = 0; k < team && !failed; ++k)
        if (errors_[k]) failed = k;
    if (failed) {
        const std::size_t k = *failed;
        throw WorkerError(k,
                          "DataParallel: worker " + std::to_string(k) + " of " +
                              std::to_string(team) + " failed: " + describe(errors_[k]) +
                              "; no gradient was changed, and the workers are ready for the "
                              "next call",
                          errors_[k]);
    }
    double total = 0;
    for (std::size_t k = 0; k < team; ++k) total += losses_[k];
    return static_cast<T>(total);
}

template class DataParallel<float>;
template class DataParallel<double>;
template class DataParallel<float, std::int64_t>;
template class DataParallel<double, std::int64_t>;

}  // namespace tg::nn
