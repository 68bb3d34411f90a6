#pragma once
// tg::Tensor<T>: a cheap, shared handle to values and, for leaves, their gradient.
//
// Copying a Tensor is shallow: copies share one node, as in PyTorch and flashlight.
// Operations on tensors are recorded by the active tg::Tape when an input requires a
// gradient; see tape.hpp.

#include <tapegrad/array.hpp>
#include <tapegrad/detail/layout.hpp>
#include <tapegrad/error.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace tg {

template <class T = double>
class Tensor;

namespace detail {

/// The storage and layout of a strided view (transpose, permute, narrow, slice, select,
/// expand, diagonal), and the contiguous copy value() hands out (docs/design.md "Storage
/// and views").
template <class T>
struct Strided {
    Layout layout;
    SharedBuffer<T> storage;  ///< shares the base's memory; `layout` indexes it
    /// The version counter's value when the node's `value` was last filled from the
    /// layout; `stale` before the first fill.
    static constexpr std::uint64_t stale = ~std::uint64_t{0};
    std::atomic<std::uint64_t> filled_at{stale};
    std::mutex fill;  ///< held while `value` is filled (several threads may read one view)
};

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
    /// For a strided view: its layout over the base's storage; `value` is then a
    /// contiguous copy, filled by values() when first read. Null otherwise.
    std::unique_ptr<Strided<T>> strided;
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
    bool storage_shared() const { return strided || value.storage().shared(); }
    /// The sizes, read without filling a strided view's copy.
    const Shape::Base& sizes() const { return strided ? strided->layout.shape : value.shape(); }
    /// The values, contiguous: a strided view's copy is (re)filled when the base's version
    /// counter moved since it was filled.
    const Array<T>& values() const {
        if (__builtin_expect(strided == nullptr, 1)) return value;
        return strided_values();
    }
    /// values() of a strided view (tensor.cpp): the copy, refilled if stale.
    const Array<T>& strided_values() const;
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

/// A number a braced list may hold: arithmetic, not bool.
template <class U>
inline constexpr bool is_number_v = std::is_arithmetic_v<U> && !std::is_same_v<U, bool>;

/// A number of any arithmetic type in a braced list of mixed types (`{{1, 2.5}}`). Its
/// conversion is user-defined, so a list whose numbers share one type prefers the
/// constructors that deduce that type, and each rank's deduced constructor wins where a
/// list could be read at two ranks (`{{1.0}, {2.0}}` is a column, not a row).
template <class T>
struct ListNumber {
    T value;  ///< the number, converted to T
    /// Converts any number.
    template <class U, class = std::enable_if_t<is_number_v<U>>>
    ListNumber(U v) : value(static_cast<T>(v)) {}  // NOLINT: converts, by design
};

/// The sizes of a nested braced list, read along its first elements.
template <class E>
void nested_sizes(const E&, std::size_t*) {}
template <class E>
void nested_sizes(const std::initializer_list<E>& list, std::size_t* sizes) {
    *sizes = list.size();
    if (list.size() != 0) nested_sizes(*list.begin(), sizes + 1);
}

/// Copies a nested braced list of `sizes` into `out` in row-major order, converted to T;
/// tg::ShapeError for a list whose rows differ in length.
template <class T, class U>
void nested_copy(const U& number, T*& out, const std::size_t*, std::size_t) {
    if constexpr (std::is_same_v<U, ListNumber<T>>)
        *out++ = number.value;
    else
        *out++ = static_cast<T>(number);
}
template <class T, class E>
void nested_copy(const std::initializer_list<E>& list, T*& out, const std::size_t* sizes,
                 std::size_t depth) {
    if (list.size() != *sizes)
        throw ShapeError("Tensor: the braced list is ragged: a list at depth " +
                         std::to_string(depth) + " has length " + std::to_string(list.size()) +
                         " where the first list at that depth has length " +
                         std::to_string(*sizes) + "; every list at one depth needs one length");
    for (const E& e : list) nested_copy<T>(e, out, sizes + 1, depth + 1);
}

/// The values of a nested braced list of rank R, converted to T.
template <class T, std::size_t R, class L>
Array<T> from_nested(const L& values) {
    std::size_t sizes[R] = {};
    nested_sizes(values, sizes);
    Array<T> out = Array<T>::from_shape(Shape(sizes, sizes + R));
    T* next = out.data();
    nested_copy<T>(values, next, sizes, 0);
    return out;
}
}  // namespace detail

/// The sizes reshape, view and expand take as methods: a tg::Shape, or a braced list of
/// integers in which PyTorch's −1 may stand (`x.view({-1, 8})`: that size inferred from
/// the element count; `x.expand({4, -1})`: that axis's size kept). The methods resolve
/// the −1 and call the free function with a tg::Shape.
class ShapeArg {
public:
    /// One size of a braced list: any integer, −1 where the method allows it.
    struct Size {
        long value;  ///< the size, or −1
        /// From any integer type (`{n, -1}` with n a std::size_t).
        template <class I,
                  class = std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>>>
        Size(I v) : value(static_cast<long>(v)) {}  // NOLINT: converts, by design
    };
    /// A braced list: `{2, -1}`, `{n, m}`, `{}` (0-d).
    ShapeArg(std::initializer_list<Size> sizes) {  // NOLINT: converts, by design
        for (const Size& s : sizes) sizes_.push_back(s.value);
    }
    /// A shape (no −1).
    ShapeArg(const Shape& shape) : sizes_(shape.begin(), shape.end()) {}  // NOLINT
    /// xtensor's shape vector (`x.value().shape()`).
    ShapeArg(const Shape::Base& shape) : sizes_(shape.begin(), shape.end()) {}  // NOLINT
    /// A std::vector of sizes.
    ShapeArg(const std::vector<std::size_t>& shape)  // NOLINT
        : sizes_(shape.begin(), shape.end()) {}
    /// The sizes as given, −1 included.
    const std::vector<long>& sizes() const { return sizes_; }

private:
    std::vector<long> sizes_;
};

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

    /// Nested braced lists, as torch.tensor takes nested Python lists: `Tensor<>{1.0, 2.0}`
    /// has shape (2), `Tensor<>{{1, 2}, {3, 4}}` (2, 2), the column `Tensor<>{{1.0}, {2.0}}`
    /// (2, 1); up to rank 4; the numbers are converted to T. Each rank has a constructor
    /// that deduces the numbers' type, which tells a column (2, 1) from a row (2), and one
    /// of tg::detail::ListNumber<T> for lists that mix types (`{{1, 2.5}}`). tg::ShapeError
    /// for a ragged list.
    template <class U, class = std::enable_if_t<detail::is_number_v<U>>>
    Tensor(std::initializer_list<U> values) : Tensor(detail::from_nested<T, 1>(values)) {}
    /// Nested braced lists of rank 2 (see the rank-1 constructor).
    template <class U, class = std::enable_if_t<detail::is_number_v<U>>>
    Tensor(std::initializer_list<std::initializer_list<U>> values)
        : Tensor(detail::from_nested<T, 2>(values)) {}
    /// Nested braced lists of rank 3.
    template <class U, class = std::enable_if_t<detail::is_number_v<U>>>
    Tensor(std::initializer_list<std::initializer_list<std::initializer_list<U>>> values)
        : Tensor(detail::from_nested<T, 3>(values)) {}
    /// Nested braced lists of rank 4.
    template <class U, class = std::enable_if_t<detail::is_number_v<U>>>
    Tensor(std::initializer_list<
           std::initializer_list<std::initializer_list<std::initializer_list<U>>>>
               values)
        : Tensor(detail::from_nested<T, 4>(values)) {}
    /// A braced list of rank 1 whose numbers differ in type: `Tensor<>{1, 2.5}`.
    Tensor(std::initializer_list<detail::ListNumber<T>> values)
        : Tensor(detail::from_nested<T, 1>(values)) {}
    /// A braced list of rank 2 whose numbers differ in type: `Tensor<>{{1, 2.5}, {3, 4}}`.
    Tensor(xt::nested_initializer_list_t<detail::ListNumber<T>, 2> values)
        : Tensor(detail::from_nested<T, 2>(values)) {}
    /// A braced list of rank 3 whose numbers differ in type.
    Tensor(xt::nested_initializer_list_t<detail::ListNumber<T>, 3> values)
        : Tensor(detail::from_nested<T, 3>(values)) {}
    /// A braced list of rank 4 whose numbers differ in type.
    Tensor(xt::nested_initializer_list_t<detail::ListNumber<T>, 4> values)
        : Tensor(detail::from_nested<T, 4>(values)) {}

    /// Whether the tensor has a node (a default-constructed tensor has none).
    bool defined() const { return node_ != nullptr; }

    /// Read access to the values (an xtensor container; assignable to xt::xarray<T>). For
    /// a strided view (transpose, narrow, ...; is_contiguous() false) this is a contiguous
    /// copy, made on first use and again after the base changes in place; kernels that
    /// take strides read the layout instead (detail::layout_of, docs/design.md).
    const Array<T>& value() const { return checked().values(); }

    /// Write access to a leaf's values. Bumps the version counter, so a tape entry that
    /// saved this tensor refuses to run backward with the changed values. A view of a plain
    /// tensor writes into its base; a view of a tensor that requires grad, or of a recorded
    /// result, is refused (tg::GraphError).
    Array<T>& mutable_value();

    /// Replaces the values of a leaf in place (same shape, else tg::ShapeError).
    void assign(const Array<T>& values);

    /// The sizes, as a tg::Shape (converts to std::vector<std::size_t>). Inside ops,
    /// `value().shape()` gives xtensor's shape by reference.
    Shape shape() const { return Shape(checked().sizes()); }
    /// Number of dimensions.
    std::size_t dim() const { return checked().sizes().size(); }
    /// Number of elements.
    std::size_t size() const {
        const detail::Node<T>& n = checked();
        return n.strided ? n.strided->layout.size() : n.value.size();
    }
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

    /// Whether the values lie in memory in row-major order without gaps, as PyTorch's: false
    /// for a strided view (a transpose, a narrow past the first axis, a stepped slice, an
    /// expand; docs/design.md "Storage and views").
    bool is_contiguous() const { return !checked().strided; }
    /// The tensor itself when contiguous, else a recorded contiguous copy of the values
    /// (torch.Tensor.contiguous).
    Tensor contiguous() const;

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

    // ---- PyTorch's methods ---------------------------------------------------------
    // torch.Tensor's methods for the ops a model is written with. Each calls the free
    // function of its name (tg::sum, tg::reshape, ...; ops/src/tensor_methods.cpp), which
    // documents the formula and the gradient: x.sum(1) is tg::sum(x, {1}). They need
    // tapegrad::ops (all but numel, sizes and size(dim), which core defines).

    /// Number of elements (torch.Tensor.numel); size() gives the same count.
    std::size_t numel() const { return size(); }
    /// The sizes (torch.Tensor.size() with no argument): shape().
    Shape sizes() const { return shape(); }
    /// The size of axis `dim` (torch.Tensor.size(dim); negative counts from the end).
    /// tg::ValueError for an axis past the rank.
    std::size_t size(long dim) const;

    /// tg::sum over every element: a 0-d tensor.
    Tensor sum() const;
    /// tg::sum over axis `dim`, removed or kept with size 1.
    Tensor sum(long dim, bool keepdim = false) const;
    /// tg::sum over `dims`: `x.sum({0, 1})`.
    Tensor sum(const Axes& dims, bool keepdim = false) const;
    /// tg::mean over every element.
    Tensor mean() const;
    /// tg::mean over axis `dim`.
    Tensor mean(long dim, bool keepdim = false) const;
    /// tg::mean over `dims`.
    Tensor mean(const Axes& dims, bool keepdim = false) const;
    /// tg::max over every element (torch.max(x)): a 0-d tensor.
    Tensor max() const;
    /// tg::max along `dim`: the values only (PyTorch's x.max(dim) also returns the
    /// indices, which are x.argmax(dim) here).
    Tensor max(long dim, bool keepdim = false) const;
    /// tg::min over every element.
    Tensor min() const;
    /// tg::min along `dim`: the values only (the indices are x.argmin(dim)).
    Tensor min(long dim, bool keepdim = false) const;
    /// tg::argmax over every element (torch.argmax(x)): a 0-d int64 index tensor, the
    /// row-major position of the first largest element.
    Tensor<std::int64_t> argmax() const;
    /// tg::argmax along `dim`: an int64 index tensor, as PyTorch's.
    Tensor<std::int64_t> argmax(long dim, bool keepdim = false) const;
    /// tg::argmin over every element: a 0-d int64 index tensor.
    Tensor<std::int64_t> argmin() const;
    /// tg::argmin along `dim`: an int64 index tensor.
    Tensor<std::int64_t> argmin(long dim, bool keepdim = false) const;
    /// tg::prod along `dim`.
    Tensor prod(long dim, bool keepdim = false) const;
    /// tg::var over axis `dim` (correction 1: Bessel's).
    Tensor var(long dim, long correction = 1, bool keepdim = false) const;
    /// tg::var over `dims`.
    Tensor var(const Axes& dims, long correction = 1, bool keepdim = false) const;
    /// tg::std over axis `dim`.
    Tensor std(long dim, long correction = 1, bool keepdim = false) const;
    /// tg::std over `dims`.
    Tensor std(const Axes& dims, long correction = 1, bool keepdim = false) const;
    /// tg::logsumexp over axis `dim`.
    Tensor logsumexp(long dim, bool keepdim = false) const;
    /// tg::cumsum along `dim`.
    Tensor cumsum(long dim) const;
    /// tg::norm of all elements (the p-norm, 2 by default).
    Tensor norm(double p = 2) const;
    /// tg::softmax along `dim`.
    Tensor softmax(long dim) const;
    /// tg::log_softmax along `dim`.
    Tensor log_softmax(long dim) const;

    /// tg::reshape (a view: no copy): `x.reshape({2, 3})`; one size may be −1, inferred
    /// from the element count (`x.reshape({-1})`, `x.reshape({n, -1})`), as PyTorch's.
    /// tg::ShapeError for two −1s, another negative size, or a −1 no size fills.
    Tensor reshape(const ShapeArg& shape) const;
    /// tg::view; one size may be −1, as in reshape.
    Tensor view(const ShapeArg& shape) const;
    /// tg::flatten of axes start..end (inclusive).
    Tensor flatten(long start = 0, long end = -1) const;
    /// tg::squeeze: every axis of size 1 removed.
    Tensor squeeze() const;
    /// tg::squeeze of axis `dim`.
    Tensor squeeze(long dim) const;
    /// tg::unsqueeze: a new axis of size 1 at `dim`.
    Tensor unsqueeze(long dim) const;
    /// tg::transpose of a tensor of at most 2 axes (torch.Tensor.t; 0-d and 1-d tensors
    /// come back as they are). tg::ShapeError for more axes: use transpose(dim0, dim1).
    Tensor t() const;
    /// Axes dim0 and dim1 swapped (torch.transpose): tg::permute.
    Tensor transpose(long dim0, long dim1) const;
    /// tg::permute: the result's axis i is this tensor's axis dims[i].
    Tensor permute(const std::vector<std::size_t>& dims) const;
    /// tg::narrow: [start, start + length) along `dim`.
    Tensor narrow(long dim, std::size_t start, std::size_t length) const;
    /// tg::select: entry `index` of axis `dim`, the axis removed.
    Tensor select(long dim, long index) const;
    /// tg::broadcast_to `shape` (torch.Tensor.expand): a −1 keeps the size of the axis it
    /// lines up with (`x.expand({4, -1})` of a (1, 3) tensor is (4, 3)); tg::ShapeError
    /// for a −1 at a new leading axis, which has no size to keep, or another negative.
    Tensor expand(const ShapeArg& shape) const;
    /// Pieces of `split_size` entries along `dim`, the last one smaller when the size does
    /// not divide (torch.Tensor.split(int)): tg::split with those sizes. Views of this
    /// tensor. tg::ValueError for a negative split_size, or 0 on a non-empty axis.
    template <class I, class = std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>>>
    std::vector<Tensor> split(I split_size, long dim = 0) const {
        if constexpr (std::is_unsigned_v<I>)  // a size past int64's range is one piece
            return split_every(split_size > static_cast<std::make_unsigned_t<long long>>(
                                                std::numeric_limits<long long>::max())
                                   ? std::numeric_limits<long long>::max()
                                   : static_cast<long long>(split_size),
                               dim);
        else
            return split_every(static_cast<long long>(split_size), dim);
    }
    /// Pieces of the given sizes along `dim`, which add up to its size (torch.Tensor.split
    /// with a list): tg::split. `x.split({2, 3})` is this one; `x.split(2)` the one above.
    std::vector<Tensor> split(const Indices& sizes, long dim = 0) const;
    /// tg::chunk: `chunks` pieces along `dim`, each of ceil(n / chunks) entries but the last.
    std::vector<Tensor> chunk(std::size_t chunks, long dim = 0) const;

    /// tg::exp.
    Tensor exp() const;
    /// tg::expm1.
    Tensor expm1() const;
    /// tg::log.
    Tensor log() const;
    /// tg::log1p.
    Tensor log1p() const;
    /// tg::sqrt.
    Tensor sqrt() const;
    /// tg::rsqrt.
    Tensor rsqrt() const;
    /// tg::square.
    Tensor square() const;
    /// tg::abs.
    Tensor abs() const;
    /// tg::sign.
    Tensor sign() const;
    /// tg::neg.
    Tensor neg() const;
    /// tg::reciprocal.
    Tensor reciprocal() const;
    /// tg::sin.
    Tensor sin() const;
    /// tg::cos.
    Tensor cos() const;
    /// tg::tanh.
    Tensor tanh() const;
    /// tg::sigmoid.
    Tensor sigmoid() const;
    /// tg::relu.
    Tensor relu() const;
    /// tg::erf.
    Tensor erf() const;
    /// tg::pow with a scalar exponent: `x.pow(2)`.
    Tensor pow(T exponent) const;
    /// tg::pow with a tensor exponent (broadcasting).
    Tensor pow(const Tensor& exponent) const;
    /// tg::clamp to [lo, hi].
    Tensor clamp(T lo, T hi) const;
    /// tg::maximum (a number converts: `x.maximum(0.0)`).
    Tensor maximum(const Tensor& other) const;
    /// tg::minimum.
    Tensor minimum(const Tensor& other) const;

    /// tg::matmul.
    Tensor matmul(const Tensor& other) const;
    /// The matrix product of two 2-d tensors (torch.mm): tg::gemm without transposes.
    Tensor mm(const Tensor& other) const;

    /// tg::gt as a mask of 0 and 1 (a number converts: `x.gt(0.5)`).
    Tensor gt(const Tensor& other) const;
    /// tg::lt.
    Tensor lt(const Tensor& other) const;
    /// tg::ge.
    Tensor ge(const Tensor& other) const;
    /// tg::le.
    Tensor le(const Tensor& other) const;
    /// tg::eq.
    Tensor eq(const Tensor& other) const;
    /// tg::ne.
    Tensor ne(const Tensor& other) const;
    /// tg::masked_fill: `value` where `mask` is nonzero.
    Tensor masked_fill(const Tensor& mask, T value) const;

    /// The values as element type U (torch.Tensor.to(dtype)): this tensor itself when U is
    /// T, else a copy that does not require a gradient. The tape holds one element type,
    /// so the cast is not recorded: casting a tensor that requires grad while a tape
    /// records is a tg::GraphError (it would cut the gradient); cast under
    /// tg::NoGradGuard, or build the model in U (tg::nn::copy_state).
    template <class U>
    Tensor<U> to() const;
    /// set_requires_grad(flag) under PyTorch's name (torch.Tensor.requires_grad_).
    Tensor& requires_grad_(bool flag = true);
    /// Writes src's values, broadcast to this tensor's shape, into this tensor in place
    /// (torch.Tensor.copy_; assign() without the broadcast), under the rules of +=.
    Tensor& copy_(const Tensor& src);

    /// x += y in place (numpy broadcasting; the result keeps x's shape, else
    /// tg::ShapeError): tg::add's values written into x with assign(), bumping the version.
    /// Not recorded, so refused with tg::GraphError while a tape records (a tg::Tape alive,
    /// no tg::NoGradGuard) when x requires grad (PyTorch: a leaf Variable that requires
    /// grad is being used in an in-place operation) or y does (its gradient would be
    /// lost); write x = x + y there. A result of a recorded op is never changed in place.
    /// A number converts: `x += 1`.
    Tensor& operator+=(const Tensor& other);
    /// x -= y in place: tg::sub, under the rules of +=.
    Tensor& operator-=(const Tensor& other);
    /// x *= y in place: tg::mul, under the rules of +=.
    Tensor& operator*=(const Tensor& other);
    /// x /= y in place: tg::div, under the rules of +=.
    Tensor& operator/=(const Tensor& other);

private:
    /// split(split_size, dim) for any integer type.
    std::vector<Tensor> split_every(long long split_size, long dim) const;
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
    const auto block = [](const Node<T>& n) -> const void* {
        if (n.strided) return n.strided->storage.empty() ? nullptr : n.strided->storage.block();
        return n.value.size() == 0 ? nullptr : n.value.storage().block();
    };
    const void* p = block(*a.node());
    return p != nullptr && p == block(*b.node());
}
}  // namespace detail

extern template class Tensor<float>;
extern template class Tensor<double>;

}  // namespace tg
