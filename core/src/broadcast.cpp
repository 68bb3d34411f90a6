#include <tapegrad/broadcast.hpp>
#include <tapegrad/check.hpp>

#include <algorithm>

namespace tg::detail {

Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b) {
    const std::size_t rank = std::max(a.size(), b.size());
    Shape out(rank);
    for (std::size_t i = 0; i < rank; ++i) {
        // Align from the right; missing leading dimensions count as 1.
        const std::size_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
        const std::size_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
        TG_CHECK(da == db || da == 1 || db == 1, ShapeError, op, ": shapes ", a, " and ", b,
                 " cannot be broadcast together (dimension ", i, ": ", da, " vs ", db,
                 "; sizes must be equal or 1, aligned from the right)");
        out[i] = da == 1 ? db : da;
    }
    return out;
}

bool broadcasts_to(const Shape& from, const Shape& to) {
    if (from.size() > to.size()) return false;
    const std::size_t offset = to.size() - from.size();
    for (std::size_t i = 0; i < from.size(); ++i)
        if (from[i] != 1 && from[i] != to[i + offset]) return false;
    return true;
}

std::size_t normalize_axis(const char* op, long axis, std::size_t rank) {
    const long r = static_cast<long>(rank);
    TG_CHECK(axis >= -r && axis < r, ValueError, op, ": axis ", axis,
             " is out of range for a tensor of rank ", rank, " (valid: ", -r, " to ", r - 1, ")");
    return static_cast<std::size_t>(axis < 0 ? axis + r : axis);
}

}  // namespace tg::detail
