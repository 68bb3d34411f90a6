#pragma once
// The storage behind a tensor: an xtensor container over pooled memory.

#include <tapegrad/check.hpp>  // shape_str
#include <tapegrad/detail/pool.hpp>

#include <algorithm>
#include <cstddef>
#include <type_traits>
#include <vector>
#include <xtensor/xarray.hpp>

namespace tg {

/// The container a tensor's values live in. It is an `xt::xarray` whose buffer comes
/// from tapegrad's per-thread pool; it converts to and from `xt::xarray<T>`.
template <class T>
using Array = xt::xarray<T, xt::layout_type::row_major, detail::PoolAllocator<T>>;

/// A shape, or a short list of axes. docs/design.md's convention is std::vector, and a
/// tg::Shape behaves as one where users meet it: `{2, 3}` works at every call site, a
/// std::vector<std::size_t> converts to it and from it, and the two compare with == and
/// !=. It keeps up to 4 sizes inline (it is xtensor's own shape vector), so taking,
/// storing or passing a shape allocates nothing; a std::vector would cost a malloc per
/// shape, which profiles showed as a fifth of the time of a small training step.
class Shape : public xt::svector<std::size_t, 4, std::allocator<std::size_t>, true> {
public:
    /// xtensor's small vector that Shape extends.
    using Base = xt::svector<std::size_t, 4, std::allocator<std::size_t>, true>;
    using Base::Base;
    Shape() = default;
    /// From xtensor's shape vector.
    Shape(const Base& sizes) : Base(sizes) {}                                           // NOLINT
    /// From a std::vector of sizes.
    Shape(const std::vector<std::size_t>& sizes) : Base(sizes.begin(), sizes.end()) {}  // NOLINT
    /// As a std::vector of sizes.
    operator std::vector<std::size_t>() const { return {begin(), end()}; }              // NOLINT

    /// Equal sizes in the same order.
    friend bool operator==(const Shape& a, const Shape& b) {
        return std::equal(a.begin(), a.end(), b.begin(), b.end());
    }
    /// Not equal.
    friend bool operator!=(const Shape& a, const Shape& b) { return !(a == b); }
    /// Equal to a std::vector of the same sizes.
    friend bool operator==(const Shape& a, const std::vector<std::size_t>& b) {
        return std::equal(a.begin(), a.end(), b.begin(), b.end());
    }
    /// Equal to a std::vector of the same sizes.
    friend bool operator==(const std::vector<std::size_t>& a, const Shape& b) { return b == a; }
    /// Not equal.
    friend bool operator!=(const Shape& a, const std::vector<std::size_t>& b) { return !(a == b); }
    /// Not equal.
    friend bool operator!=(const std::vector<std::size_t>& a, const Shape& b) { return !(b == a); }
};

/// Axes, permutations and indices are plain vectors.
using Axes = std::vector<long>;
/// Row indices (rows, index_add_rows).
using Indices = std::vector<std::size_t>;

}  // namespace tg
