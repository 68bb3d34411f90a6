#pragma once
// tg::Tensor<T>: a cheap, shared handle to values and, for leaves, their gradient.
//
// Copying a Tensor is shallow: copies share one node, as in PyTorch and flashlight.
// Operations on tensors are recorded by the active tg::Tape when an input requires a
// gradient; see tape.hpp.

#include <tapegrad/array.hpp>
#include <tapegrad/error.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

namespace tg {

template <class T = double>
class Tensor;

namespace detail {

/// What a tensor handle points to. Recorded results know their tape entry by
/// (epoch, index); they never own other nodes, so freeing a long graph never recurses.
///
/// A leaf (a parameter) may be shared by threads that each record on their own tape, so
/// a node holds no state of a running sweep: that lives in the sweep. The one thing
/// sweeps of several threads change in a shared node is `grad` (tape.backward adds into
/// it), and they do that holding `grad_lock`.
template <class T>
struct Node {
    Array<T> value;
    std::shared_ptr<Node<T>> grad;  ///< accumulated gradient (leaves that require grad)
    std::uint64_t version = 0;      ///< bumped by every in-place change of `value`
    /// For a view (reshape, narrow or select along the first axis, ...): the tensor whose
    /// storage `value` shares, never itself a view. A base and its views answer to one
    /// version counter, the base's (docs/design.md "Storage and views"). Null otherwise.
    std::shared_ptr<Node<T>> view_base;
    std::uint64_t tape_epoch = 0;  ///< epoch of the tape entry that made it; 0: a leaf
    std::size_t entry = 0;         ///< index of that entry on its tape
    bool requires_grad = false;
    mutable std::atomic<bool> grad_lock{false};  ///< held while `grad` is read or changed
    /// A name for error messages: a module's parameter or buffer gets its dotted name
    /// ("1.weight"). Null for the other tensors, so it costs them one pointer.
    std::unique_ptr<const std::string> name;

    Node() = default;
    Node(Array<T>&& v, bool wants_grad) : value(std::move(v)), requires_grad(wants_grad) {}
    /// Values of `shape`, not initialized, built in place.
    explicit Node(const Shape& shape) : value(shape) {}
    bool is_leaf() const { return tape_epoch == 0; }
    /// The version counter of the values: the base's for a view.
    std::uint64_t& version_counter() { return view_base ? view_base->version : version; }
    std::uint64_t version_counter() const { return view_base ? view_base->version : version; }
    /// Whether `value`'s storage is shared with a view or a base now: an in-place change
    /// of `value` would then be seen through them (the aliasing checks of the sweep).
    bool storage_shared() const { return value.storage().shared(); }
};

/// Holds a node's `grad_lock` while alive. A spin lock of one byte (it fits in the
/// node's padding): uncontended, as in a one-thread program, it costs one atomic
/// exchange; contended, the holder is adding one gradient, so waiting is short.
class GradLockGuard {
public:
    explicit GradLockGuard(std::atomic<bool>& flag) : flag_(flag) {
        while (flag_.exchange(true, std::memory_order_acquire))
            while (flag_.load(std::memory_order_relaxed)) std::this_thread::yield();
    }
    ~GradLockGuard() { flag_.store(false, std::memory_order_release); }
    GradLockGuard(const GradLockGuard&) = delete;
    GradLockGuard& operator=(const GradLockGuard&) = delete;

private:
    std::atomic<bool>& flag_;
};

template <class T>
struct identity {
    using type = T;
};
/// Keeps a scalar parameter out of template deduction: `x * 2` works for Tensor<float>.
template <class T>
using scalar_t = typename identity<T>::type;

}  // namespace detail

/// A tensor of float or double: a cheap handle on shared values (copies share them)
/// whose operations are recorded on the active tape. `Tensor<std::int64_t>` holds
/// indices (PyTorch's LongTensor: class targets, gather and embedding indices, argmax's
/// result); it never requires a gradient, and only the ops that take or return indices
/// accept it (docs/design.md "Integer index tensors").
template <class T>
class Tensor {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double> ||
                      std::is_same_v<T, std::int64_t>,
                  "tg::Tensor<T> supports T = float and T = double, and std::int64_t for indices");

public:
    /// The element type.
    using value_type = T;

    /// An undefined tensor (no node); `defined()` is false.
    Tensor() = default;

    /// A 0-d tensor holding one value.
    Tensor(T scalar);

    /// A tensor with the values of any xtensor expression (copied into tapegrad's storage).
    template <class E, class = std::enable_if_t<xt::is_xexpression<std::decay_t<E>>::value>>
    Tensor(const E& values, bool requires_grad = false) : Tensor(Array<T>(values), requires_grad) {}

    /// A tensor owning `values`; a leaf that requires a gradient when `requires_grad`.
    Tensor(Array<T>&& values, bool requires_grad = false);

    /// For op authors: a tensor of `shape` whose values are not initialized yet; the op
    /// writes them through `node()->value` before handing the tensor out. Its storage is
    /// built inside the node: moving an xtensor container in costs about as much as
    /// making one (benchmarks/README.md).
    static Tensor uninitialized(const Shape& shape);

    /// Nested initializer lists, as for xt::xarray: `Tensor<>{{1, 2}, {3, 4}}`.
    Tensor(xt::nested_initializer_list_t<T, 1> values) : Tensor(Array<T>(values)) {}
    /// Nested initializer lists of rank 2.
    Tensor(xt::nested_initializer_list_t<T, 2> values) : Tensor(Array<T>(values)) {}
    /// Nested initializer lists of rank 3.
    Tensor(xt::nested_initializer_list_t<T, 3> values) : Tensor(Array<T>(values)) {}
    /// Nested initializer lists of rank 4.
    Tensor(xt::nested_initializer_list_t<T, 4> values) : Tensor(Array<T>(values)) {}

    /// Whether the tensor has a node (a default-constructed tensor has none).
    bool defined() const { return node_ != nullptr; }

    /// Read access to the values (an xtensor container; assignable to xt::xarray<T>).
    const Array<T>& value() const { return checked().value; }

    /// Write access to a leaf's values. Bumps the version counter, so a tape entry that
    /// saved this tensor refuses to run backward with the changed values. A view of a plain
    /// tensor writes into its base; a view of a tensor that requires grad, or of a recorded
    /// result, is refused (tg::GraphError).
    Array<T>& mutable_value();

    /// Replaces the values of a leaf in place (same shape, else tg::ShapeError).
    void assign(const Array<T>& values);

    /// The sizes, as a tg::Shape (converts to std::vector<std::size_t>). Inside ops,
    /// `value().shape()` gives xtensor's shape by reference.
    Shape shape() const { return Shape(value().shape()); }
    /// Number of dimensions.
    std::size_t dim() const { return value().dimension(); }
    /// Number of elements.
    std::size_t size() const { return value().size(); }
    /// The single value of a one-element tensor (tg::ShapeError otherwise).
    T item() const;
    /// The element at `index`, one position per axis: `t.at({i, j})` (torch's t[i][j].item(),
    /// numpy's a[i, j]). tg::ShapeError for a wrong number of positions, tg::ValueError for
    /// a position past the end of its axis.
    T at(const std::vector<std::size_t>& index) const;

    /// Whether the tensor is a leaf that wants a gradient or a result computed from one.
    bool requires_grad() const { return node_ && node_->requires_grad; }
    /// True for tensors not produced by a recorded operation.
    bool is_leaf() const { return checked().is_leaf(); }
    /// The version counter: how many times the values were changed in place. A view
    /// (reshape, ...) and its base share one counter, as they share their values.
    std::uint64_t version() const { return checked().version_counter(); }

    /// Whether the values lie in memory in row-major order. Always true today: the view
    /// ops (reshape, view, flatten, squeeze, unsqueeze, narrow and select along the first
    /// axis) make contiguous views; the others copy (docs/design.md "Storage and views").
    bool is_contiguous() const {
        checked();
        return true;
    }
    /// The tensor itself when contiguous (torch.Tensor.contiguous), which today is always.
    Tensor contiguous() const {
        checked();
        return *this;
    }

    /// Marks a leaf as wanting a gradient (or not).
    Tensor& set_requires_grad(bool flag = true);

    /// The gradient accumulated by backward (tg::GraphError if there is none yet).
    /// grad(), has_grad(), zero_grad() and reset_grad() may run while other threads'
    /// tape.backward adds into the same leaf; the values of the returned tensor change
    /// under such a backward, so read them once those threads are done.
    Tensor grad() const;
    /// Whether a gradient has been accumulated (grad() would not throw).
    bool has_grad() const;
    /// Sets an existing gradient to zero, keeping its buffer for the next step.
    void zero_grad();
    /// Drops the gradient (PyTorch's `p.grad = None`): has_grad() is false until the next
    /// backward, which hands its gradient over instead of adding it to zeros.
    void reset_grad();

    /// A new tensor with a copy of the values and no history; it does not require grad.
    Tensor detach() const;

    /// `tape.backward(*this)` on the tape that recorded this tensor.
    void backward() const;

    /// The name errors use for this tensor ("" if it has none). tg::nn::Module names each
    /// parameter and buffer by its dotted path ("1.weight") when it is registered, so a
    /// changed-in-place or anomaly error says which parameter it is about.
    std::string name() const;
    /// Sets name(); shared by every handle on this tensor. Not thread-safe against a
    /// concurrent name() or error message on the same tensor: name tensors before use.
    Tensor& set_name(const std::string& name);

    /// Identity of the underlying node (two handles to one tensor compare equal).
    bool same(const Tensor& other) const { return node_ == other.node_; }

    /// For op authors (tg::detail): the node behind the handle.
    const std::shared_ptr<detail::Node<T>>& node() const { return node_; }
    /// For op authors (tg::detail): a handle on an existing node.
    explicit Tensor(std::shared_ptr<detail::Node<T>> node) : node_(std::move(node)) {}

private:
    /// The node; tg::Error for an undefined tensor. Inline: every value() passes here.
    detail::Node<T>& checked() const {
        if (!node_) throw_undefined();
        return *node_;
    }
    [[noreturn]] static void throw_undefined();
    std::shared_ptr<detail::Node<T>> node_;
};

/// A leaf that wants a gradient: `auto w = tg::parameter<double>(xt::ones<double>({3, 2}));`
template <class T = double, class E>
Tensor<T> parameter(const E& values) {
    return Tensor<T>(Array<T>(values), true);
}

namespace detail {
/// Whether two tensors' values lie in one storage (a view and its base, two views of one
/// base). For tests and op authors; torch compares untyped_storage().data_ptr().
template <class T>
bool shares_storage(const Tensor<T>& a, const Tensor<T>& b) {
    return shares_memory(a.value(), b.value());
}
}  // namespace detail

extern template class Tensor<float>;
extern template class Tensor<double>;

}  // namespace tg
