#pragma once
// The sliding-window pair behind convolution and pooling (ops/src/conv.cpp, pool.cpp):
//
//     im2col: cols[(c, i, j), (n, oh, ow)] = x[n, c, oh·s − p + i·d, ow·s − p + j·d]
//             (pad_value where that reads outside x)      d/dx = col2im(g)
//     col2im: y[n, c, h, w] = Σ of the cols entries that im2col reads from (n, c, h, w)
//                                                           d/dcols = im2col(g, 0)
//
// Both are linear (im2col affine with a nonzero pad value) and each is the other's
// adjoint, so both are recorded and each is the other's backward: every op made of
// them and of gemm, reshape and permute has second derivatives for free.
//
// The columns are (C·kh·kw, N·Ho·Wo): one GEMM of a (C_out, C·kh·kw) weight matrix with
// them computes a whole batch (rows channel-major, so the rows of a group of channels
// are contiguous); channels_first puts the result back into NCHW.

#include <tapegrad/ops/size2.hpp>
#include <tapegrad/tensor.hpp>

#include <cstddef>
#include <string>

namespace tg::detail {

/// One spatial axis of a sliding window.
struct WindowAxis {
    std::size_t in = 1;        ///< the input's size on this axis, before padding
    std::size_t kernel = 1;    ///< taps of the window
    std::size_t stride = 1;    ///< step between window positions
    std::size_t padding = 0;   ///< implicit entries on both sides
    std::size_t dilation = 1;  ///< step between taps
    std::size_t out = 1;       ///< number of window positions
};

/// The windows over a (batch, channels, h.in, w.in) tensor.
struct Windows {
    std::size_t batch = 0;     ///< N
    std::size_t channels = 0;  ///< C
    WindowAxis h;              ///< height
    WindowAxis w;              ///< width
};

/// ⌊(in + 2p − d·(k − 1) − 1) / s⌋ + 1 positions (PyTorch's output size); with ceil_mode
/// the division rounds up, less the last position when it would start past in + p (in
/// the right padding), as PyTorch's pooling_output_shape; 0 when the dilated kernel does
/// not fit in the padded input. A window past the padding reads the pad value there.
std::size_t window_positions(std::size_t in, std::size_t kernel, std::size_t stride,
                             std::size_t padding, std::size_t dilation, bool ceil_mode = false);

/// "(h, w)" for a 2-D op, "(w)" for a 1-D one (its height axis is the inserted 1).
std::string sizes_str(Size2 s, std::size_t spatial_dims);

/// Checks an input `shape` of rank spatial_dims + 2 (NCL or NCHW) and a kernel, stride and
/// dilation of at least 1 on each axis; the errors name `op`.
void check_window_args(const char* op, const Shape& shape, std::size_t spatial_dims, Size2 kernel,
                       Size2 stride, Size2 dilation);

/// The windows of a convolution or pooling `op` over an input of `shape` (rank
/// spatial_dims + 2: NCL or NCHW), checked: the rank, kernel, stride and dilation at least
/// 1, and the dilated kernel fitting in the padded input. Errors name `op` and `shape`.
/// A 1-D op's sizes are on the width axis (height 1). ceil_mode as window_positions.
Windows make_windows(const char* op, const Shape& shape, std::size_t spatial_dims, Size2 kernel,
                     Size2 stride, Size2 padding, Size2 dilation, bool ceil_mode = false);

/// The columns of x (N, C, H, W) for `windows`: (C·kh·kw, N·Ho·Wo), or, by_channel, the
/// same entries as (C, kh·kw, N·Ho·Wo) (pooling's windows along axis 1, without a reshape,
/// which would copy them); recorded as "im2col".
template <class T>
Tensor<T> im2col(const Tensor<T>& x, const Windows& windows, T pad_value, bool by_channel = false);

/// The adjoint of im2col: columns (C·kh·kw, N·Ho·Wo) or (C, kh·kw, N·Ho·Wo) summed back
/// into (N, C, H, W), recorded as "col2im".
template <class T>
Tensor<T> col2im(const Tensor<T>& cols, const Windows& windows);

/// y (C, N·Ho·Wo), rows in the columns' order, as (N, C, Ho, Wo), recorded as
/// "channels_first"; its backward is channels_last.
template <class T>
Tensor<T> channels_first(const Tensor<T>& y, std::size_t batch, std::size_t height,
                         std::size_t width);

/// The inverse: x (N, C, H, W) as (C, N·H·W), recorded as "channels_last"; its backward is
/// channels_first.
template <class T>
Tensor<T> channels_last(const Tensor<T>& x);

}  // namespace tg::detail
