#include <tapegrad/print.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <ostream>
#include <string>
#include <type_traits>
#include <vector>

namespace tg {
namespace {

constexpr std::size_t kLineWidth = 75;         // numpy's linewidth
constexpr std::size_t kSummarizeAbove = 1000;  // numpy's threshold
constexpr std::size_t kEdgeItems = 3;          // numpy's edgeitems
constexpr int kPrecision = 8;                  // numpy's precision

std::string formatted(const char* format, int digits, double v) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, format, digits, v);
    return buffer;
}

/// How many decimals (fixed) or mantissa digits (scientific) `v` needs, at most 8.
int digits_needed(double v, bool scientific) {
    const std::string s = formatted(scientific ? "%.*e" : "%.*f", kPrecision, v);
    const std::size_t point = s.find('.');
    const std::size_t end = scientific ? s.find('e') : s.size();
    std::size_t last = end;
    while (last > point + 1 && s[last - 1] == '0') --last;
    return static_cast<int>(last - point - 1);
}

/// One format for every element, as numpy chooses it.
class ElementFormat {
public:
    explicit ElementFormat(const std::vector<double>& shown) {
        double largest = 0, smallest = INFINITY;
        for (double v : shown)
            if (std::isfinite(v) && v != 0) {
                largest = std::max(largest, std::fabs(v));
                smallest = std::min(smallest, std::fabs(v));
            }
        scientific_ =
            largest >= 1e8 || (largest > 0 && (smallest < 1e-4 || largest / smallest > 1e3));
        for (double v : shown)
            if (std::isfinite(v)) digits_ = std::max(digits_, digits_needed(v, scientific_));
        for (double v : shown) width_ = std::max(width_, text(v).size());
    }
    /// The element, right-aligned to the common width.
    std::string operator()(double v) const {
        const std::string s = text(v);
        return std::string(width_ - s.size(), ' ') + s;
    }

private:
    std::string text(double v) const {
        if (std::isnan(v)) return "nan";
        if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
        if (scientific_) return formatted("%#.*e", digits_, v);
        // Fixed: trailing zeros become spaces, so that the points line up ("1. ", "2.5").
        std::string s = formatted("%#.*f", digits_, v);
        std::size_t last = s.size();
        while (s[last - 1] == '0') --last;
        return s.substr(0, last) + std::string(s.size() - last, ' ');
    }

    bool scientific_ = false;
    int digits_ = 0;
    std::size_t width_ = 0;
};

/// Index tensors: whole numbers right-aligned to the widest, as torch prints int64.
class IntegerFormat {
public:
    explicit IntegerFormat(const std::vector<std::int64_t>& shown) {
        for (std::int64_t v : shown) width_ = std::max(width_, std::to_string(v).size());
    }
    /// The element, right-aligned to the common width.
    std::string operator()(std::int64_t v) const {
        const std::string s = std::to_string(v);
        return std::string(width_ - s.size(), ' ') + s;
    }

private:
    std::size_t width_ = 0;
};

/// The positions printed along an axis of length n: all, or the first and last 3 with a
/// gap (SIZE_MAX) between them.
std::vector<std::size_t> shown_positions(std::size_t n, bool summarize) {
    std::vector<std::size_t> at;
    if (!summarize || n <= 2 * kEdgeItems) {
        for (std::size_t i = 0; i < n; ++i) at.push_back(i);
        return at;
    }
    for (std::size_t i = 0; i < kEdgeItems; ++i) at.push_back(i);
    at.push_back(SIZE_MAX);
    for (std::size_t i = n - kEdgeItems; i < n; ++i) at.push_back(i);
    return at;
}

template <class T>
class Printer {
    /// The elements as the format takes them: int64 stays exact, floats go through double.
    using Element = std::conditional_t<std::is_integral_v<T>, std::int64_t, double>;
    using Format = std::conditional_t<std::is_integral_v<T>, IntegerFormat, ElementFormat>;

public:
    /// `indent`: the prefix's width ("tensor("); `width`: the line width left after the
    /// suffix (numpy's repr subtracts ")" or ", dtype=float32)" from its 75).
    Printer(const Array<T>& v, std::size_t indent, std::size_t width)
        : v_(v), indent_(indent), width_(width) {
        summarize_ = v.size() > kSummarizeAbove;
        std::vector<Element> shown;
        collect(0, 0, shown);
        format_ = std::make_unique<Format>(shown);
    }
    std::string print() { return v_.dimension() == 0 ? (*format_)(*v_.data()) : block(0, 0); }

private:
    std::size_t stride(std::size_t axis) const {
        std::size_t s = 1;
        for (std::size_t k = axis + 1; k < v_.dimension(); ++k) s *= v_.shape()[k];
        return s;
    }
    void collect(std::size_t axis, std::size_t offset, std::vector<Element>& out) const {
        if (axis == v_.dimension()) return out.push_back(static_cast<Element>(v_.data()[offset]));
        for (std::size_t i : shown_positions(v_.shape()[axis], summarize_))
            if (i != SIZE_MAX) collect(axis + 1, offset + i * stride(axis), out);
    }
    /// "[...]" for the sub-array at `offset` from `axis` on.
    std::string block(std::size_t axis, std::size_t offset) const {
        const std::size_t rank = v_.dimension();
        const std::string pad(indent_ + axis + 1, ' ');
        std::string out = "[";
        if (axis + 1 == rank) {  // the last axis: elements, wrapped at the line width
            // numpy's rule: an element fits when the line with it stays within the width
            // less one ']' per enclosing axis, and less its ',' unless it is the last.
            std::size_t column = indent_ + axis + 1;
            const std::vector<std::size_t> positions =
                shown_positions(v_.shape()[axis], summarize_);
            for (std::size_t k = 0; k < positions.size(); ++k) {
                const std::size_t i = positions[k];
                const std::string item =
                    i == SIZE_MAX ? "..." : (*format_)(static_cast<Element>(v_.data()[offset + i]));
                const std::size_t limit = width_ - axis - (k + 1 < positions.size() ? 1 : 0);
                if (k > 0) {
                    out += ",";
                    if (column + 2 + item.size() > limit) {
                        out += "\n" + pad;
                        column = pad.size();
                    } else {
                        out += " ";
                        column += 2;
                    }
                }
                out += item;
                column += item.size();
            }
            return out + "]";
        }
        // Rows of a matrix one per line; blocks of higher axes separated by blank lines.
        const std::string separator = "," + std::string(rank - axis - 1, '\n') + pad;
        bool first = true;
        for (std::size_t i : shown_positions(v_.shape()[axis], summarize_)) {
            if (!first) out += separator;
            out += i == SIZE_MAX ? "..." : block(axis + 1, offset + i * stride(axis));
            first = false;
        }
        return out + "]";
    }

    const Array<T>& v_;
    std::size_t indent_, width_;
    bool summarize_ = false;
    std::unique_ptr<Format> format_;
};

}  // namespace

template <class T>
std::string to_string(const Tensor<T>& t) {
    if (!t.defined()) return "tensor(undefined)";
    // An empty tensor shows its shape, as torch does: tensor([], size=(0, 3)).
    const std::string prefix = "tensor(";
    std::string suffix = std::is_same_v<T, float> ? ", dtype=float32" : "";
    if (t.requires_grad()) suffix += ", requires_grad=True";
    suffix += ")";
    const std::size_t width = kLineWidth > suffix.size() + 20 ? kLineWidth - suffix.size() : 20;
    if (t.size() == 0) return prefix + "[], size=" + shape_str(t.shape()) + suffix;
    return prefix + Printer<T>(t.value(), prefix.size(), width).print() + suffix;
}

template <class T>
std::ostream& operator<<(std::ostream& out, const Tensor<T>& t) {
    return out << to_string(t);
}

template std::string to_string<float>(const Tensor<float>&);
template std::string to_string<double>(const Tensor<double>&);
template std::ostream& operator<<(std::ostream&, const Tensor<float>&);
template std::ostream& operator<<(std::ostream&, const Tensor<double>&);
template std::string to_string<std::int64_t>(const Tensor<std::int64_t>&);
template std::ostream& operator<<(std::ostream&, const Tensor<std::int64_t>&);

}  // namespace tg
