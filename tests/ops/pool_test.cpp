// Pooling (<tapegrad/ops/pool.hpp>): forward values against direct nested loops (odd
// sizes, stride other than the kernel, padding, dilation, batch > 1) in float and double,
// where max pooling sends its gradient, and the errors, which name the op and the shapes
// and record nothing. (Their gradchecks are rows of op_table.cpp.)

#include "op_test_util.hpp"

#include <tapegrad/ops/pool.hpp>

#include <algorithm>
#include <limits>
#include <vector>

namespace tg::test {
namespace {

using Array4 = xt::xarray<double>;

enum class Mode { max, avg, avg_inside };

/// Pooling by loops: each output is the max or the mean of its window's entries inside x
/// (avg divides by kh·kw, avg_inside by the number of entries inside).
Array4 loop_pool2d(const Array4& x, Size2 k, Size2 s, Size2 pad, Size2 d, Mode mode) {
    const std::size_t n = x.shape()[0], ch = x.shape()[1], h = x.shape()[2], w = x.shape()[3];
    const std::size_t ho = (h + 2 * pad.h - d.h * (k.h - 1) - 1) / s.h + 1;
    const std::size_t wo = (w + 2 * pad.w - d.w * (k.w - 1) - 1) / s.w + 1;
    Array4 y = Array4::from_shape({n, ch, ho, wo});
    for (std::size_t b = 0; b < n; ++b)
        for (std::size_t c = 0; c < ch; ++c)
            for (std::size_t i = 0; i < ho; ++i)
                for (std::size_t j = 0; j < wo; ++j) {
                    double best = -std::numeric_limits<double>::infinity(), sum = 0;
                    std::size_t inside = 0;
                    for (std::size_t p = 0; p < k.h; ++p)
                        for (std::size_t q = 0; q < k.w; ++q) {
                            const long ih = long(i * s.h + p * d.h) - long(pad.h);
                            const long iw = long(j * s.w + q * d.w) - long(pad.w);
                            if (ih < 0 || iw < 0 || ih >= long(h) || iw >= long(w)) continue;
                            const double v = x(b, c, std::size_t(ih), std::size_t(iw));
                            best = std::max(best, v);
                            sum += v;
                            ++inside;
                        }
                    y(b, c, i, j) = mode == Mode::max   ? best
                                    : mode == Mode::avg ? sum / double(k.h * k.w)
                                                        : sum / double(inside);
                }
    return y;
}

/// PyTorch's adaptive average pooling by loops: bin i of n_out over n covers
/// [⌊i·n / n_out⌋, ⌈(i + 1)·n / n_out⌉).
Array4 loop_adaptive_avg_pool2d(const Array4& x, std::size_t ho, std::size_t wo) {
    const std::size_t n = x.shape()[0], ch = x.shape()[1], h = x.shape()[2], w = x.shape()[3];
    Array4 y = Array4::from_shape({n, ch, ho, wo});
    for (std::size_t b = 0; b < n; ++b)
        for (std::size_t c = 0; c < ch; ++c)
            for (std::size_t i = 0; i < ho; ++i)
                for (std::size_t j = 0; j < wo; ++j) {
                    const std::size_t h0 = i * h / ho, h1 = ((i + 1) * h + ho - 1) / ho;
                    const std::size_t w0 = j * w / wo, w1 = ((j + 1) * w + wo - 1) / wo;
                    double sum = 0;
                    for (std::size_t p = h0; p < h1; ++p)
                        for (std::size_t q = w0; q < w1; ++q) sum += x(b, c, p, q);
                    y(b, c, i, j) = sum / double((h1 - h0) * (w1 - w0));
                }
    return y;
}

template <class T>
xt::xarray<T> cast(const Array4& a) {
    xt::xarray<T> out = xt::xarray<T>::from_shape(a.shape());
    std::copy(a.begin(), a.end(), out.begin());
    return out;
}

struct PoolCase {
    const char* name;
    Shape input;
    Size2 kernel, stride, padding, dilation;
};

std::vector<PoolCase> pool_cases() {
    return {
        {"plain", {1, 1, 4, 4}, 2, {}, 0, 1},
        {"odd_overlapping", {2, 3, 7, 9}, 3, 2, 1, 1},
        {"rect_dilation", {3, 2, 9, 8}, {3, 2}, {1, 2}, {1, 0}, {2, 1}},
        {"stride_not_kernel", {2, 2, 8, 7}, {2, 3}, {3, 1}, 1, 1},
        {"stride_default_odd", {2, 3, 11, 7}, {3, 2}, {}, {1, 1}, 1},
        // more than 16 output columns: im2col's row-run path
        {"wide", {2, 2, 5, 37}, 2, 1, 1, 1},
    };
}

template <class T>
void check_pools(const PoolCase& c, double tol) {
    SCOPED_TRACE(c.name);
    std::mt19937_64 rng(seed_of(c.name));
    const Array4 x = cast<double>(cast<T>(random_array<double>(c.input, rng)));
    const Tensor<T> input(cast<T>(x));
    const Size2 step(c.stride.h ? c.stride.h : c.kernel.h, c.stride.w ? c.stride.w : c.kernel.w);
    EXPECT_TRUE(all_close(max_pool2d(input, c.kernel, c.stride, c.padding, c.dilation),
                          cast<T>(loop_pool2d(x, c.kernel, step, c.padding, c.dilation, Mode::max)),
                          tol, tol));
    if (c.dilation.h != 1 || c.dilation.w != 1) return;  // avg_pool2d has no dilation
    EXPECT_TRUE(all_close(avg_pool2d(input, c.kernel, c.stride, c.padding),
                          cast<T>(loop_pool2d(x, c.kernel, step, c.padding, 1, Mode::avg)), tol,
                          tol));
    EXPECT_TRUE(all_close(avg_pool2d(input, c.kernel, c.stride, c.padding, false, false),
                          cast<T>(loop_pool2d(x, c.kernel, step, c.padding, 1, Mode::avg_inside)),
                          tol, tol));
}

TEST(Pool, Pool2dMatchesLoops) {
    for (const PoolCase& c : pool_cases()) {
        check_pools<double>(c, 1e-12);
        check_pools<float>(c, 1e-5);
    }
}

template <class T>
void check_pool1d(double tol) {
    std::mt19937_64 rng(seed_of("pool1d"));
    const Array4 x = cast<double>(cast<T>(random_array<double>({3, 2, 13}, rng)));
    const Tensor<T> input(cast<T>(x));
    Array4 x4 = x;
    x4.reshape(std::vector<std::size_t>{3, 2, 1, 13});
    const auto as_1d = [](Array4 a) {
        a.reshape(std::vector<std::size_t>{a.shape()[0], a.shape()[1], a.shape()[3]});
        return cast<T>(a);
    };
    // kernel 3, stride 2, padding 1, dilation 2: ⌊(13 + 2 − 4 − 1) / 2⌋ + 1 = 6 positions.
    const Tensor<T> m = max_pool1d(input, 3, 2, 1, 2);
    EXPECT_EQ(m.shape(), (Shape{3, 2, 6}));
    EXPECT_TRUE(
        all_close(m, as_1d(loop_pool2d(x4, {1, 3}, {1, 2}, {0, 1}, {1, 2}, Mode::max)), tol, tol));
    EXPECT_TRUE(
        all_close(max_pool1d(input, 4),  // stride = kernel: 3 windows, the last entry unused
                  as_1d(loop_pool2d(x4, {1, 4}, {1, 4}, 0, 1, Mode::max)), tol, tol));
    EXPECT_TRUE(all_close(avg_pool1d(input, 3, 2, 1),
                          as_1d(loop_pool2d(x4, {1, 3}, {1, 2}, {0, 1}, 1, Mode::avg)), tol, tol));
    EXPECT_TRUE(all_close(avg_pool1d(input, 3, 0, 1, false, false),
                          as_1d(loop_pool2d(x4, {1, 3}, {1, 3}, {0, 1}, 1, Mode::avg_inside)), tol,
                          tol));
}

TEST(Pool, Pool1dMatchesLoops) {
    check_pool1d<double>(1e-12);
    check_pool1d<float>(1e-5);
}

template <class T>
void check_adaptive(double tol) {
    std::mt19937_64 rng(seed_of("adaptive"));
    const Array4 x = cast<double>(cast<T>(random_array<double>({2, 3, 7, 10}, rng)));
    const Tensor<T> input(cast<T>(x));
    // (1, 1) the global mean; 7 -> 3 and 10 -> 4 overlapping bins; 7 -> 7 the identity;
    // 10 -> 13 more bins than entries.
    for (const Size2 out : {Size2(1, 1), Size2(3, 4), Size2(7, 5), Size2(2, 13), Size2(1, 3)}) {
        SCOPED_TRACE(std::to_string(out.h) + "x" + std::to_string(out.w));
        EXPECT_TRUE(all_close(adaptive_avg_pool2d(input, out),
                              cast<T>(loop_adaptive_avg_pool2d(x, out.h, out.w)), tol, tol));
    }
}

TEST(Pool, AdaptiveAvgPool2dMatchesLoops) {
    check_adaptive<double>(1e-12);
    check_adaptive<float>(1e-5);
}

TEST(Pool, MaxPoolSendsTheGradientToTheFirstMaximumAndNeverToThePadding) {
    // All entries negative: a zero padding would win; the −∞ padding never does.
    Tensor<> x(Array<double>{{{{-3.0, -1.0, -2.0}, {-1.0, -5.0, -4.0}}}}, true);
    Tape tape;
    const Tensor<> y = max_pool2d(x, 2, 1, 1);  // windows over the padded 4x5
    EXPECT_TRUE(all_close(
        y, xt::xarray<double>{{{{-3, -1, -1, -2}, {-1, -1, -1, -2}, {-1, -1, -4, -4}}}}, 0, 0));
    tape.backward(sum(y));
    // Ties go to the first maximal entry of the window in row-major order.
    EXPECT_TRUE(all_close(x.grad(), xt::xarray<double>{{{{1, 4, 2}, {3, 0, 2}}}}, 0, 0));
}

TEST(Pool, ErrorsNameTheOpAndTheShapesAndRecordNothing) {
    const Tensor<> x = zeros({2, 3, 5, 5}, true), x1 = zeros({2, 3, 5}, true);
    expect_error<ShapeError>([&] { max_pool2d(x1, 2); },
                             "max_pool2d: expected a 4-D input (N, C, H, W), got shape (2, 3, 5)");
    expect_error<ValueError>(
        [&] {
            max_pool2d(x, {0, 2});
        },
        "max_pool2d: kernel size must be at least 1, got (0, 2)");
    expect_error<ValueError>([&] { max_pool2d(x, 3, {}, 2); },
                             "max_pool2d: padding (2, 2) must be at most half the (dilated) "
                             "kernel size, (1, 1)");
    expect_error<ShapeError>(
        [&] {
            max_pool2d(x, {6, 2});
        },
        "max_pool2d: input of shape (2, 3, 5, 5) is too small for the "
        "kernel: padded size (5, 5), dilated kernel size (6, 2)");
    expect_error<ValueError>(
        [&] {
            avg_pool2d(x, 2, {}, {0, 2});
        },
        "avg_pool2d: padding (0, 2) must be at most half the (dilated) "
        "kernel size, (1, 1)");
    expect_error<ShapeError>([&] { avg_pool1d(x, 2); },
                             "avg_pool1d: expected a 3-D input (N, C, L), got shape (2, 3, 5, 5)");
    expect_error<ValueError>([&] { max_pool1d(x1, 2, 0, 2); },
                             "max_pool1d: padding (2) must be at most half the (dilated) kernel "
                             "size, (1)");
    expect_error<ShapeError>([&] { max_pool1d(x1, 4, 1, 0, 2); },
                             "max_pool1d: input of shape (2, 3, 5) is too small for the kernel: "
                             "padded size (5), dilated kernel size (7)");
    expect_error<ValueError>(
        [&] {
            adaptive_avg_pool2d(x, {0, 2});
        },
        "adaptive_avg_pool2d: output size must be at least 1, got (0, 2)");
    expect_error<ShapeError>([&] { adaptive_avg_pool2d(x1, 1); },
                             "adaptive_avg_pool2d: expected a 4-D input (N, C, H, W), got shape "
                             "(2, 3, 5)");
}

}  // namespace
}  // namespace tg::test
