#pragma once
// numpy broadcasting rules, shared by every elementwise op and by sum_to.

#include <tapegrad/array.hpp>

namespace tg::detail {

/// The broadcast shape of `a` and `b` (numpy rules: align from the right; each pair of
/// sizes is equal or one of them is 1). Throws tg::ShapeError naming `op` and both shapes.
Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b);

/// Whether `from` broadcasts to exactly `to`.
bool broadcasts_to(const Shape& from, const Shape& to);

/// Normalizes a possibly negative axis for a tensor of `rank` dimensions; throws
/// tg::ValueError naming `op` when it is out of range.
std::size_t normalize_axis(const char* op, long axis, std::size_t rank);

}  // namespace tg::detail
