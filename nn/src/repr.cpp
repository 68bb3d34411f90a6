#include <tapegrad/nn/repr.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace tg::nn {

namespace {

/// Python's float_repr_style 'short': the shortest "%.*e" that round-trips through
/// `parse` (strtod or strtof), laid out as Python's repr lays it out.
template <class F, class Parse>
std::string shortest(F value, Parse parse) {
    if (std::isnan(value)) return "nan";
    if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
    char buf[48];
    for (int precision = 0; precision < 17; ++precision) {
        std::snprintf(buf, sizeof buf, "%.*e", precision, static_cast<double>(value));
        if (parse(buf) == value) break;
    }
    // buf is "[-]d[.ddd]e±XX": the digits D and the exponent e of d.ddd × 10^e.
    std::string s(buf);
    std::string sign;
    if (s[0] == '-') {
        sign = "-";
        s.erase(0, 1);
    }
    const std::size_t e_at = s.find('e');
    const int exponent = std::atoi(s.c_str() + e_at + 1);
    std::string digits = s.substr(0, e_at);
    if (digits.size() > 1) digits.erase(1, 1);  // the decimal point
    if (exponent < -4 || exponent >= 16) {
        std::string mantissa = digits.substr(0, 1);
        if (digits.size() > 1) mantissa += "." + digits.substr(1);
        char tail[16];  // "e-308" at most; room for any int keeps -Wformat-truncation quiet
        std::snprintf(tail, sizeof tail, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
        return sign + mantissa + tail;
    }
    if (exponent < 0) return sign + "0." + std::string(-exponent - 1, '0') + digits;
    const std::size_t whole = static_cast<std::size_t>(exponent) + 1;
    if (digits.size() <= whole)
        return sign + digits + std::string(whole - digits.size(), '0') + ".0";
    return sign + digits.substr(0, whole) + "." + digits.substr(whole);
}

}  // namespace

std::string repr(double value) {
    return shortest(value, [](const char* s) { return std::strtod(s, nullptr); });
}

std::string repr(float value) {
    return shortest(value, [](const char* s) { return std::strtof(s, nullptr); });
}

std::string repr(bool value) { return value ? "True" : "False"; }

}  // namespace tg::nn
