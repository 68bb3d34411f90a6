#include <tapegrad/broadcast.hpp>
#include <tapegrad/error.hpp>

#include <algorithm>

namespace tg::detail {

Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b) {
    const std::size_t rank = std::max(a.size(), b.size());
    Shape out(rank);
    for (std::size_t i = 0; i < rank; ++i) {
        // Align from the right; missing leading dimensions count as 1.
        const std::size_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
        const std::size_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
        if (da != db && da != 1 && db != 1)
            throw ShapeError(std::string(op) + ": shapes " + shape_str(a) + " and " + shape_str(b) +
                             " cannot be broadcast together (dimension " + std::to_string(i) +
                             ": " + std::to_string(da) + " vs " + std::to_string(db) +
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
    if (axis < -r || axis >= r)
        throw ValueError(std::string(op) + ": axis " + std::to_string(axis) +
                         " is out of range for a tensor of rank " + std::to_string(rank) +
                         " (valid: " + std::to_string(-r) + " to " + std::to_string(r - 1) + ")");
    return static_cast<std::size_t>(axis < 0 ? axis + r : axis);
}

}  // namespace tg::detail
