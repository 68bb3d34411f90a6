#pragma once
// Writing an operation: compute the forward value, then tg::record its backward.
//
//     template <class T> Tensor<T> exp(const Tensor<T>& x) {
//         Tensor<T> y(Array<T>(xt::exp(x.value())));
//         // d exp(x) = exp(x) dx
//         tg::record("exp", {x}, y, {y}, [](tg::BackwardContext<T>& c) {
//             c.add(0, c.grad() * c.saved(0));
//         });
//         return y;
//     }
//
// The backward is written with tapegrad's own ops, so with create_graph it is
// recorded like any forward computation and can be differentiated again.
// record() does nothing (and keeps nothing) when no tape records or no input
// requires a gradient.

#include <tapegrad/grad_mode.hpp>
#include <tapegrad/profiler.hpp>
#include <tapegrad/tape.hpp>
#include <tapegrad/tensor.hpp>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

namespace tg {

template <class T>
class BackwardContext;

namespace detail {

/// Where the gradient for one input of an entry goes.
template <class T>
struct InputSlot {
    enum class Kind : unsigned char {
        none,      ///< the input needs no gradient
        on_tape,   ///< a result recorded on the same tape: entry `index`
        leaf,      ///< a leaf that requires a gradient: `node`
        foreign,   ///< recorded on another tape (an outer one, or one since released)
        released,  ///< recorded on this tape by an entry since released (GraphError if reached)
    };
    Kind kind = Kind::none;
    std::size_t index = 0;
    std::shared_ptr<Node<T>> node;
    Shape shape;
};

/// A tensor saved for backward, with its version when it was saved.
template <class T>
struct SavedTensor {
    Tensor<T> tensor;
    std::uint64_t version = 0;
};

/// A short list kept inside the entry that owns it. Most ops have at most 3 inputs and 2
/// saved tensors; keeping them inline saves two pool blocks per entry
/// (benchmarks/README.md). Longer lists (concat) live in `more_`, a pool block: one
/// pointer rather than a vector keeps an entry within the pool's 512-byte size class.
template <class V, std::size_t N>
class InlineList {
public:
    InlineList() = default;
    InlineList(const InlineList&) = delete;
    InlineList& operator=(const InlineList&) = delete;
    ~InlineList() {
        if (!more_) return;
        std::destroy_n(more_, size_);
        pool_deallocate(more_, size_ * sizeof(V));
    }
    std::size_t size() const { return size_; }
    V* begin() { return more_ ? more_ : inline_; }
    const V* begin() const { return more_ ? more_ : inline_; }
    V* end() { return begin() + size_; }
    const V* end() const { return begin() + size_; }
    V& operator[](std::size_t i) { return begin()[i]; }
    const V& operator[](std::size_t i) const { return begin()[i]; }
    /// Sets the size of an empty list (the elements are default values).
    void resize(std::size_t n) {
        if (n > N) {
            more_ = static_cast<V*>(pool_allocate(n * sizeof(V)));
            std::uninitialized_value_construct_n(more_, n);
        }
        size_ = n;
    }

private:
    V inline_[N];
    std::size_t size_ = 0;
    V* more_ = nullptr;
};

template <class T>
struct Entry;

/// Told of every entry appended on this thread while it is set (set_append_hook):
/// activation checkpointing's second run stops once it has recorded what backward needs.
struct AppendHook {
    virtual void appended(Tape& tape) = 0;

protected:
    ~AppendHook() = default;
};

/// Sets this thread's hook (nullptr: none) and returns the one it replaces.
AppendHook* set_append_hook(AppendHook* hook);

/// Gives back the saved tensors that activation checkpointing dropped (tg::checkpoint):
/// BackwardContext::saved calls it when it finds a dropped one.
template <class T>
struct Recompute {
    virtual ~Recompute() = default;
    /// Refills the dropped saved tensors of `asking` and of the entries the sweep has not
    /// reached yet.
    virtual void refill(Entry<T>& asking, bool create_graph) = 0;
};

struct EntryBase {
    // Entries come from the thread's pool, like tensor buffers: a step records the same
    // entries as the last one, so steady-state recording allocates nothing.
    static void* operator new(std::size_t bytes) { return pool_allocate(bytes); }
    static void operator delete(void* p, std::size_t bytes) noexcept { pool_deallocate(p, bytes); }
    virtual ~EntryBase() = default;
    const char* name = "";
    /// The output, held weakly: the tape releases an entry once neither a handle on its
    /// output nor a later entry can reach it (docs/design.md, "The tape and the sweep").
    std::weak_ptr<void> output;
    /// How many of the saved tensors are the output itself (exp saves its result): they
    /// keep the output alive but are no reason to keep the entry.
    std::uint32_t self_saved = 0;
    /// Scratch of Tape::collect: a later entry that is kept takes this entry's output.
    bool needed = false;
    /// Whether something besides the entry's own saved tensors holds the output.
    bool output_held() const { return static_cast<std::size_t>(output.use_count()) > self_saved; }
    /// Whether `node` is this entry's output (the same control block; no atomic operation).
    template <class N>
    bool is_output(const std::shared_ptr<N>& node) const {
        return !output.owner_before(node) && !node.owner_before(output);
    }
    /// Sets `needed` on the entries this one takes results from (released ones are skipped).
    virtual void mark_inputs(const std::unique_ptr<EntryBase>* entries) const = 0;
    virtual bool is_double() const = 0;
    virtual std::size_t saved_bytes() const = 0;
    virtual std::string describe() const = 0;
    /// For the Graphviz export: one (node id, label) per input; an input recorded on
    /// the same tape has the id "e<index>" and an empty label.
    virtual std::vector<std::pair<std::string, std::string>> dot_inputs() const = 0;
    virtual void clear_grad() = 0;
};

template <class T>
struct Entry : EntryBase {
    InlineList<InputSlot<T>, 3> inputs;
    InlineList<SavedTensor<T>, 2> saved;
    Shape output_shape;
    Tensor<T> grad;  ///< gradient of the output, accumulated during a sweep
    /// Set on the entries of a checkpointed function: recomputes the saved tensors it
    /// dropped (an undefined saved tensor is a dropped one).
    std::shared_ptr<Recompute<T>> recompute;

    virtual void backward(BackwardContext<T>& context) = 0;

    bool is_double() const override { return std::is_same_v<T, double>; }
    std::size_t saved_bytes() const override;
    std::string describe() const override;
    std::vector<std::pair<std::string, std::string>> dot_inputs() const override;
    void clear_grad() override { grad = Tensor<T>(); }
    void mark_inputs(const std::unique_ptr<EntryBase>* entries) const override;
};

template <class T, class F>
struct EntryWith final : Entry<T> {
    explicit EntryWith(F&& f) : fn(std::move(f)) {}
    explicit EntryWith(const F& f) : fn(f) {}
    void backward(BackwardContext<T>& context) override { fn(context); }
    F fn;
};

/// What one reverse sweep is doing; shared by the contexts of its entries.
struct SweepState {
    bool gradient_mode = false;  ///< tape.gradient: only targets receive leaf gradients
    bool create_graph = false;
    bool anomaly = false;
    /// The gradients the sweep collects for leaves (a detail::LeafGradients<T> of
    /// tape.cpp). They belong to the sweep, never to the leaves: other threads' sweeps
    /// may run through the same leaves at the same time.
    void* leaves = nullptr;
};

/// A borrowed tensor in record()'s argument lists. Copying a Tensor costs two reference
/// count updates (atomic once the process has threads); most ops run where nothing
/// records (inference, backward sweeps without create_graph), so record() takes
/// references and copies only what an entry keeps. The referenced tensors live until
/// record() returns.
template <class T>
class TensorRef {
public:
    TensorRef(const Tensor<T>& t) : tensor_(&t) {}  // NOLINT: implicit by design
    const Tensor<T>& get() const { return *tensor_; }

private:
    const Tensor<T>* tensor_;
};

template <class T>
using TensorRefs = std::initializer_list<typename identity<TensorRef<T>>::type>;

/// Fills the entry's slots from the inputs and appends it to the tape, marking
/// `output` as its result. Checks the forward value in anomaly mode.
template <class T>
void append_entry(Tape& tape, std::unique_ptr<Entry<T>> entry, const TensorRef<T>* inputs,
                  std::size_t n_inputs, const Tensor<T>& output, TensorRefs<T> saved);

template <class T>
bool any_requires_grad(const TensorRef<T>* inputs, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
        if (inputs[i].get().requires_grad()) return true;
    return false;
}

template <class T, class F>
void record_impl(const char* name, const TensorRef<T>* inputs, std::size_t n_inputs,
                 const Tensor<T>& output, TensorRefs<T> saved, F&& backward) {
    Tape* tape = recording_tape();
    if (!tape || !any_requires_grad(inputs, n_inputs)) return;
    std::unique_ptr<Entry<T>> entry =
        std::make_unique<EntryWith<T, std::decay_t<F>>>(std::forward<F>(backward));
    entry->name = name;
    append_entry(*tape, std::move(entry), inputs, n_inputs, output, saved);
}

}  // namespace detail

/// What an op's backward sees: the gradient of its output, its saved tensors, and
/// where to send each input's gradient.
template <class T>
class BackwardContext {
public:
    /// A context for one entry of one sweep (made by the sweep, not by ops).
    BackwardContext(Tape& tape, detail::Entry<T>& entry, detail::SweepState& state)
        : tape_(tape), entry_(entry), state_(state) {}

    /// Gradient of the loss with respect to the op's output.
    const Tensor<T>& grad() const { return entry_.grad; }
    /// The i-th tensor saved at record time (tg::GraphError if it changed since).
    const Tensor<T>& saved(std::size_t i) const;
    /// Whether input i needs a gradient in this sweep (skip the work when not).
    bool needs(std::size_t i) const;
    /// Whether this sweep records (create_graph). When it does not, a backward may use a
    /// fused, non-differentiable kernel instead of its composite of ops.
    bool create_graph() const { return state_.create_graph; }
    /// Number of the op's inputs.
    std::size_t num_inputs() const { return entry_.inputs.size(); }
    /// The shape input i had when the op was recorded.
    const Shape& input_shape(std::size_t i) const { return entry_.inputs[i].shape; }
    /// The shape of the op's output.
    const Shape& output_shape() const { return entry_.output_shape; }
    /// A tensor of the output's shape for an input's gradient that a backward computes
    /// elementwise from grad() (dx[i] = f(g[i], ...)): grad() itself, to be written over
    /// in place, when nothing else holds it and the sweep does not record; otherwise a
    /// new tensor with uninitialized values. Saves a tensor per activation in a sweep.
    Tensor<T> reusable_grad() const;
    /// Hands input i its gradient; its shape must equal the input's shape (reduce a
    /// broadcast gradient with tg::sum_to first).
    void add(std::size_t i, const Tensor<T>& gradient);
    /// Adds row k of `rows` into row indices[k] of input i's gradient, in place, when
    /// that gradient so far is a plain buffer only this sweep holds (no create_graph, no
    /// anomaly mode), and returns true; returns false otherwise, and the op hands
    /// index_add_rows(rows, indices, n) to add(). In place, an embedding table whose tied
    /// logits already gave it a dense gradient costs no (n, ...) zero-fill and no second
    /// pass over it. `rows` holds indices.size() rows of input i's row size.
    bool add_rows_in_place(std::size_t i, const Tensor<T>& rows, const Indices& indices);
    /// The backward of a view op: adds `window_grad` into the window `window` (a layout
    /// over input i's row-major positions) of input i's gradient, in place, under
    /// add_rows_in_place's condition, and returns true; returns false otherwise, and the op
    /// hands detail::scatter_window(...) to add(). In place, select's backward costs the
    /// slice, not the tensor.
    bool add_window_in_place(std::size_t i, const Tensor<T>& window_grad,
                             const detail::Layout& window);

private:
    Tensor<T>* sum_in_place(std::size_t i);

    Tape& tape_;
    detail::Entry<T>& entry_;
    detail::SweepState& state_;
};

/// Records an op on the active tape: its inputs (those that need gradients get them),
/// its output, the tensors its backward needs, and the backward itself.
template <class T, class F>
void record(const char* name, detail::TensorRefs<T> inputs, const Tensor<T>& output,
            detail::TensorRefs<T> saved, F&& backward) {
    detail::profile_forward(name);
    detail::record_impl(name, inputs.begin(), inputs.size(), output, saved,
                        std::forward<F>(backward));
}

/// As above, for ops with a variable number of inputs (concat).
template <class T, class F>
void record(const char* name, const std::vector<Tensor<T>>& inputs, const Tensor<T>& output,
            detail::TensorRefs<T> saved, F&& backward) {
    detail::profile_forward(name);
    if (!detail::recording_tape()) return;  // keep the list below off the no-tape path
    const std::vector<detail::TensorRef<T>> refs(inputs.begin(), inputs.end());
    detail::record_impl(name, refs.data(), refs.size(), output, saved, std::forward<F>(backward));
}

}  // namespace tg
