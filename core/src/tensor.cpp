#include <tapegrad/broadcast.hpp>
#include <tapegrad/check.hpp>
#include <tapegrad/detail/copy_counter.hpp>
#include <tapegrad/detail/team.hpp>
#include <tapegrad/record.hpp>
#include <tapegrad/tape.hpp>
#include <tapegrad/tensor.hpp>

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <xtensor/xbuilder.hpp>

namespace tg {
namespace {

/// `flag`, or tg::ValueError naming `where` when a Tensor<std::int64_t> is asked to require
/// a gradient: indices are not differentiable (PyTorch: only floating-point tensors can
/// require gradients).
template <class T>
bool checked_requires_grad(bool flag, const char* where) {
    if constexpr (std::is_integral_v<T>)
        TG_CHECK(!flag, ValueError, where,
                 ": a Tensor<std::int64_t> holds indices and cannot require a gradient "
                 "(PyTorch: only tensors of floating point dtype can require gradients); use a "
                 "float or double tensor (tg::to_floating<double>(t)) for values to differentiate");
    return flag;
}

/// tg::GraphError naming `where` for a Tensor<std::int64_t>, which has no gradient.
template <class T>
void check_differentiable(const char* where) {
    if constexpr (std::is_integral_v<T>)
        TG_CHECK(false, GraphError, where,
                 ": a Tensor<std::int64_t> holds indices and has no gradient (it never requires "
                 "one)");
}

}  // namespace

template <class T>
Tensor<T>::Tensor(T scalar) : Tensor(uninitialized(Shape{})) {
    *node_->value.data() = scalar;
}

template <class T>
Tensor<T>::Tensor(Array<T>&& values, bool requires_grad)
    : node_(std::allocate_shared<detail::Node<T>>(
          detail::PoolAllocator<detail::Node<T>>(), std::move(values),
          checked_requires_grad<T>(requires_grad, "tg::Tensor"))) {}

template <class T>
Tensor<T> Tensor<T>::uninitialized(const Shape& shape) {
    return Tensor<T>(
        std::allocate_shared<detail::Node<T>>(detail::PoolAllocator<detail::Node<T>>(), shape));
}

template <class T>
void Tensor<T>::throw_undefined() {
    throw Error("this tg::Tensor is undefined (default-constructed): assign a value first");
}

namespace detail {

template <class T>
const Array<T>& Node<T>::strided_values() const {
    if (strided->filled_at.load(std::memory_order_acquire) == version_counter()) return value;
    std::lock_guard<std::mutex> lock(strided->fill);
    const std::uint64_t now = version_counter();
    // The node's copy is its own (no view aliases a strided view's copy: reshape of one
    // makes a view of its storage or a recorded copy), so filling it in place is safe.
    auto& copy = const_cast<Array<T>&>(value);
    if (strided->filled_at.load(std::memory_order_relaxed) == now) return copy;
    const Layout& l = strided->layout;
    if (!std::equal(copy.shape().begin(), copy.shape().end(), l.shape.begin(), l.shape.end()))
        copy = Array<T>::from_shape(l.shape);
    gather_strided(strided->storage.data(), l, copy.data());
    count_moved<T>(copy.size());
    strided->filled_at.store(now, std::memory_order_release);
    return copy;
}

template struct Node<float>;
template struct Node<double>;

/// What mutable_value() and assign() check: only a leaf, or a view of a plain leaf, can
/// change in place.
template <class T>
void check_writable(const char* what, const Node<T>& n) {
    TG_CHECK(n.is_leaf(), GraphError, what,
             ": this tensor was computed by a recorded op; only leaves can be "
             "changed in place (use detach() to get a leaf copy)");
    if (n.view_base) {
        TG_CHECK(n.view_base->is_leaf() && !n.view_base->requires_grad, GraphError, what,
                 ": this tensor is a view (reshape, view, flatten, squeeze, unsqueeze, narrow, "
                 "select, slice, transpose, permute, expand or diagonal) of ",
                 n.view_base->is_leaf() ? "a leaf that requires grad" : "a recorded result",
                 "; changing it in place would change its base behind the tape's back "
                 "(PyTorch: a view of a leaf Variable that requires grad is being used in an "
                 "in-place operation); change the base itself, or a copy (detach())");
    }
}

}  // namespace detail

template <class T>
Array<T>& Tensor<T>::mutable_value() {
    detail::Node<T>& n = checked();
    detail::check_writable("mutable_value()", n);
    TG_CHECK(!n.strided, GraphError,
             "mutable_value(): this tensor is a strided view (is_contiguous() is false), whose "
             "elements are not one row-major block of its base; write through assign(), or "
             "change the base, or a contiguous() copy");
    ++n.version_counter();
    // A module's parameter or buffer: DataParallel refuses a model whose forward pass
    // changes one on a worker other than 0 (docs/threads.md).
    if (n.name) detail::note_state_write(*n.name);
    return n.value;
}

template <class T>
void Tensor<T>::assign(const Array<T>& values) {
    detail::Node<T>& n = checked();
    TG_CHECK(std::equal(values.shape().begin(), values.shape().end(), n.sizes().begin(),
                        n.sizes().end()),
             ShapeError, "assign(): new values have shape ", values.shape(),
             " but the tensor has shape ", n.sizes(), "; assign needs the same shape");
    if (!n.strided) {
        mutable_value() = values;
        return;
    }
    detail::check_writable("assign()", n);
    const Array<T> row_major = values;  // the values in row-major order
    detail::write_strided(n.strided->storage.data(), n.strided->layout, row_major.data());
    ++n.version_counter();
}

template <class T>
std::size_t Tensor<T>::size(long dim) const {
    const Array<T>& v = value();
    return v.shape()[detail::normalize_axis("size", dim, v.dimension())];
}

template <class T>
T Tensor<T>::item() const {
    const Array<T>& v = value();
    TG_CHECK(v.size() == 1, ShapeError, "item(): tensor of shape ", v.shape(), " holds ", v.size(),
             " elements; item() needs exactly one");
    return *v.data();
}

template <class T>
T Tensor<T>::at(const std::vector<std::size_t>& index) const {
    const Array<T>& v = value();
    TG_CHECK(index.size() == v.dimension(), ShapeError, "at(): ", index.size(),
             " positions for a tensor of shape ", v.shape(), "; pass one per axis (", v.dimension(),
             ")");
    std::size_t offset = 0;
    for (std::size_t k = 0; k < index.size(); ++k) {
        TG_CHECK(index[k] < v.shape()[k], ValueError, "at(): position ", index[k], " on axis ", k,
                 " of a tensor of shape ", v.shape(), " is past the end");
        offset += index[k] * v.strides()[k];
    }
    return v.data()[offset];
}

template <class T>
Tensor<T>& Tensor<T>::set_requires_grad(bool flag) {
    detail::Node<T>& n = checked();
    checked_requires_grad<T>(flag, "set_requires_grad()");
    TG_CHECK(n.is_leaf(), GraphError,
             "set_requires_grad(): only leaves can change requires_grad; this tensor was "
             "computed by a recorded op (use detach() for a leaf copy)");
    n.requires_grad = flag;
    return *this;
}

template <class T>
Tensor<T> Tensor<T>::grad() const {
    const detail::Node<T>& n = checked();
    check_differentiable<T>("grad()");
    std::shared_ptr<detail::Node<T>> g;
    {
        detail::GradLockGuard lock(n.grad_lock);
        g = n.grad;
    }
    if (!g) {
        TG_CHECK(n.requires_grad, GraphError, "grad(): tensor of shape ", n.sizes(),
                 " does not require a gradient; make it with tg::parameter(...) or "
                 "set_requires_grad()");
        TG_CHECK(n.is_leaf(), GraphError, "grad(): tensor of shape ", n.sizes(),
                 " is not a leaf; backward fills grad() of leaves only (use tape.gradient(y, "
                 "{x}) for intermediate results)");
        throw GraphError("grad(): tensor of shape " + shape_str(n.sizes()) +
                         " has no gradient yet; call tape.backward(loss) first "
                         "(tape.gradient returns gradients without filling grad())");
    }
    return Tensor<T>(std::move(g));
}

template <class T>
bool Tensor<T>::has_grad() const {
    if (!node_) return false;
    detail::GradLockGuard lock(node_->grad_lock);
    return node_->grad != nullptr;
}

template <class T>
void Tensor<T>::zero_grad() {
    detail::Node<T>& n = checked();
    detail::GradLockGuard lock(n.grad_lock);
    if (!n.grad) return;
    if (n.grad->is_leaf()) {
        std::fill(n.grad->value.begin(), n.grad->value.end(), T(0));
        ++n.grad->version_counter();
    } else {
        n.grad = Tensor<T>(Array<T>(xt::zeros<T>(n.sizes()))).node();
    }
}

template <class T>
void Tensor<T>::reset_grad() {
    detail::Node<T>& n = checked();
    std::shared_ptr<detail::Node<T>> dropped;  // freed after the lock is released
    detail::GradLockGuard lock(n.grad_lock);
    dropped = std::move(n.grad);
}

template <class T>
std::string Tensor<T>::name() const {
    const detail::Node<T>& n = checked();
    return n.name ? *n.name : std::string();
}

template <class T>
Tensor<T>& Tensor<T>::set_name(const std::string& name) {
    checked().name = name.empty() ? nullptr : std::make_unique<const std::string>(name);
    return *this;
}

template <class T>
Tensor<T> Tensor<T>::contiguous() const {
    const detail::Node<T>& n = checked();
    if (!n.strided) return *this;
    Tensor<T> y = uninitialized(Shape(n.sizes()));
    detail::gather_strided(n.strided->storage.data(), n.strided->layout, y.node()->value.data());
    detail::count_moved<T>(y.size());
    record("contiguous", {*this}, y, {}, [](BackwardContext<T>& c) { c.add(0, c.grad()); });
    return y;
}

template <class T>
Tensor<T> Tensor<T>::detach() const {
    return Tensor<T>(Array<T>(value()));
}

template <class T>
void Tensor<T>::backward() const {
    const detail::Node<T>& n = checked();
    check_differentiable<T>("backward()");
    if constexpr (std::is_floating_point_v<T>) {  // no tape records an index tensor
        Tape* tape = n.is_leaf() ? Tape::active() : detail::find_tape(n.tape_epoch);
        if (tape) {
            tape->backward(*this);
            return;
        }
        TG_CHECK(!n.is_leaf(), GraphError,
                 "backward(): no active tape recorded this tensor: create a tg::Tape before the "
                 "forward pass, and make at least one input require a gradient (tg::parameter); "
                 "to differentiate a gradient again, compute it with create_graph = true");
        throw GraphError(
            "backward(): the tape that recorded this tensor has released its entries (an "
            "earlier backward without retain_graph), is gone, or belongs to another thread; "
            "pass retain_graph = true to the first backward to run backward twice, recompute "
            "the forward pass, or call backward in the thread that recorded it");
    }
}

template class Tensor<float>;
template class Tensor<double>;

// Index tensors: the members defined here, one by one (an explicit instantiation of the
// whole class would also instantiate inline members that call float-only ops).
using Index = std::int64_t;
template Tensor<Index>::Tensor(Index);
template Tensor<Index>::Tensor(Array<Index>&&, bool);
template Tensor<Index> Tensor<Index>::uninitialized(const Shape&);
template void Tensor<Index>::throw_undefined();
template Array<Index>& Tensor<Index>::mutable_value();
template void Tensor<Index>::assign(const Array<Index>&);
template Index Tensor<Index>::item() const;
template Index Tensor<Index>::at(const std::vector<std::size_t>&) const;
template std::size_t Tensor<Index>::size(long) const;
template Tensor<Index>& Tensor<Index>::set_requires_grad(bool);
template Tensor<Index> Tensor<Index>::grad() const;
template bool Tensor<Index>::has_grad() const;
template void Tensor<Index>::zero_grad();
template void Tensor<Index>::reset_grad();
template std::string Tensor<Index>::name() const;
template Tensor<Index>& Tensor<Index>::set_name(const std::string&);
template Tensor<Index> Tensor<Index>::detach() const;
template void Tensor<Index>::backward() const;

}  // namespace tg
