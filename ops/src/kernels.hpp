#pragma once
// Plain loops for the elementwise hot path (private to ops/).
//
// Why: on small tensors xtensor's expression machinery costs more than the arithmetic,
// and a backward written from several tensor ops makes several passes over memory. The
// loops here run the formulas of elementwise.hpp's definitions (on T) for forwards and
// for backward sweeps that do not record (create_graph off); with create_graph the same
// formulas run on tensors instead. Each loop computes element i from the inputs at i, so
// the large ones are shared between the intra-op threads (tg::detail::parallel_for) with
// the same bits as on one thread.

#include <tapegrad/broadcast.hpp>
#include <tapegrad/detail/parallel_for.hpp>
#include <tapegrad/record.hpp>
#include <tapegrad/tensor.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>
#include <xsimd/xsimd.hpp>
#include <xtensor/xadapt.hpp>
#include <xtensor/xbroadcast.hpp>
#include <xtensor/xnoalias.hpp>

#include "strided_read.hpp"

namespace tg::detail {

/// parallel_for over the n elements of an elementwise loop that writes `out`, calling
/// fn(begin, end) with every boundary but 0 and n on a 64-byte aligned element of out.
/// Why: a vectorized loop (the compiler's, or xtensor's assignment: a scalar head up to
/// out's first aligned element, SIMD batches, a scalar tail) may give an element other bits
/// in its scalar part than in a batch (a SIMD tanh against std::tanh; a multiply and add
/// fused into an FMA in one and not the other); with aligned boundaries every element
/// takes the instructions one loop over the whole would give it, so the threads do not
/// change the results.
template <class T, class F>
void parallel_for_elements(const T* out, std::size_t n, F&& fn) {
    if (n < 2 * kMinElementsPerThread) {  // small tensors: one comparison
        fn(std::size_t(0), n);
        return;
    }
    constexpr std::size_t block = 64 / sizeof(T);
    const std::size_t misaligned = reinterpret_cast<std::uintptr_t>(out) % 64 / sizeof(T);
    const std::size_t head = std::min(n, (block - misaligned) % block);
    // Unit 0 is [0, head + block), unit u > 0 [head + u·block, head + (u + 1)·block), cut at n.
    const std::size_t units = std::max<std::size_t>(1, (n - head + block - 1) / block);
    const auto element = [=](std::size_t u) { return u == 0 ? 0 : std::min(n, head + u * block); };
    parallel_for(units, kMinElementsPerThread / block,
                 [&](std::size_t first, std::size_t last) { fn(element(first), element(last)); });
}

/// y[i] = f(a[i]) (a strided view read in place).
template <class T, class F>
Tensor<T> map(const Tensor<T>& a, F f) {
    if (is_strided(a)) return strided_map(a, f);
    const Array<T>& av = a.value();
    Tensor<T> y = Tensor<T>::uninitialized(av.shape());
    const T* pa = av.data();
    T* po = y.node()->value.data();
    parallel_for_elements(po, av.size(), [&](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) po[i] = f(pa[i]);
    });
    return y;
}

/// out[i] = f(a[i], b[i]) for out, a and b of one shape; out may be a or b itself (each
/// element is read before it is written). Strided views are read in place.
template <class T, class F>
Tensor<T> map_into(Tensor<T> out, const Tensor<T>& a, const Tensor<T>& b, F f) {
    if (is_strided(a) || is_strided(b)) return strided_map_into(out, a.shape(), a, b, f);
    const T* pa = a.value().data();
    const T* pb = b.value().data();
    T* po = out.node()->value.data();
    parallel_for_elements(po, a.size(), [&](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) po[i] = f(pa[i], pb[i]);
    });
    return out;
}

/// out[i] = f(a[i], b[i], c[i]) for tensors of one shape; out may be one of the inputs.
template <class T, class F>
Tensor<T> map_into(Tensor<T> out, const Tensor<T>& a, const Tensor<T>& b, const Tensor<T>& c, F f) {
    if (is_strided(a) || is_strided(b) || is_strided(c)) return strided_map_into(out, a, b, c, f);
    const T* pa = a.value().data();
    const T* pb = b.value().data();
    const T* pc = c.value().data();
    T* po = out.node()->value.data();
    parallel_for_elements(po, a.size(), [&](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) po[i] = f(pa[i], pb[i], pc[i]);
    });
    return out;
}

/// out[j] = Σ_r in[r · width + j] for the columns first <= j < last of a (rows, width)
/// block. Register tiles of 4 vectors keep each column's sum in a register over all rows
/// (a plain loop reloads and stores `out` once per row); rows are added in order, so a
/// column's sum does not depend on which tile or range it falls in.
template <class T>
void sum_columns(const T* in, std::size_t rows, std::size_t width, std::size_t first,
                 std::size_t last, T* out) {
    using Vec = xsimd::batch<T>;
    constexpr std::size_t S = Vec::size;
    std::size_t j = first;
    for (; j + 4 * S <= last; j += 4 * S) {
        Vec sum[4] = {Vec(T(0)), Vec(T(0)), Vec(T(0)), Vec(T(0))};
        for (std::size_t r = 0; r < rows; ++r)
            for (std::size_t v = 0; v < 4; ++v)
                sum[v] += Vec::load_unaligned(in + r * width + j + v * S);
        for (std::size_t v = 0; v < 4; ++v) sum[v].store_unaligned(out + j + v * S);
    }
    for (; j + S <= last; j += S) {
        Vec sum(T(0));
        for (std::size_t r = 0; r < rows; ++r) sum += Vec::load_unaligned(in + r * width + j);
        sum.store_unaligned(out + j);
    }
    for (; j < last; ++j) {
        T sum = 0;
        for (std::size_t r = 0; r < rows; ++r) sum += in[r * width + j];
        out[j] = sum;
    }
}

/// out[j] = Σ_r in[r · width + j]: the column sums of a (rows, width) block, as for a bias
/// gradient; the intra-op threads share the columns.
template <class T>
void sum_rows(const T* in, std::size_t rows, std::size_t width, T* out) {
    parallel_for(width, rows_per_thread(rows), [&](std::size_t first, std::size_t last) {
        sum_columns(in, rows, width, first, last, out);
    });
}

/// Whether `small` is a trailing block of `shape`: its dimensions, after leading 1s,
/// equal the trailing dimensions of `shape`. Then `small` broadcast to `shape` is `small`
/// repeated along leading axes (a bias row), and `shape` summed to `small` is the column
/// sums of a (rows, |small|) view.
template <class S1, class S2>
bool is_trailing_block(const S1& small, const S2& shape) {
    std::size_t first = 0;
    while (first < small.size() && small[first] == 1) ++first;
    const std::size_t rank = small.size() - first;
    if (rank > shape.size()) return false;
    return std::equal(small.begin() + first, small.end(), shape.end() - rank);
}

/// Whether `small`, broadcast to `shape`, is `small` repeated along leading axes only.
template <class T>
bool repeats_along_leading_axes(const Array<T>& small, const Shape& shape) {
    return small.size() != 0 && is_trailing_block(small.shape(), shape);
}

/// Row-major strides of `a` seen as an array of `shape` (a broadcasts to it): 0 along the
/// axes where a has size 1 or that a lacks (its leading axes), so that element (i₀, ...)
/// of the broadcast is a[Σ iₖ · stridesₖ].
template <class T>
std::vector<std::size_t> broadcast_strides(const Array<T>& a, const Shape& shape) {
    const std::size_t rank = shape.size(), own = a.dimension();
    std::vector<std::size_t> strides(rank, 0);
    std::size_t stride = 1;
    for (std::size_t k = 1; k <= own; ++k) {
        const std::size_t size = a.shape()[own - k];
        strides[rank - k] = size == 1 ? 0 : stride;
        stride *= size;
    }
    return strides;
}

/// out[i] = f(a[ia], b[ib]) over the row-major positions of `shape` (rank >= 1), a and b
/// broadcast to it: the last axis in a plain loop, the others by an odometer that moves
/// the offsets ia and ib by their strides. (xtensor's broadcasting iterators cost several
/// times more per element.)
template <class T, class F>
void broadcast_loop(const Shape& shape, const T* pa, const std::vector<std::size_t>& sa,
                    const T* pb, const std::vector<std::size_t>& sb, T* po, F f) {
    const std::size_t rank = shape.size(), inner = shape[rank - 1];
    std::size_t n = 1;
    for (std::size_t d : shape) n *= d;
    if (n == 0) return;
    const std::size_t ja = sa[rank - 1], jb = sb[rank - 1];
    std::vector<std::size_t> index(rank, 0);
    std::size_t oa = 0, ob = 0;
    for (std::size_t row = 0; row < n; row += inner) {
        // The common row patterns without the stride multiplications, so they vectorize.
        T* out = po + row;
        if (ja == 1 && jb == 0) {
            const T v = pb[ob];
            for (std::size_t j = 0; j < inner; ++j) out[j] = f(pa[oa + j], v);
        } else if (ja == 0 && jb == 1) {
            const T u = pa[oa];
            for (std::size_t j = 0; j < inner; ++j) out[j] = f(u, pb[ob + j]);
        } else if (ja == 1 && jb == 1) {
            for (std::size_t j = 0; j < inner; ++j) out[j] = f(pa[oa + j], pb[ob + j]);
        } else {
            for (std::size_t j = 0; j < inner; ++j) out[j] = f(pa[oa + j * ja], pb[ob + j * jb]);
        }
        for (std::size_t d = rank - 1; d-- > 0;) {
            if (++index[d] < shape[d]) {
                oa += sa[d];
                ob += sb[d];
                break;
            }
            oa -= sa[d] * (shape[d] - 1);
            ob -= sb[d] * (shape[d] - 1);
            index[d] = 0;
        }
    }
}

/// `a` broadcast to `shape` as a new array (broadcast_to's values).
template <class T>
Array<T> broadcast_values(const Array<T>& a, const Shape& shape) {
    Array<T> out = Array<T>::from_shape(shape);
    if (shape.empty()) {
        if (out.size()) *out.data() = *a.data();
        return out;
    }
    const std::vector<std::size_t> sa = broadcast_strides(a, shape);
    broadcast_loop(shape, a.data(), sa, a.data(), sa, out.data(), [](T u, T) { return u; });
    return out;
}

/// f applied elementwise with numpy broadcasting. Equal shapes, an operand repeated along
/// leading axes (a bias row) and one-element operands take plain loops; other shape
/// pairs go through broadcast_loop.
template <class T, class F>
Tensor<T> broadcast_map(const char* op, const Array<T>& a, const Array<T>& b, F f) {
    if (a.shape() == b.shape()) {
        Tensor<T> y = Tensor<T>::uninitialized(a.shape());
        const T *pa = a.data(), *pb = b.data();
        T* po = y.node()->value.data();
        parallel_for_elements(po, a.size(), [&](std::size_t begin, std::size_t end) {
            for (std::size_t i = begin; i < end; ++i) po[i] = f(pa[i], pb[i]);
        });
        return y;
    }
    const Shape shape = broadcast_shapes(op, Shape(a.shape().begin(), a.shape().end()),
                                         Shape(b.shape().begin(), b.shape().end()));
    const bool out_is_a =
        std::equal(shape.begin(), shape.end(), a.shape().begin(), a.shape().end());
    const bool out_is_b =
        std::equal(shape.begin(), shape.end(), b.shape().begin(), b.shape().end());
    Tensor<T> y = Tensor<T>::uninitialized(shape);
    T* po = y.node()->value.data();
    const std::size_t n = y.size();
    // A one-element operand first: it is also a "trailing block", whose loop of period 1
    // would not vectorize (x * scale on attention scores).
    if (out_is_a && b.size() == 1) {
        const T* pa = a.data();
        const T sb = *b.data();
        parallel_for_elements(po, n, [&](std::size_t begin, std::size_t end) {
            for (std::size_t i = begin; i < end; ++i) po[i] = f(pa[i], sb);
        });
    } else if (out_is_b && a.size() == 1) {
        const T sa = *a.data();
        const T* pb = b.data();
        parallel_for_elements(po, n, [&](std::size_t begin, std::size_t end) {
            for (std::size_t i = begin; i < end; ++i) po[i] = f(sa, pb[i]);
        });
    } else if (out_is_a && repeats_along_leading_axes(b, shape)) {
        // b is a's trailing block (a bias row): b[i mod |b|].
        const T* pa = a.data();
        const T* pb = b.data();
        const std::size_t period = b.size();
        parallel_for(n / period, rows_per_thread(period), [&](std::size_t first, std::size_t last) {
            for (std::size_t i = first * period; i < last * period; i += period)
                for (std::size_t j = 0; j < period; ++j) po[i + j] = f(pa[i + j], pb[j]);
        });
    } else if (out_is_b && repeats_along_leading_axes(a, shape)) {
        const T* pa = a.data();
        const T* pb = b.data();
        const std::size_t period = a.size();
        parallel_for(n / period, rows_per_thread(period), [&](std::size_t first, std::size_t last) {
            for (std::size_t i = first * period; i < last * period; i += period)
                for (std::size_t j = 0; j < period; ++j) po[i + j] = f(pa[j], pb[i + j]);
        });
    } else {
        broadcast_loop(shape, a.data(), broadcast_strides(a, shape), b.data(),
                       broadcast_strides(b, shape), po, f);
    }
    return y;
}

/// broadcast_map of two tensors: a strided view is read in place (strided_read.hpp), other
/// tensors through their values.
template <class T, class F>
Tensor<T> broadcast_map(const char* op, const Tensor<T>& a, const Tensor<T>& b, F f) {
    if (is_strided(a) || is_strided(b)) return strided_broadcast_map(op, a, b, f);
    return broadcast_map(op, a.value(), b.value(), f);
}

}  // namespace tg::detail
