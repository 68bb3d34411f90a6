#pragma once
// Elementwise loops that read strided views in place (private to ops/; docs/design.md
// "Storage and views").
//
// A strided view's value() is a contiguous copy of its elements. The loops of kernels.hpp
// (map, map_into, broadcast_map) come here instead when an operand is a strided view, and
// read its elements where they lie in the base's storage, through its layout, so no copy
// is made. Every element gets the same formula f as in the contiguous loop, so the results
// are the same bits (tests/ops/strided_elementwise_test.cpp).

#include <tapegrad/broadcast.hpp>
#include <tapegrad/detail/layout.hpp>
#include <tapegrad/tensor.hpp>

#include <array>
#include <cstddef>

namespace tg::detail {

/// Whether x is a strided view (its value() would copy).
template <class T>
bool is_strided(const Tensor<T>& x) {
    return x.node()->strided != nullptr;
}

/// An operand read in place: element (i₀, i₁, ...) of the op's shape is
/// data[Σ iₖ · strides[k]].
template <class T>
struct InPlace {
    const T* data;
    Shape strides;
};

/// x broadcast to `shape` (x's shape broadcasts to it) and read in place: a strided view
/// through its layout, any other tensor through its row-major values; stride 0 along the
/// axes where x repeats.
template <class T>
InPlace<T> in_place(const Tensor<T>& x, const Shape& shape) {
    const Node<T>& n = *x.node();
    if (n.strided) {
        const Layout l = expanded(n.strided->layout, shape);
        return {n.strided->storage.data() + l.offset, l.strides};
    }
    return {n.value.data(), expanded(contiguous_layout(x.shape()), shape).strides};
}

/// Walks `shape` in row-major order one run of its last axis at a time, for K operands
/// with their strides: row(i, n, at, step) for the run of n elements starting at
/// row-major index i, whose element j lies at at[k] + j·step[k] in operand k. Axes of
/// size 1 are dropped and an axis is merged into the next where every operand steps over
/// the next whole (as detail::coalesced), so the runs are as long as the layouts allow.
template <std::size_t K, class Row>
void for_each_row(const Shape& shape, const std::array<const Shape*, K>& strides, Row&& row) {
    std::size_t total = 1;
    for (std::size_t d : shape) total *= d;
    if (total == 0) return;
    Shape sizes;
    std::array<Shape, K> steps;
    for (std::size_t a = 0; a < shape.size(); ++a) {
        if (shape[a] == 1) continue;
        bool merges = !sizes.empty();
        for (std::size_t k = 0; merges && k < K; ++k)
            merges = steps[k].back() == (*strides[k])[a] * shape[a];
        if (merges) {
            sizes.back() *= shape[a];
            for (std::size_t k = 0; k < K; ++k) steps[k].back() = (*strides[k])[a];
        } else {
            sizes.push_back(shape[a]);
            for (std::size_t k = 0; k < K; ++k) steps[k].push_back((*strides[k])[a]);
        }
    }
    std::array<std::size_t, K> at{}, step{};
    const std::size_t rank = sizes.size();
    if (rank == 0) {
        row(std::size_t{0}, std::size_t{1}, at, step);
        return;
    }
    for (std::size_t k = 0; k < K; ++k) step[k] = steps[k][rank - 1];
    const std::size_t inner = sizes[rank - 1];
    Shape index(rank, 0);
    for (std::size_t i = 0; i < total; i += inner) {
        row(i, inner, at, step);
        for (std::size_t d = rank - 1; d-- > 0;) {  // the next run, axis rank-2 fastest
            if (++index[d] < sizes[d]) {
                for (std::size_t k = 0; k < K; ++k) at[k] += steps[k][d];
                break;
            }
            for (std::size_t k = 0; k < K; ++k) at[k] -= steps[k][d] * (sizes[d] - 1);
            index[d] = 0;
        }
    }
}

/// y[i] = f(x[i]), x read in place (map's loop for a strided view).
template <class T, class F>
Tensor<T> strided_map(const Tensor<T>& x, F f) {
    const Shape shape = x.shape();
    const InPlace<T> a = in_place(x, shape);
    Tensor<T> y = Tensor<T>::uninitialized(shape);
    T* po = y.node()->value.data();
    for_each_row<1>(shape, {&a.strides},
                    [&](std::size_t i, std::size_t n, const auto& at, const auto& step) {
                        const T* pa = a.data + at[0];
                        for (std::size_t j = 0; j < n; ++j) po[i + j] = f(pa[j * step[0]]);
                    });
    return y;
}

/// out[i] = f(a[i], b[i]) for a and b of out's shape (broadcast to `shape`, as a binary
/// op's operands), read in place; out may be a or b itself when that one is contiguous
/// (each element is read before it is written).
template <class T, class F>
Tensor<T> strided_map_into(Tensor<T> out, const Shape& shape, const Tensor<T>& a,
                           const Tensor<T>& b, F f) {
    const InPlace<T> ia = in_place(a, shape), ib = in_place(b, shape);
    T* po = out.node()->value.data();
    for_each_row<2>(shape, {&ia.strides, &ib.strides},
                    [&](std::size_t i, std::size_t n, const auto& at, const auto& step) {
                        const T *pa = ia.data + at[0], *pb = ib.data + at[1];
                        if (step[0] == 1 && step[1] == 1) {  // so that it vectorizes
                            for (std::size_t j = 0; j < n; ++j) po[i + j] = f(pa[j], pb[j]);
                        } else {
                            for (std::size_t j = 0; j < n; ++j)
                                po[i + j] = f(pa[j * step[0]], pb[j * step[1]]);
                        }
                    });
    return out;
}

/// out[i] = f(a[i], b[i], c[i]) for tensors of out's shape, read in place; out may be a
/// contiguous one of them.
template <class T, class F>
Tensor<T> strided_map_into(Tensor<T> out, const Tensor<T>& a, const Tensor<T>& b,
                           const Tensor<T>& c, F f) {
    const Shape shape = a.shape();
    const InPlace<T> ia = in_place(a, shape), ib = in_place(b, shape), ic = in_place(c, shape);
    T* po = out.node()->value.data();
    for_each_row<3>(shape, {&ia.strides, &ib.strides, &ic.strides},
                    [&](std::size_t i, std::size_t n, const auto& at, const auto& step) {
                        const T *pa = ia.data + at[0], *pb = ib.data + at[1], *pc = ic.data + at[2];
                        for (std::size_t j = 0; j < n; ++j)
                            po[i + j] = f(pa[j * step[0]], pb[j * step[1]], pc[j * step[2]]);
                    });
    return out;
}

/// f(a, b) elementwise with numpy broadcasting, a strided operand read in place
/// (broadcast_map's loops for strided views).
template <class T, class F>
Tensor<T> strided_broadcast_map(const char* op, const Tensor<T>& a, const Tensor<T>& b, F f) {
    const Shape shape = broadcast_shapes(op, a.shape(), b.shape());
    return strided_map_into(Tensor<T>::uninitialized(shape), shape, a, b, f);
}

/// x's elements in row-major order written into out (x.size() of them), read in place:
/// what value() would copy, written where the caller wants it.
template <class T>
void gather_into(const Tensor<T>& x, T* out) {
    const Strided<T>& s = *x.node()->strided;
    gather_strided(s.storage.data(), s.layout, out);
}

}  // namespace tg::detail
