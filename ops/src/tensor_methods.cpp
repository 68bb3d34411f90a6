// torch.Tensor's methods on tg::Tensor (declared in core's tensor.hpp, defined here, where
// the ops are): each calls the free function of its name, so there is one formula per op.

#include <tapegrad/broadcast.hpp>
#include <tapegrad/check.hpp>
#include <tapegrad/grad_mode.hpp>
#include <tapegrad/ops.hpp>
#include <tapegrad/tape.hpp>

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

namespace tg {
namespace {

/// x op= other for the compound assignments and copy_: `result` computes x op other
/// (unrecorded); its values, which must keep x's shape, are written into x with assign(),
/// which bumps the version and refuses a result of a recorded op or a view of a tensor
/// that requires grad. While a tape records, x and other must not require grad: the
/// write is not recorded, so the tape would hold stale values or lose other's gradient.
template <class T, class F>
Tensor<T>& write_in_place(Tensor<T>& x, const char* op, const Tensor<T>& other, F result) {
    if (detail::recording_tape()) {
        TG_CHECK(!(x.is_leaf() && x.requires_grad()), GraphError, op,
                 ": a leaf that requires grad is being changed in place while a tape records "
                 "(PyTorch: a leaf Variable that requires grad is being used in an in-place "
                 "operation); change it under tg::NoGradGuard (as an optimizer step does), or "
                 "write the result to a new tensor (x = x + y)");
        TG_CHECK(!other.requires_grad(), GraphError, op,
                 ": the right-hand side requires grad and a tape records, but an in-place "
                 "change is not recorded, so its gradient would be lost; write the result to "
                 "a new tensor (x = x + y), which is recorded");
    }
    Tensor<T> y;
    {
        NoGradGuard unrecorded;
        y = result();
    }
    TG_CHECK(y.shape() == x.shape(), ShapeError, op, ": the result has shape ", y.shape(),
             " but the tensor changed in place has shape ", x.shape(),
             "; the right-hand side (shape ", other.shape(), ") must broadcast to it");
    x.assign(y.value());
    return x;
}

/// "(2, -1)": the sizes as given, for messages (written as shapes are).
std::string sizes_str(const std::vector<long>& sizes) {
    std::string out = "(";
    for (std::size_t i = 0; i < sizes.size(); ++i)
        out += (i ? ", " : "") + std::to_string(sizes[i]);
    return out + ")";
}

/// `sizes` as a shape of `numel` elements, a −1 among them inferred as numel divided by
/// the product of the others (torch.Tensor.view / reshape). tg::ShapeError for two −1s,
/// a size below −1, or a −1 that no whole number fills.
Shape infer_size(const char* op, const std::vector<long>& sizes, const Shape& from,
                 std::size_t numel) {
    std::size_t known = 1;
    long inferred = -1;  // the position of the −1, if any
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        TG_CHECK(sizes[i] >= -1, ShapeError, op, ": size ", sizes[i], " in ", sizes_str(sizes),
                 " is invalid; sizes are >= 0, or -1 for one inferred from the others");
        if (sizes[i] == -1) {
            TG_CHECK(inferred < 0, ShapeError, op, ": only one size may be -1 (inferred), got ",
                     sizes_str(sizes));
            inferred = static_cast<long>(i);
        } else {
            known *= static_cast<std::size_t>(sizes[i]);
        }
    }
    Shape shape(sizes.size());
    for (std::size_t i = 0; i < sizes.size(); ++i)
        shape[i] = sizes[i] < 0 ? 0 : static_cast<std::size_t>(sizes[i]);
    if (inferred >= 0) {
        TG_CHECK(known != 0 && numel % known == 0, ShapeError, op, ": cannot infer the -1 in ",
                 sizes_str(sizes), " for a tensor of shape ", from, " (", numel,
                 " elements): the other sizes multiply to ", known,
                 known == 0 ? ", so any size would do; give every size"
                            : ", which does not divide the element count");
        shape[static_cast<std::size_t>(inferred)] = numel / known;
    }
    return shape;
}

}  // namespace

template <class T>
Tensor<T> Tensor<T>::sum() const {
    return tg::sum(*this);
}
template <class T>
Tensor<T> Tensor<T>::sum(long dim, bool keepdim) const {
    return tg::sum(*this, {dim}, keepdim);
}
template <class T>
Tensor<T> Tensor<T>::sum(const Axes& dims, bool keepdim) const {
    return tg::sum(*this, dims, keepdim);
}
template <class T>
Tensor<T> Tensor<T>::mean() const {
    return tg::mean(*this);
}
template <class T>
Tensor<T> Tensor<T>::mean(long dim, bool keepdim) const {
    return tg::mean(*this, {dim}, keepdim);
}
template <class T>
Tensor<T> Tensor<T>::mean(const Axes& dims, bool keepdim) const {
    return tg::mean(*this, dims, keepdim);
}
template <class T>
Tensor<T> Tensor<T>::max() const {
    return tg::max(*this);
}
template <class T>
Tensor<T> Tensor<T>::max(long dim, bool keepdim) const {
    return tg::max(*this, dim, keepdim);
}
template <class T>
Tensor<T> Tensor<T>::min() const {
    return tg::min(*this);
}
template <class T>
Tensor<T> Tensor<T>::min(long dim, bool keepdim) const {
    return tg::min(*this, dim, keepdim);
}
template <class T>
Tensor<std::int64_t> Tensor<T>::argmax() const {
    return tg::argmax(*this);
}
template <class T>
Tensor<std::int64_t> Tensor<T>::argmin() const {
    return tg::argmin(*this);
}
template <class T>
Tensor<std::int64_t> Tensor<T>::argmax(long dim, bool keepdim) const {
    return tg::argmax(*this, dim, keepdim);
}
template <class T>
Tensor<std::int64_t> Tensor<T>::argmin(long dim, bool keepdim) const {
    return tg::argmin(*this, dim, keepdim);
}
template <class T>
Tensor<T> Tensor<T>::prod(long dim, bool keepdim) const {
    return tg::prod(*this, dim, keepdim);
}
template <class T>
Tensor<T> Tensor<T>::var(long dim, long correction, bool keepdim) const {
    return tg::var(*this, {dim}, correction, keepdim);
}
template <class T>
Tensor<T> Tensor<T>::var(const Axes& dims, long correction, bool keepdim) const {
    return tg::var(*this, dims, correction, keepdim);
}
template <class T>
Tensor<T> Tensor<T>::std(long dim, long correction, bool keepdim) const {
    return tg::std(*this, {dim}, correction, keepdim);
}
template <class T>
Tensor<T> Tensor<T>::std(const Axes& dims, long correction, bool keepdim) const {
    return tg::std(*this, dims, correction, keepdim);
}
template <class T>
Tensor<T> Tensor<T>::logsumexp(long dim, bool keepdim) const {
    return tg::logsumexp(*this, {dim}, keepdim);
}
template <class T>
Tensor<T> Tensor<T>::cumsum(long dim) const {
    return tg::cumsum(*this, dim);
}
template <class T>
Tensor<T> Tensor<T>::norm(double p) const {
    return tg::norm(*this, p);
}
template <class T>
Tensor<T> Tensor<T>::softmax(long dim) const {
    return tg::softmax(*this, dim);
}
template <class T>
Tensor<T> Tensor<T>::log_softmax(long dim) const {
    return tg::log_softmax(*this, dim);
}

template <class T>
Tensor<T> Tensor<T>::reshape(const ShapeArg& shape) const {
    return tg::reshape(*this, infer_size("reshape", shape.sizes(), this->shape(), numel()));
}
template <class T>
Tensor<T> Tensor<T>::view(const ShapeArg& shape) const {
    return tg::view(*this, infer_size("view", shape.sizes(), this->shape(), numel()));
}
template <class T>
Tensor<T> Tensor<T>::flatten(long start, long end) const {
    return tg::flatten(*this, start, end);
}
template <class T>
Tensor<T> Tensor<T>::squeeze() const {
    return tg::squeeze(*this);
}
template <class T>
Tensor<T> Tensor<T>::squeeze(long dim) const {
    return tg::squeeze(*this, dim);
}
template <class T>
Tensor<T> Tensor<T>::unsqueeze(long dim) const {
    return tg::unsqueeze(*this, dim);
}
template <class T>
Tensor<T> Tensor<T>::t() const {
    TG_CHECK(dim() <= 2, ShapeError, "t(): expects a tensor of at most 2 axes, got shape ", shape(),
             "; use transpose(dim0, dim1) or permute(dims) for more");
    return tg::transpose(*this);
}
template <class T>
Tensor<T> Tensor<T>::transpose(long dim0, long dim1) const {
    std::vector<std::size_t> dims(dim());
    std::iota(dims.begin(), dims.end(), std::size_t{0});
    std::swap(dims[detail::normalize_axis("transpose", dim0, dim())],
              dims[detail::normalize_axis("transpose", dim1, dim())]);
    return tg::permute(*this, dims);
}
template <class T>
Tensor<T> Tensor<T>::permute(const std::vector<std::size_t>& dims) const {
    return tg::permute(*this, dims);
}
template <class T>
Tensor<T> Tensor<T>::narrow(long dim, std::size_t start, std::size_t length) const {
    return tg::narrow(*this, dim, start, length);
}
template <class T>
Tensor<T> Tensor<T>::select(long dim, long index) const {
    return tg::select(*this, dim, index);
}
template <class T>
Tensor<T> Tensor<T>::expand(const ShapeArg& shape) const {
    // Sizes line up with this tensor's axes from the right, as in broadcasting; a −1
    // keeps the size of the axis it lines up with.
    const std::vector<long>& sizes = shape.sizes();
    const Shape from = this->shape();
    const std::size_t new_axes = sizes.size() - std::min(sizes.size(), from.size());
    Shape target(sizes.size());
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        TG_CHECK(sizes[i] >= -1, ShapeError, "expand: size ", sizes[i], " in ", sizes_str(sizes),
                 " is invalid; sizes are >= 0, or -1 to keep an axis's size");
        TG_CHECK(sizes[i] != -1 || i >= new_axes, ShapeError, "expand: the -1 at position ", i,
                 " of ", sizes_str(sizes), " is a new leading axis for a tensor of shape ", from,
                 ", so there is no size to keep; give its size");
        target[i] = sizes[i] == -1 ? from[i - new_axes] : static_cast<std::size_t>(sizes[i]);
    }
    return tg::broadcast_to(*this, target);
}
template <class T>
std::vector<Tensor<T>> Tensor<T>::split_every(long long split_size, long dim) const {
    const std::size_t n = size(dim);
    TG_CHECK(split_size > 0 || (split_size == 0 && n == 0), ValueError, "split: split_size ",
             split_size, " on an axis of size ", n, " (shape ", shape(),
             "); give a size >= 1 (0 only for an empty axis)");
    Indices sizes;
    const std::size_t each = split_size > 0 ? static_cast<std::size_t>(split_size) : 1;
    for (std::size_t start = 0; start < n; start += each)
        sizes.push_back(std::min(each, n - start));
    if (sizes.empty()) sizes.push_back(0);  // an empty axis: one empty piece, as torch
    return tg::split(*this, sizes, dim);
}
template <class T>
std::vector<Tensor<T>> Tensor<T>::split(const Indices& sizes, long dim) const {
    return tg::split(*this, sizes, dim);
}
template <class T>
std::vector<Tensor<T>> Tensor<T>::chunk(std::size_t chunks, long dim) const {
    return tg::chunk(*this, chunks, dim);
}

template <class T>
Tensor<T> Tensor<T>::exp() const {
    return tg::exp(*this);
}
template <class T>
Tensor<T> Tensor<T>::expm1() const {
    return tg::expm1(*this);
}
template <class T>
Tensor<T> Tensor<T>::log() const {
    return tg::log(*this);
}
template <class T>
Tensor<T> Tensor<T>::log1p() const {
    return tg::log1p(*this);
}
template <class T>
Tensor<T> Tensor<T>::sqrt() const {
    return tg::sqrt(*this);
}
template <class T>
Tensor<T> Tensor<T>::rsqrt() const {
    return tg::rsqrt(*this);
}
template <class T>
Tensor<T> Tensor<T>::square() const {
    return tg::square(*this);
}
template <class T>
Tensor<T> Tensor<T>::abs() const {
    return tg::abs(*this);
}
template <class T>
Tensor<T> Tensor<T>::sign() const {
    return tg::sign(*this);
}
template <class T>
Tensor<T> Tensor<T>::neg() const {
    return tg::neg(*this);
}
template <class T>
Tensor<T> Tensor<T>::reciprocal() const {
    return tg::reciprocal(*this);
}
template <class T>
Tensor<T> Tensor<T>::sin() const {
    return tg::sin(*this);
}
template <class T>
Tensor<T> Tensor<T>::cos() const {
    return tg::cos(*this);
}
template <class T>
Tensor<T> Tensor<T>::tanh() const {
    return tg::tanh(*this);
}
template <class T>
Tensor<T> Tensor<T>::sigmoid() const {
    return tg::sigmoid(*this);
}
template <class T>
Tensor<T> Tensor<T>::relu() const {
    return tg::relu(*this);
}
template <class T>
Tensor<T> Tensor<T>::erf() const {
    return tg::erf(*this);
}
template <class T>
Tensor<T> Tensor<T>::pow(T exponent) const {
    return tg::pow(*this, exponent);
}
template <class T>
Tensor<T> Tensor<T>::pow(const Tensor& exponent) const {
    return tg::pow(*this, exponent);
}
template <class T>
Tensor<T> Tensor<T>::clamp(T lo, T hi) const {
    return tg::clamp(*this, lo, hi);
}
template <class T>
Tensor<T> Tensor<T>::maximum(const Tensor& other) const {
    return tg::maximum(*this, other);
}
template <class T>
Tensor<T> Tensor<T>::minimum(const Tensor& other) const {
    return tg::minimum(*this, other);
}

template <class T>
Tensor<T> Tensor<T>::matmul(const Tensor& other) const {
    return tg::matmul(*this, other);
}
template <class T>
Tensor<T> Tensor<T>::mm(const Tensor& other) const {
    return tg::gemm(*this, other, false, false);
}

template <class T>
Tensor<T> Tensor<T>::gt(const Tensor& other) const {
    return tg::gt(*this, other);
}
template <class T>
Tensor<T> Tensor<T>::lt(const Tensor& other) const {
    return tg::lt(*this, other);
}
template <class T>
Tensor<T> Tensor<T>::ge(const Tensor& other) const {
    return tg::ge(*this, other);
}
template <class T>
Tensor<T> Tensor<T>::le(const Tensor& other) const {
    return tg::le(*this, other);
}
template <class T>
Tensor<T> Tensor<T>::eq(const Tensor& other) const {
    return tg::eq(*this, other);
}
template <class T>
Tensor<T> Tensor<T>::ne(const Tensor& other) const {
    return tg::ne(*this, other);
}
template <class T>
Tensor<T> Tensor<T>::masked_fill(const Tensor& mask, T value) const {
    return tg::masked_fill(*this, mask, value);
}

template <class T>
template <class U>
Tensor<U> Tensor<T>::to() const {
    if constexpr (std::is_same_v<T, U>) {
        checked();
        return *this;
    } else {
        TG_CHECK(!(requires_grad() && detail::recording_tape()), GraphError,
                 "to(): a cast to another element type is not recorded (a tape holds one "
                 "element type), and this tensor requires grad while a tape records, so its "
                 "gradient would be lost; cast under tg::NoGradGuard or after detach(), or "
                 "build the model in the other type (tg::nn::copy_state)");
        return Tensor<U>(Array<U>(value()));
    }
}

template <class T>
Tensor<T>& Tensor<T>::requires_grad_(bool flag) {
    return set_requires_grad(flag);
}

template <class T>
Tensor<T>& Tensor<T>::copy_(const Tensor& src) {
    return write_in_place(*this, "copy_", src,
                          [&] { return tg::broadcast_to(src.detach(), shape()); });
}
template <class T>
Tensor<T>& Tensor<T>::operator+=(const Tensor& other) {
    return write_in_place(*this, "+=", other, [&] { return tg::add(*this, other); });
}
template <class T>
Tensor<T>& Tensor<T>::operator-=(const Tensor& other) {
    return write_in_place(*this, "-=", other, [&] { return tg::sub(*this, other); });
}
template <class T>
Tensor<T>& Tensor<T>::operator*=(const Tensor& other) {
    return write_in_place(*this, "*=", other, [&] { return tg::mul(*this, other); });
}
template <class T>
Tensor<T>& Tensor<T>::operator/=(const Tensor& other) {
    return write_in_place(*this, "/=", other, [&] { return tg::div(*this, other); });
}

// Every member defined above, for float and double (core's tensor.cpp instantiates the
// class with the members it defines; these are the rest).
#define TG_METHODS_INSTANTIATE(T)                                                 \
    template Tensor<T> Tensor<T>::sum() const;                                    \
    template Tensor<T> Tensor<T>::sum(long, bool) const;                          \
    template Tensor<T> Tensor<T>::sum(const Axes&, bool) const;                   \
    template Tensor<T> Tensor<T>::mean() const;                                   \
    template Tensor<T> Tensor<T>::mean(long, bool) const;                         \
    template Tensor<T> Tensor<T>::mean(const Axes&, bool) const;                  \
    template Tensor<T> Tensor<T>::max() const;                                    \
    template Tensor<T> Tensor<T>::max(long, bool) const;                          \
    template Tensor<T> Tensor<T>::min() const;                                    \
    template Tensor<T> Tensor<T>::min(long, bool) const;                          \
    template Tensor<std::int64_t> Tensor<T>::argmax() const;                      \
    template Tensor<std::int64_t> Tensor<T>::argmin() const;                      \
    template Tensor<std::int64_t> Tensor<T>::argmax(long, bool) const;            \
    template Tensor<std::int64_t> Tensor<T>::argmin(long, bool) const;            \
    template Tensor<T> Tensor<T>::prod(long, bool) const;                         \
    template Tensor<T> Tensor<T>::var(long, long, bool) const;                    \
    template Tensor<T> Tensor<T>::var(const Axes&, long, bool) const;             \
    template Tensor<T> Tensor<T>::std(long, long, bool) const;                    \
    template Tensor<T> Tensor<T>::std(const Axes&, long, bool) const;             \
    template Tensor<T> Tensor<T>::logsumexp(long, bool) const;                    \
    template Tensor<T> Tensor<T>::cumsum(long) const;                             \
    template Tensor<T> Tensor<T>::norm(double) const;                             \
    template Tensor<T> Tensor<T>::softmax(long) const;                            \
    template Tensor<T> Tensor<T>::log_softmax(long) const;                        \
    template Tensor<T> Tensor<T>::reshape(const ShapeArg&) const;                 \
    template Tensor<T> Tensor<T>::view(const ShapeArg&) const;                    \
    template Tensor<T> Tensor<T>::flatten(long, long) const;                      \
    template Tensor<T> Tensor<T>::squeeze() const;                                \
    template Tensor<T> Tensor<T>::squeeze(long) const;                            \
    template Tensor<T> Tensor<T>::unsqueeze(long) const;                          \
    template Tensor<T> Tensor<T>::t() const;                                      \
    template Tensor<T> Tensor<T>::transpose(long, long) const;                    \
    template Tensor<T> Tensor<T>::permute(const std::vector<std::size_t>&) const; \
    template Tensor<T> Tensor<T>::narrow(long, std::size_t, std::size_t) const;   \
    template Tensor<T> Tensor<T>::select(long, long) const;                       \
    template Tensor<T> Tensor<T>::expand(const ShapeArg&) const;                  \
    template Tensor<T> Tensor<T>::exp() const;                                    \
    template Tensor<T> Tensor<T>::expm1() const;                                  \
    template Tensor<T> Tensor<T>::log() const;                                    \
    template Tensor<T> Tensor<T>::log1p() const;                                  \
    template Tensor<T> Tensor<T>::sqrt() const;                                   \
    template Tensor<T> Tensor<T>::rsqrt() const;                                  \
    template Tensor<T> Tensor<T>::square() const;                                 \
    template Tensor<T> Tensor<T>::abs() const;                                    \
    template Tensor<T> Tensor<T>::sign() const;                                   \
    template Tensor<T> Tensor<T>::neg() const;                                    \
    template Tensor<T> Tensor<T>::reciprocal() const;                             \
    template Tensor<T> Tensor<T>::sin() const;                                    \
    template Tensor<T> Tensor<T>::cos() const;                                    \
    template Tensor<T> Tensor<T>::tanh() const;                                   \
    template Tensor<T> Tensor<T>::sigmoid() const;                                \
    template Tensor<T> Tensor<T>::relu() const;                                   \
    template Tensor<T> Tensor<T>::erf() const;                                    \
    template Tensor<T> Tensor<T>::pow(T) const;                                   \
    template Tensor<T> Tensor<T>::pow(const Tensor<T>&) const;                    \
    template Tensor<T> Tensor<T>::clamp(T, T) const;                              \
    template Tensor<T> Tensor<T>::maximum(const Tensor<T>&) const;                \
    template Tensor<T> Tensor<T>::minimum(const Tensor<T>&) const;                \
    template Tensor<T> Tensor<T>::matmul(const Tensor<T>&) const;                 \
    template Tensor<T> Tensor<T>::mm(const Tensor<T>&) const;                     \
    template Tensor<T> Tensor<T>::gt(const Tensor<T>&) const;                     \
    template Tensor<T> Tensor<T>::lt(const Tensor<T>&) const;                     \
    template Tensor<T> Tensor<T>::ge(const Tensor<T>&) const;                     \
    template Tensor<T> Tensor<T>::le(const Tensor<T>&) const;                     \
    template Tensor<T> Tensor<T>::eq(const Tensor<T>&) const;                     \
    template Tensor<T> Tensor<T>::ne(const Tensor<T>&) const;                     \
    template Tensor<T> Tensor<T>::masked_fill(const Tensor<T>&, T) const;         \
    template Tensor<float> Tensor<T>::to<float>() const;                          \
    template Tensor<double> Tensor<T>::to<double>() const;                        \
    template Tensor<T>& Tensor<T>::requires_grad_(bool);                          \
    template Tensor<T>& Tensor<T>::copy_(const Tensor<T>&);                       \
    template Tensor<T>& Tensor<T>::operator+=(const Tensor<T>&);                  \
    template Tensor<T>& Tensor<T>::operator-=(const Tensor<T>&);                  \
    template Tensor<T>& Tensor<T>::operator*=(const Tensor<T>&);                  \
    template Tensor<T>& Tensor<T>::operator/=(const Tensor<T>&);
TG_METHODS_INSTANTIATE(float)
TG_METHODS_INSTANTIATE(double)
#define TG_SPLIT_METHODS_INSTANTIATE(T)                                            \
    template std::vector<Tensor<T>> Tensor<T>::split_every(long long, long) const; \
    template std::vector<Tensor<T>> Tensor<T>::split(const Indices&, long) const;  \
    template std::vector<Tensor<T>> Tensor<T>::chunk(std::size_t, long) const;
TG_SPLIT_METHODS_INSTANTIATE(float)
TG_SPLIT_METHODS_INSTANTIATE(double)

// Index tensors: the shape methods whose free functions take them (`labels.reshape({-1})`,
// `labels.unsqueeze(1)` for gather, as PyTorch's target.view(-1) and index.unsqueeze(1)).
template Tensor<std::int64_t> Tensor<std::int64_t>::reshape(const ShapeArg&) const;
template Tensor<std::int64_t> Tensor<std::int64_t>::flatten(long, long) const;
template Tensor<std::int64_t> Tensor<std::int64_t>::squeeze() const;
template Tensor<std::int64_t> Tensor<std::int64_t>::squeeze(long) const;
template Tensor<std::int64_t> Tensor<std::int64_t>::unsqueeze(long) const;

}  // namespace tg
