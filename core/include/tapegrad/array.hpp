#pragma once
// The storage behind a tensor: an xtensor container over pooled memory.

#include <tapegrad/check.hpp>  // shape_str
#include <tapegrad/detail/pool.hpp>
#include <tapegrad/detail/storage.hpp>

#include <algorithm>
#include <cstddef>
#include <type_traits>
#include <vector>
#include <xtensor/xarray.hpp>

namespace tg {

/// The container a tensor's values live in: an xtensor row-major container (an
/// `xt::xarray` with another buffer type) whose buffer comes from tapegrad's per-thread
/// pool and may be shared with views (detail/storage.hpp); it converts to and from
/// `xt::xarray<T>`. Copying an Array copies its values.
template <class T>
using Array = xt::xarray_container<detail::SharedBuffer<T>, xt::layout_type::row_major,
                                   xt::svector<std::size_t, 4, std::allocator<std::size_t>, true>>;

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
    Shape(const Base& sizes) : Base(sizes) {}  // NOLINT
    /// From a std::vector of sizes.
    Shape(const std::vector<std::size_t>& sizes) : Base(sizes.begin(), sizes.end()) {}  // NOLINT
    /// As a std::vector of sizes.
    operator std::vector<std::size_t>() const { return {begin(), end()}; }  // NOLINT

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

namespace detail {

/// An Array of `shape` over elements [offset, offset + size of shape) of `source`'s
/// buffer, sharing it (no copy): the storage of a view.
template <class T, class S>
Array<T> alias(const Array<T>& source, const S& shape, std::size_t offset) {
    typename Array<T>::inner_shape_type sizes(shape.begin(), shape.end());
    typename Array<T>::inner_strides_type strides(sizes.size(), 0);
    std::size_t n = 1;
    for (std::size_t k = sizes.size(); k-- > 0;) {
        strides[k] = static_cast<std::ptrdiff_t>(n);
        n *= sizes[k];
    }
    return Array<T>(SharedBuffer<T>::alias(source.storage(), offset, n), std::move(sizes),
                    std::move(strides));
}

/// Whether two arrays lie in one memory block (one is a view of the other, or both are
/// views of a third). Empty arrays share nothing.
template <class T>
bool shares_memory(const Array<T>& a, const Array<T>& b) {
    return a.size() != 0 && b.size() != 0 && a.storage().block() == b.storage().block();
}

}  // namespace detail

}  // namespace tg
