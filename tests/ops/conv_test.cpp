// Convolutions (<tapegrad/ops/conv.hpp>): forward values against direct nested loops on
// random shapes (odd sizes, stride > 1, padding, dilation, groups > 1, batch > 1) in float
// and double, conv_transpose2d as conv2d's adjoint, and the errors, which name the op and
// the shapes and record nothing. (Their gradchecks are rows of op_table.cpp.)

#include "op_test_util.hpp"

#include <tapegrad/ops/conv.hpp>

#include <vector>

namespace tg::test {
namespace {

using Array4 = xt::xarray<double>;

/// y[n, o, i, j] = b[o] + Σ_{c, p, q} w[o, c, p, q] x[n, g·C_g + c, i·s − pad + p·d, j·s − pad + q·d]
/// with o in group g, by loops.
Array4 loop_conv2d(const Array4& x, const Array4& w, const Array4* b, Size2 s, Size2 pad, Size2 d,
                   std::size_t groups) {
    const std::size_t n = x.shape()[0], h = x.shape()[2], wd = x.shape()[3];
    const std::size_t out_c = w.shape()[0], cg = w.shape()[1], kh = w.shape()[2], kw = w.shape()[3];
    const std::size_t ho = (h + 2 * pad.h - d.h * (kh - 1) - 1) / s.h + 1;
    const std::size_t wo = (wd + 2 * pad.w - d.w * (kw - 1) - 1) / s.w + 1;
    Array4 y = Array4::from_shape({n, out_c, ho, wo});
    for (std::size_t b_ = 0; b_ < n; ++b_)
        for (std::size_t o = 0; o < out_c; ++o) {
            const std::size_t g = o / (out_c / groups);
            for (std::size_t i = 0; i < ho; ++i)
                for (std::size_t j = 0; j < wo; ++j) {
                    double sum = b ? (*b)(o) : 0.0;
                    for (std::size_t c = 0; c < cg; ++c)
                        for (std::size_t p = 0; p < kh; ++p)
                            for (std::size_t q = 0; q < kw; ++q) {
                                const long ih = long(i * s.h + p * d.h) - long(pad.h);
                                const long iw = long(j * s.w + q * d.w) - long(pad.w);
                                if (ih < 0 || iw < 0 || ih >= long(h) || iw >= long(wd)) continue;
                                sum += w(o, c, p, q) *
                                       x(b_, g * cg + c, std::size_t(ih), std::size_t(iw));
                            }
                    y(b_, o, i, j) = sum;
                }
        }
    return y;
}

/// Each x[n, c, i, j] times w[c, o, p, q] added into y[n, g·O_g + o, i·s − pad + p·d, ...]
/// (c in group g), plus the bias, by loops: PyTorch's conv_transpose2d.
Array4 loop_conv_transpose2d(const Array4& x, const Array4& w, const Array4* b, Size2 s, Size2 pad,
                             Size2 extra, std::size_t groups, Size2 d) {
    const std::size_t n = x.shape()[0], in_c = x.shape()[1], h = x.shape()[2], wd = x.shape()[3];
    const std::size_t og = w.shape()[1], kh = w.shape()[2], kw = w.shape()[3];
    const std::size_t ho = (h - 1) * s.h - 2 * pad.h + d.h * (kh - 1) + extra.h + 1;
    const std::size_t wo = (wd - 1) * s.w - 2 * pad.w + d.w * (kw - 1) + extra.w + 1;
    Array4 y = Array4::from_shape({n, og * groups, ho, wo});
    for (std::size_t b_ = 0; b_ < n; ++b_)
        for (std::size_t o = 0; o < og * groups; ++o)
            for (std::size_t i = 0; i < ho; ++i)
                for (std::size_t j = 0; j < wo; ++j) y(b_, o, i, j) = b ? (*b)(o) : 0.0;
    for (std::size_t b_ = 0; b_ < n; ++b_)
        for (std::size_t c = 0; c < in_c; ++c) {
            const std::size_t g = c / (in_c / groups);
            for (std::size_t i = 0; i < h; ++i)
                for (std::size_t j = 0; j < wd; ++j)
                    for (std::size_t o = 0; o < og; ++o)
                        for (std::size_t p = 0; p < kh; ++p)
                            for (std::size_t q = 0; q < kw; ++q) {
                                const long oh = long(i * s.h + p * d.h) - long(pad.h);
                                const long ow = long(j * s.w + q * d.w) - long(pad.w);
                                if (oh < 0 || ow < 0 || oh >= long(ho) || ow >= long(wo)) continue;
                                y(b_, g * og + o, std::size_t(oh), std::size_t(ow)) +=
                                    x(b_, c, i, j) * w(c, o, p, q);
                            }
        }
    return y;
}

template <class T>
xt::xarray<T> cast(const Array4& a) {
    xt::xarray<T> out = xt::xarray<T>::from_shape(a.shape());
    std::copy(a.begin(), a.end(), out.begin());
    return out;
}

/// One convolution's geometry: input (n, c, h, w), out_c channels, kernel, arguments.
struct ConvCase {
    const char* name;
    Shape input;
    std::size_t out_channels;
    Size2 kernel, stride, padding, dilation;
    std::size_t groups;
    bool bias;
};

std::vector<ConvCase> conv_cases() {
    return {
        {"plain", {1, 1, 5, 5}, 1, 3, 1, 0, 1, 1, false},
        {"odd_batch_bias", {3, 2, 7, 9}, 3, {3, 2}, 1, 0, 1, 1, true},
        {"stride_padding", {2, 3, 9, 8}, 4, 3, {2, 3}, {1, 2}, 1, 1, true},
        {"dilation", {2, 2, 11, 10}, 3, 3, 1, 2, {2, 3}, 1, false},
        {"groups", {2, 6, 7, 7}, 4, {3, 1}, 2, 1, 1, 2, true},
        {"depthwise", {3, 4, 6, 5}, 8, 3, 1, 1, 1, 4, true},
        {"everything", {2, 6, 13, 11}, 9, {3, 4}, {3, 2}, {2, 1}, {2, 2}, 3, true},
        {"kernel_1x1", {4, 5, 3, 4}, 2, 1, 1, 0, 1, 1, true},
        {"kernel_covers_input", {2, 3, 4, 4}, 2, {4, 4}, 1, 0, 1, 1, false},
        {"benchmark_like", {2, 8, 28, 28}, 8, 3, 1, 1, 1, 1, true},
        // more than 16 output columns: im2col's row-run path (narrower outputs use a table)
        {"wide_stride_dilation", {2, 3, 7, 40}, 4, 3, 2, {1, 2}, {1, 2}, 1, true},
    };
}

template <class T>
void check_conv2d(const ConvCase& c, double rtol) {
    SCOPED_TRACE(c.name);
    std::mt19937_64 rng(seed_of(c.name));
    const Array4 x = random_array<double>(c.input, rng);
    const Array4 w =
        random_array<double>({c.out_channels, c.input[1] / c.groups, c.kernel.h, c.kernel.w}, rng);
    const Array4 b = random_array<double>({c.out_channels}, rng);
    // The loops run on the values the op sees (rounded to T).
    const Array4 xr = cast<double>(cast<T>(x)), wr = cast<double>(cast<T>(w)),
                 br = cast<double>(cast<T>(b));
    const Tensor<T> y = conv2d(Tensor<T>(cast<T>(x)), Tensor<T>(cast<T>(w)),
                               c.bias ? Tensor<T>(cast<T>(b)) : Tensor<T>(), c.stride, c.padding,
                               c.dilation, c.groups);
    EXPECT_TRUE(all_close(y,
                          cast<T>(loop_conv2d(xr, wr, c.bias ? &br : nullptr, c.stride, c.padding,
                                              c.dilation, c.groups)),
                          rtol, rtol));
}

TEST(Conv, Conv2dMatchesLoops) {
    for (const ConvCase& c : conv_cases()) {
        check_conv2d<double>(c, 1e-12);
        check_conv2d<float>(c, 1e-4);
    }
}

template <class T>
void check_conv1d(double rtol) {
    std::mt19937_64 rng(seed_of("conv1d"));
    // (N, C, L) = (3, 4, 17), 6 out channels, k = 3, stride 2, padding 2, dilation 2, groups 2.
    const Array4 x = random_array<double>({3, 4, 17}, rng),
                 w = random_array<double>({6, 2, 3}, rng), b = random_array<double>({6}, rng);
    const Tensor<T> y =
        conv1d(Tensor<T>(cast<T>(x)), Tensor<T>(cast<T>(w)), Tensor<T>(cast<T>(b)), 2, 2, 2, 2);
    Array4 x4 = cast<double>(cast<T>(x)), w4 = cast<double>(cast<T>(w));
    x4.reshape(std::vector<std::size_t>{3, 4, 1, 17});
    w4.reshape(std::vector<std::size_t>{6, 2, 1, 3});
    const Array4 br = cast<double>(cast<T>(b));
    Array4 expected = loop_conv2d(x4, w4, &br, {1, 2}, {0, 2}, {1, 2}, 2);
    expected.reshape(std::vector<std::size_t>{3, 6, expected.shape()[3]});
    EXPECT_EQ(y.shape(), (Shape{3, 6, 9}));  // ⌊(17 + 4 − 4 − 1) / 2⌋ + 1
    EXPECT_TRUE(all_close(y, cast<T>(expected), rtol, rtol));
}

TEST(Conv, Conv1dMatchesLoops) {
    check_conv1d<double>(1e-12);
    check_conv1d<float>(1e-4);
}

/// A transposed convolution: input (n, c, h, w), out_c channels, kernel, arguments.
struct TransposeCase {
    const char* name;
    Shape input;
    std::size_t out_channels;
    Size2 kernel, stride, padding, output_padding;
    std::size_t groups;
    Size2 dilation;
    bool bias;
};

std::vector<TransposeCase> transpose_cases() {
    return {
        {"plain", {1, 1, 3, 3}, 1, 3, 1, 0, 0, 1, 1, false},
        {"stride_padding_bias", {2, 3, 5, 4}, 2, 3, 2, 1, 0, 1, 1, true},
        {"output_padding", {3, 2, 4, 5}, 3, {3, 2}, {2, 3}, {1, 0}, {1, 2}, 1, 1, true},
        {"groups_dilation", {2, 4, 5, 3}, 6, 3, {1, 2}, {2, 1}, 0, 2, {2, 1}, true},
        {"output_padding_below_dilation", {2, 2, 3, 4}, 2, 2, 1, 0, {1, 0}, 1, {2, 1}, false},
    };
}

template <class T>
void check_conv_transpose2d(const TransposeCase& c, double rtol) {
    SCOPED_TRACE(c.name);
    std::mt19937_64 rng(seed_of(c.name));
    const Array4 x = cast<double>(cast<T>(random_array<double>(c.input, rng)));
    const Array4 w = cast<double>(cast<T>(random_array<double>(
        {c.input[1], c.out_channels / c.groups, c.kernel.h, c.kernel.w}, rng)));
    const Array4 b = cast<double>(cast<T>(random_array<double>({c.out_channels}, rng)));
    const Tensor<T> y = conv_transpose2d(Tensor<T>(cast<T>(x)), Tensor<T>(cast<T>(w)),
                                         c.bias ? Tensor<T>(cast<T>(b)) : Tensor<T>(), c.stride,
                                         c.padding, c.output_padding, c.groups, c.dilation);
    EXPECT_TRUE(
        all_close(y,
                  cast<T>(loop_conv_transpose2d(x, w, c.bias ? &b : nullptr, c.stride, c.padding,
                                                c.output_padding, c.groups, c.dilation)),
                  rtol, rtol));
}

TEST(Conv, ConvTranspose2dMatchesLoops) {
    for (const TransposeCase& c : transpose_cases()) {
        check_conv_transpose2d<double>(c, 1e-12);
        check_conv_transpose2d<float>(c, 1e-4);
    }
}

TEST(Conv, ConvTranspose2dIsTheAdjointOfConv2d) {
    // <conv2d(x, w), u> = <x, conv_transpose2d(u, w)> with the same stride, padding,
    // dilation and groups.
    std::mt19937_64 rng(seed_of("adjoint"));
    const Tensor<> x(random_array<double>({2, 4, 9, 8}, rng));
    const Tensor<> w(random_array<double>({6, 2, 3, 2}, rng));
    const Size2 stride{2, 1}, padding{1, 1}, dilation{1, 2};
    const Tensor<> y = conv2d(x, w, {}, stride, padding, dilation, 2);
    const Tensor<> u(random_array<double>(y.shape(), rng));
    const Tensor<> back = conv_transpose2d(u, w, {}, stride, padding, 0, 2, dilation);
    ASSERT_EQ(back.shape(), x.shape());
    EXPECT_NEAR(sum(y * u).item(), sum(x * back).item(), 1e-10);
}

Tensor<> zeros_of(const Shape& s) { return zeros(s, true); }

TEST(Conv, ErrorsNameTheOpAndTheShapesAndRecordNothing) {
    const Tensor<> x = zeros_of({2, 6, 5, 5});
    expect_error<ShapeError>(
        [&] {
            conv2d(zeros_of({6, 5, 5}), zeros_of({4, 6, 3, 3}));
        },
        "conv2d: expected a 4-D input (N, C, H, W), got shape (6, 5, 5)");
    expect_error<ShapeError>(
        [&] {
            conv2d(x, zeros_of({4, 6, 3}));
        },
        "conv2d: expected a 4-D weight (C_out, C_in / groups, kH, kW), got shape (4, 6, 3)");
    expect_error<ShapeError>(
        [&] {
            conv2d(x, zeros_of({4, 2, 3, 3}), {}, 1, 0, 1, 4);
        },
        "conv2d: the input's 6 channels (input shape (2, 6, 5, 5)) are not "
        "divisible by groups 4");
    expect_error<ShapeError>(
        [&] {
            conv2d(x, zeros_of({5, 3, 3, 3}), {}, 1, 0, 1, 2);
        },
        "conv2d: the weight's 5 output channels (weight shape (5, 3, 3, 3)) "
        "are not divisible by groups 2");
    expect_error<ShapeError>(
        [&] {
            conv2d(x, zeros_of({4, 4, 3, 3}), {}, 1, 0, 1, 2);
        },
        "conv2d: weight of shape (4, 4, 3, 3) with groups 2 expects 8 input "
        "channels (weight.shape[1] * groups), got input of shape "
        "(2, 6, 5, 5) with 6");
    expect_error<ShapeError>(
        [&] {
            conv2d(x, zeros_of({4, 6, 3, 3}), zeros_of({3}));
        },
        "conv2d: expected a bias of shape (4), got shape (3)");
    expect_error<ShapeError>(
        [&] {
            conv2d(x, zeros_of({4, 6, 4, 4}), {}, 1, 0, 2);
        },
        "conv2d: input of shape (2, 6, 5, 5) is too small for the kernel: "
        "padded size (5, 5), dilated kernel size (7, 7)");
    expect_error<ValueError>(
        [&] {
            conv2d(x, zeros_of({4, 6, 3, 3}), {}, {1, 0});
        },
        "conv2d: stride must be at least 1, got (1, 0)");
    expect_error<ValueError>(
        [&] {
            conv2d(x, zeros_of({4, 6, 3, 3}), {}, 1, 0, 1, 0);
        },
        "conv2d: groups must be at least 1, got 0");
    expect_error<ShapeError>(
        [&] {
            conv1d(x, zeros_of({4, 6, 3}));
        },
        "conv1d: expected a 3-D input (N, C, L), got shape (2, 6, 5, 5)");
    expect_error<ShapeError>(
        [&] {
            conv1d(zeros_of({2, 6, 4}), zeros_of({4, 6, 5}), {}, 1, 0);
        },
        "conv1d: input of shape (2, 6, 4) is too small for the kernel: "
        "padded size (4), dilated kernel size (5)");
    expect_error<ShapeError>(
        [&] {
            conv_transpose2d(x, zeros_of({4, 2, 3, 3}));
        },
        "conv_transpose2d: weight of shape (4, 2, 3, 3) expects 4 input "
        "channels (weight.shape[0]), got input of shape (2, 6, 5, 5) with 6");
    expect_error<ValueError>(
        [&] {
            conv_transpose2d(x, zeros_of({6, 2, 3, 3}), {}, 2, 0, {2, 1});
        },
        "conv_transpose2d: output_padding (2, 1) must be smaller than the stride (2, 2) or the "
        "dilation (1, 1) on each axis");
    expect_error<ShapeError>(
        [&] {
            conv_transpose2d(zeros_of({1, 6, 1, 1}), zeros_of({6, 2, 1, 1}), {}, 1, 1);
        },
        "conv_transpose2d: input of shape (1, 6, 1, 1) gives an empty output: (H_out, W_out) = "
        "(-1, -1)");
    expect_error<ShapeError>(
        [&] {
            conv_transpose2d(x, zeros_of({6, 2, 3, 3}), zeros_of({2}), 1, 0, 0, 3);
        },
        "conv_transpose2d: expected a bias of shape (6), got shape (2)");
}

}  // namespace
}  // namespace tg::test
