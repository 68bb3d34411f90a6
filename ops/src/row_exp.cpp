#include <tapegrad/detail/row_exp.hpp>

#include <algorithm>
#include <limits>
#include <xsimd/xsimd.hpp>

namespace tg::detail {
namespace {

template <class T>
using Vec = xsimd::batch<T>;

/// The last n % S elements of x in one batch, `fill` in the lanes past the end, so that the
/// tail takes the batch's instructions too.
template <class T>
Vec<T> load_tail(const T* x, std::size_t count, T fill) {
    alignas(64) T lanes[Vec<T>::size];
    std::fill(std::begin(lanes), std::end(lanes), fill);
    std::copy_n(x, count, lanes);
    return Vec<T>::load_aligned(lanes);
}

template <class T>
void store_tail(const Vec<T>& v, std::size_t count, T* out) {
    alignas(64) T lanes[Vec<T>::size];
    v.store_aligned(lanes);
    std::copy_n(lanes, count, out);
}

}  // namespace

template <class T>
T row_max(const T* x, std::size_t n) {
    constexpr std::size_t S = Vec<T>::size;
    T m = x[0];
    std::size_t k = 0;
    if (n >= S) {
        Vec<T> lanes = Vec<T>::load_unaligned(x);
        for (k = S; k + S <= n; k += S) lanes = xsimd::max(lanes, Vec<T>::load_unaligned(x + k));
        alignas(64) T values[S];
        lanes.store_aligned(values);
        m = values[0];
        for (std::size_t j = 1; j < S; ++j) m = std::max(m, values[j]);
    }
    for (; k < n; ++k) m = std::max(m, x[k]);
    return m;
}

template <class T>
T sum_exp(const T* x, std::size_t n, T shift, T* out) {
    constexpr std::size_t S = Vec<T>::size;
    const Vec<T> s(shift);
    Vec<T> total(T(0));
    std::size_t k = 0;
    for (; k + S <= n; k += S) {
        const Vec<T> e = xsimd::exp(Vec<T>::load_unaligned(x + k) - s);
        if (out) e.store_unaligned(out + k);
        total += e;
    }
    if (k < n) {  // e^(−inf) = 0 in the lanes past the end
        const Vec<T> e =
            xsimd::exp(load_tail(x + k, n - k, -std::numeric_limits<T>::infinity()) - s);
        if (out) store_tail(e, n - k, out + k);
        total += e;
    }
    return xsimd::hadd(total);
}

template <class T>
void scaled_exp(const T* x, std::size_t n, T shift, T scale, T* out) {
    constexpr std::size_t S = Vec<T>::size;
    const Vec<T> s(shift), c(scale);
    std::size_t k = 0;
    for (; k + S <= n; k += S)
        (xsimd::exp(Vec<T>::load_unaligned(x + k) - s) * c).store_unaligned(out + k);
    if (k < n) store_tail(xsimd::exp(load_tail(x + k, n - k, T(0)) - s) * c, n - k, out + k);
}

#define TG_INSTANTIATE(T)                             \
    template T row_max(const T*, std::size_t);        \
    template T sum_exp(const T*, std::size_t, T, T*); \
    template void scaled_exp(const T*, std::size_t, T, T, T*);
TG_INSTANTIATE(float)
TG_INSTANTIATE(double)
#undef TG_INSTANTIATE

}  // namespace tg::detail
