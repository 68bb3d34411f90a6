#pragma once
// The storage behind a tensor: an xtensor container over pooled memory.

#include <tapegrad/detail/pool.hpp>

#include <cstddef>
#include <string>
#include <type_traits>
#include <vector>
#include <xtensor/xarray.hpp>

namespace tg {

/// The container a tensor's values live in. It is an `xt::xarray` whose buffer comes
/// from tapegrad's per-thread pool; it converts to and from `xt::xarray<T>`.
template <class T>
using Array = xt::xarray<T, xt::layout_type::row_major, detail::PoolAllocator<T>>;

/// A shape: xtensor's own shape type (a vector that keeps up to 4 sizes inline, so
/// taking or storing a shape allocates nothing). `{2, 3}` works everywhere, it compares
/// equal to a std::vector with the same sizes and converts from one.
using Shape = xt::svector<std::size_t, 4, std::allocator<std::size_t>, true>;
static_assert(std::is_same_v<Shape, typename Array<double>::shape_type>,
              "tg::Shape must be the shape type of tg::Array");

/// Axes, permutations and indices are plain vectors.
using Axes = std::vector<long>;
using Indices = std::vector<std::size_t>;

/// "(2, 3)" for a shape; "()" for a 0-d one.
template <class S>
std::string shape_str(const S& shape) {
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(shape[i]);
    }
    return s + ")";
}

}  // namespace tg
