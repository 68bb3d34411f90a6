#pragma once
// The per-axis sizes of convolution and pooling (kernel, stride, padding, dilation), as
// PyTorch's "an int or a (height, width) tuple" arguments.

#include <cstddef>
#include <string>

namespace tg {

/// A size for each spatial axis: `2` means (2, 2), `{3, 1}` height 3 and width 1. The 1-D
/// ops (conv1d, max_pool1d, ...) use the width. A default-constructed Size2 is (0, 0),
/// which the pooling ops read as "no stride given" (PyTorch's None: the kernel size).
struct Size2 {
    std::size_t h = 0;  ///< height (rows)
    std::size_t w = 0;  ///< width (columns)
    /// (0, 0).
    constexpr Size2() = default;
    /// The same size on both axes.
    constexpr Size2(std::size_t both) : h(both), w(both) {}  // NOLINT: implicit as in PyTorch
    /// (height, width).
    constexpr Size2(std::size_t height, std::size_t width) : h(height), w(width) {}
};

/// "3" for (3, 3), "(3, 1)" otherwise: as PyTorch prints a layer's sizes.
inline std::string to_string(Size2 s) {
    return s.h == s.w ? std::to_string(s.h)
                      : "(" + std::to_string(s.h) + ", " + std::to_string(s.w) + ")";
}

}  // namespace tg
