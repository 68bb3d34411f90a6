#pragma once
// Numbers and flags as Python prints them, so that a module's describe() prints its
// arguments as its PyTorch twin's repr does: `p=0.2` (not 0.200000), `alpha=1.0`,
// `eps=1e-05`, `bias=True`. The one place tg::nn formats a real number or a bool in a
// describe(); a module of your own can use it too:
//
//     std::string describe() const override { return "Scale(s=" + tg::nn::repr(s_) + ")"; }

#include <string>

namespace tg::nn {

/// Python's repr of a float: the fewest significant digits that read back as the same
/// double, fixed notation for exponents -4..15 with at least one decimal ("1.0", "0.2",
/// "0.0001"), else scientific with a signed two-digit exponent ("1e-05", "1.5e+16");
/// "nan", "inf", "-inf".
std::string repr(double value);
/// The same for a float: the fewest digits that read back as the same float (0.01f prints
/// "0.01", as PyTorch prints the Python float the user passed).
std::string repr(float value);
/// "True" or "False".
std::string repr(bool value);

}  // namespace tg::nn
