#pragma once
// Raising errors: TG_CHECK(condition, ErrorType, parts...) throws ErrorType with the parts
// concatenated, formatting them only when the condition fails (PyTorch's TORCH_CHECK);
// the named checks several sites share; shape_str, a shape as a message writes it.
// Light on purpose (no xtensor): every source that raises includes it.

#include <tapegrad/error.hpp>

#include <cstddef>
#include <initializer_list>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

/// Throws `ErrorType(tg::detail::message(parts...))` when `condition` is false. The parts
/// (strings, string literals, chars, integers, shapes; see tg::detail::message) are
/// evaluated and formatted only then, so a check costs its condition and nothing else.
/// A condition with a top-level comma (a braced `Shape{a, b}`) needs parentheses.
#define TG_CHECK(condition, ErrorType, ...)                           \
    do {                                                              \
        if (!(condition)) ::tg::detail::fail<ErrorType>(__VA_ARGS__); \
    } while (false)

namespace tg {

/// "(2, 3)" for a shape; "()" for a 0-d one. Any sequence of integers with size() and []
/// works: tg::Shape, xtensor's shapes, a std::vector of sizes or axes.
template <class S>
std::string shape_str(const S& shape) {
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(shape[i]);
    }
    return s + ")";
}

namespace detail {

/// `parts` joined by `separator` ("a; b; c"): the problems a reader collected, in one message.
inline std::string join(const std::vector<std::string>& parts, const char* separator = "; ") {
    std::string out;
    for (const std::string& part : parts) out += (out.empty() ? "" : separator) + part;
    return out;
}

/// Whether P is a sequence of integers (a shape, a list of axes) that shape_str formats.
template <class P, class = void>
struct is_sizes : std::false_type {};
/// A type with size() whose [] gives an integer.
template <class P>
struct is_sizes<P, std::void_t<decltype(std::declval<const P&>().size()),
                               decltype(std::declval<const P&>()[std::size_t{0}])>>
    : std::is_integral<std::decay_t<decltype(std::declval<const P&>()[std::size_t{0}])>> {};

/// Appends one part of a message to `out`: a string or string literal as it is, a char
/// as one character, an integer as std::to_string writes it, a shape as shape_str does.
/// A floating-point part does not compile: std::to_string writes 6 decimals and a stream
/// the shortest form, and which one a message uses is part of its text, so the caller
/// formats it.
template <class P>
void append_part(std::string& out, const P& part) {
    if constexpr (std::is_floating_point_v<P>) {
        static_assert(!std::is_floating_point_v<P>,
                      "tg::detail::message: format a floating-point part yourself "
                      "(std::to_string(x), or a stream for the shortest form)");
    } else if constexpr (std::is_same_v<P, bool>) {
        static_assert(!std::is_same_v<P, bool>,
                      "tg::detail::message: write a bool part as words (b ? \"yes\" : \"no\")");
    } else if constexpr (std::is_same_v<P, char>) {
        out += part;
    } else if constexpr (std::is_integral_v<P>) {
        out += std::to_string(part);
    } else if constexpr (std::is_convertible_v<const P&, const std::string&>) {
        out += part;
    } else {
        static_assert(is_sizes<P>::value,
                      "tg::detail::message: a part is a string, a char, an integer or a shape");
        out += shape_str(part);
    }
}

/// The parts concatenated (see append_part), e.g.
/// `message(op, ": axis ", axis, " of shape ", x.shape(), " is empty")`.
template <class... Parts>
std::string message(const Parts&... parts) {
    std::string out;
    (append_part(out, parts), ...);
    return out;
}

/// Throws E(message(parts...)): the failure path of TG_CHECK, out of line of the caller.
/// The parts are taken by value (copied on failure only) so that string literals decay
/// to `const char*` and sites share instantiations whatever their lengths.
template <class E, class... Parts>
[[noreturn]] void fail(Parts... parts) {
    throw E(message(parts...));
}

/// A named setting and its value, for check_non_negative.
struct Setting {
    const char* name;  ///< as the option is spelled: "weight_decay"
    double value;      ///< its value
};

/// Throws tg::ValueError "OWNER: a (x), b (y) and c (z) must be >= 0" unless every value
/// is >= 0 (NaN is not); values as std::to_string writes them. The optimizers' options
/// and clip_grad_value_ use it.
void check_non_negative(const char* owner, std::initializer_list<Setting> settings);

}  // namespace detail
}  // namespace tg
