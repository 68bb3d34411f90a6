// layer_norm and batch_norm (<tapegrad/ops/normalization.hpp>) and dropout
// (<tapegrad/ops/dropout.hpp>): values against plain loops in float and double, the
// running statistics of batch_norm, PyTorch's values (tests/data/norm, made by
// make_norm_reference.py) to 1e-10 in double, and the errors, which record and change
// nothing. (Their gradchecks are rows of op_table.cpp.)

#include "op_test_util.hpp"
#include "reference_data.hpp"

#include <tapegrad/nn/random.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace tg::test {
namespace {

/// The values of an array, in double; an empty list stands for a missing weight or bias.
template <class E>
std::vector<double> values_of(const E& e) {
    const xt::xarray<double> a = e;
    return std::vector<double>(a.begin(), a.end());
}

/// Layer norm by loops, in double: each run of `inner` consecutive values is normalized
/// by its mean and biased variance, then scaled and shifted (w and b of `inner` values, or
/// empty).
xt::xarray<double> loop_layer_norm(const xt::xarray<double>& x, std::size_t inner,
                                   const std::vector<double>& w, const std::vector<double>& b,
                                   double eps) {
    xt::xarray<double> y = x;
    for (std::size_t o = 0; o < x.size() / inner; ++o) {
        const double* v = x.data() + o * inner;
        double mean = 0, var = 0;
        for (std::size_t i = 0; i < inner; ++i) mean += v[i];
        mean /= static_cast<double>(inner);
        for (std::size_t i = 0; i < inner; ++i) var += (v[i] - mean) * (v[i] - mean);
        var /= static_cast<double>(inner);
        for (std::size_t i = 0; i < inner; ++i) {
            double z = (v[i] - mean) / std::sqrt(var + eps);
            if (!w.empty()) z *= w[i];
            if (!b.empty()) z += b[i];
            y.data()[o * inner + i] = z;
        }
    }
    return y;
}

/// Per-channel statistics of x (N, C, ...) by loops: the mean and the biased variance.
struct ChannelStats {
    std::vector<double> mean, var;
};

ChannelStats loop_channel_stats(const xt::xarray<double>& x) {
    const std::size_t n = x.shape()[0], c = x.shape()[1],
                      s = x.size() / std::max<std::size_t>(n * c, 1);
    ChannelStats st{std::vector<double>(c, 0.0), std::vector<double>(c, 0.0)};
    const double count = static_cast<double>(n * s);
    for (std::size_t ch = 0; ch < c; ++ch) {
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < s; ++j) st.mean[ch] += x.data()[(i * c + ch) * s + j];
        st.mean[ch] /= count;
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < s; ++j) {
                const double d = x.data()[(i * c + ch) * s + j] - st.mean[ch];
                st.var[ch] += d * d;
            }
        st.var[ch] /= count;
    }
    return st;
}

/// Batch norm by loops with the given per-channel mean and variance.
xt::xarray<double> loop_batch_norm(const xt::xarray<double>& x, const std::vector<double>& mean,
                                   const std::vector<double>& var, const std::vector<double>& w,
                                   const std::vector<double>& b, double eps) {
    const std::size_t n = x.shape()[0], c = x.shape()[1],
                      s = x.size() / std::max<std::size_t>(n * c, 1);
    xt::xarray<double> y = x;
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t ch = 0; ch < c; ++ch)
            for (std::size_t j = 0; j < s; ++j) {
                double& v = y.data()[(i * c + ch) * s + j];
                v = (v - mean[ch]) / std::sqrt(var[ch] + eps);
                if (!w.empty()) v *= w[ch];
                if (!b.empty()) v += b[ch];
            }
    return y;
}

template <class T>
class NormalizationTyped : public ::testing::Test {};
using Types = ::testing::Types<float, double>;
TYPED_TEST_SUITE(NormalizationTyped, Types);

TYPED_TEST(NormalizationTyped, LayerNormMatchesLoops) {
    using T = TypeParam;
    const double tol = std::is_same_v<T, float> ? 2e-5 : 1e-12;
    struct Case {
        Shape x, normalized;
        bool weight, bias;
    };
    // Sizes below and above the 64 elements where elementwise ops vectorize.
    const std::vector<Case> cases = {
        {{3, 4, 5}, {5}, true, true}, {{3, 4, 5}, {4, 5}, true, false},
        {{7}, {7}, false, false},     {{2, 3, 4, 5}, {3, 4, 5}, false, true},
        {{3, 70}, {70}, true, true},  {{2, 4, 20}, {4, 20}, true, true}};
    for (const Case& c : cases) {
        SCOPED_TRACE(shape_str(c.x) + " over " + shape_str(c.normalized));
        std::mt19937_64 rng(seed_of(shape_str(c.x)));
        const xt::xarray<T> x = random_array<T>(c.x, rng);
        const xt::xarray<T> w = random_array<T>(c.normalized, rng);
        const xt::xarray<T> b = random_array<T>(c.normalized, rng);
        std::size_t inner = 1;
        for (std::size_t s : c.normalized) inner *= s;
        const std::vector<double> wd = c.weight ? values_of(w) : std::vector<double>();
        const std::vector<double> bd = c.bias ? values_of(b) : std::vector<double>();
        const xt::xarray<double> expected =
            loop_layer_norm(xt::xarray<double>(x), inner, wd, bd, 1e-5);
        const Tensor<T> y =
            layer_norm(Tensor<T>(x), c.normalized, c.weight ? Tensor<T>(w) : Tensor<T>(),
                       c.bias ? Tensor<T>(b) : Tensor<T>());
        EXPECT_TRUE(all_close(y, expected, tol, tol));
    }
    // eps enters under the square root.
    const xt::xarray<T> x = {T(1), T(3)};
    EXPECT_TRUE(all_close(layer_norm(Tensor<T>(x), {2}, Tensor<T>(), Tensor<T>(), 1.0),
                          xt::xarray<double>{-1 / std::sqrt(2.0), 1 / std::sqrt(2.0)}, tol, tol));
}

TYPED_TEST(NormalizationTyped, BatchNormTrainingMatchesLoopsAndUpdatesRunningStats) {
    using T = TypeParam;
    const double tol = std::is_same_v<T, float> ? 2e-5 : 1e-12;
    for (const Shape& shape : {Shape{6, 3}, Shape{4, 3, 5}, Shape{2, 3, 4, 5}, Shape{8, 4, 20}}) {
        for (double momentum : {0.1, 0.3}) {
            SCOPED_TRACE(shape_str(shape) + " momentum " + std::to_string(momentum));
            std::mt19937_64 rng(seed_of(shape_str(shape)));
            const std::size_t c = shape[1];
            const xt::xarray<T> x = random_array<T>(shape, rng), w = random_array<T>({c}, rng),
                                b = random_array<T>({c}, rng), rm0 = random_array<T>({c}, rng),
                                rv0 = random_array<T>({c}, rng, 0.5, 2.0);
            const Tensor<T> running_mean(rm0), running_var(rv0);
            const Tensor<T> y = batch_norm(Tensor<T>(x), running_mean, running_var, Tensor<T>(w),
                                           Tensor<T>(b), true, momentum, 1e-5);
            const xt::xarray<double> xd(x);
            const std::vector<double> wd = values_of(w), bd = values_of(b);
            const ChannelStats st = loop_channel_stats(xd);
            EXPECT_TRUE(all_close(y, loop_batch_norm(xd, st.mean, st.var, wd, bd, 1e-5), tol, tol));

            // running ← (1 − momentum)·running + momentum·batch, the variance unbiased.
            const double n = static_cast<double>(x.size() / c);
            xt::xarray<double> rm = xt::zeros<double>({c}), rv = xt::zeros<double>({c});
            for (std::size_t ch = 0; ch < c; ++ch) {
                rm(ch) = (1 - momentum) * rm0(ch) + momentum * st.mean[ch];
                rv(ch) = (1 - momentum) * rv0(ch) + momentum * st.var[ch] * n / (n - 1);
            }
            EXPECT_TRUE(all_close(running_mean, rm, tol, tol));
            EXPECT_TRUE(all_close(running_var, rv, tol, tol));

            // Eval mode normalizes with the running statistics just updated.
            const std::vector<double> rmv(rm.begin(), rm.end()), rvv(rv.begin(), rv.end());
            const xt::xarray<T> before = running_mean.value();
            const Tensor<T> e = batch_norm(Tensor<T>(x), running_mean, running_var, Tensor<T>(w),
                                           Tensor<T>(b), false, momentum, 1e-5);
            EXPECT_TRUE(all_close(e, loop_batch_norm(xd, rmv, rvv, wd, bd, 1e-5), tol, tol));
            EXPECT_TRUE(all_close(running_mean, before, 0, 0)) << "eval mode changed running_mean";
        }
    }
}

TEST(Normalization, BatchNormRunningStatsAreNeverRecorded) {
    std::mt19937_64 rng(3);
    const Tensor<> x = parameter<double>(random_array<double>({4, 2, 3}, rng));
    const Tensor<> rm = zeros({2}), rv = ones({2});
    {
        // Nothing requires a gradient but x: the tape holds the normalization only, and the
        // running statistics stay plain leaves, changed in place (version bumped once).
        Tape tape;
        const Tensor<> y = batch_norm(x, rm, rv, Tensor<>(), Tensor<>(), true);
        EXPECT_GT(tape.size(), 0u);
        EXPECT_FALSE(rm.requires_grad());
        EXPECT_TRUE(rm.is_leaf());
        EXPECT_EQ(rm.version(), 1u);
        EXPECT_EQ(rv.version(), 1u);
        const std::vector<Tensor<>> g = tape.gradient(sum(y * y), {x, rm});
        EXPECT_TRUE(all_close(g[1], xt::zeros<double>({2}), 0, 0));
    }
    {
        // Without a gradient anywhere, nothing is recorded, and the statistics still move.
        Tape tape;
        const xt::xarray<double> before = rm.value();
        (void)batch_norm(x.detach(), rm, rv, Tensor<>(), Tensor<>(), true);
        EXPECT_EQ(tape.size(), 0u);
        EXPECT_FALSE(all_close(rm, before, 0, 0));
    }
    {
        NoGradGuard no_grad;
        const xt::xarray<double> before = rm.value();
        (void)batch_norm(x, rm, rv, Tensor<>(), Tensor<>(), true);
        EXPECT_FALSE(all_close(rm, before, 0, 0));
    }
    // Training without running statistics normalizes all the same.
    const Tensor<> y = batch_norm(x, Tensor<>(), Tensor<>(), Tensor<>(), Tensor<>(), true);
    const ChannelStats st = loop_channel_stats(x.value());
    EXPECT_TRUE(
        all_close(y, loop_batch_norm(x.value(), st.mean, st.var, {}, {}, 1e-5), 1e-12, 1e-12));
}

// ---- PyTorch's values --------------------------------------------------------------

TEST(Normalization, MatchesPyTorchToTenDigits) {
    const std::vector<ReferenceCase> cases =
        read_reference(std::string(TAPEGRAD_TEST_DATA_DIR) + "/norm/norm_reference.txt");
    ASSERT_EQ(cases.size(), 8u) << "tests/data/norm/norm_reference.txt is missing or malformed";
    constexpr double tol = 1e-10;
    for (const ReferenceCase& c : cases) {
        SCOPED_TRACE(c.words.at(0));
        Tape tape;
        const Tensor<> x = parameter<double>(c.at("x"));
        const bool affine = c.has("weight");
        const Tensor<> w = affine ? parameter<double>(c.at("weight")) : Tensor<>();
        const Tensor<> b = affine ? parameter<double>(c.at("bias")) : Tensor<>();
        Tensor<> y;
        Tensor<> rm, rv;
        if (c.words.at(1) == "layer_norm") {
            const Shape xs = x.shape();
            const std::size_t ndim = static_cast<std::size_t>(c.at("normalized_ndim")());
            const Shape normalized(xs.end() - static_cast<long>(ndim), xs.end());
            y = layer_norm(x, normalized, w, b, c.at("eps")());
        } else {
            rm = Tensor<>(c.at("running_mean"));
            rv = Tensor<>(c.at("running_var"));
            y = batch_norm(x, rm, rv, w, b, c.at("training")() != 0, c.at("momentum")(),
                           c.at("eps")());
            EXPECT_TRUE(all_close(rm, c.at("running_mean_after"), tol, tol)) << "running_mean";
            EXPECT_TRUE(all_close(rv, c.at("running_var_after"), tol, tol)) << "running_var";
        }
        EXPECT_TRUE(all_close(y, c.at("y"), tol, tol)) << "y";
        std::vector<Tensor<>> wrt = {x};
        if (affine) wrt.insert(wrt.end(), {w, b});
        const std::vector<Tensor<>> g = tape.gradient(sum(y * Tensor<>(c.at("g"))), wrt);
        EXPECT_TRUE(all_close(g[0], c.at("grad_x"), tol, tol)) << "grad_x";
        if (affine) {
            EXPECT_TRUE(all_close(g[1], c.at("grad_weight"), tol, tol)) << "grad_weight";
            EXPECT_TRUE(all_close(g[2], c.at("grad_bias"), tol, tol)) << "grad_bias";
        }
    }
}

// ---- dropout -----------------------------------------------------------------------

TYPED_TEST(NormalizationTyped, DropoutMaskFromTheSeed) {
    using T = TypeParam;
    const double p = 0.3;
    std::mt19937_64 data(1);
    const xt::xarray<T> x = random_array<T>({5, 40}, data, 0.5, 1.5);
    nn::Rng a(42), b(42), c(43), replay(42);
    const Tensor<T> ya = dropout(Tensor<T>(x), p, a), yb = dropout(Tensor<T>(x), p, b),
                    yc = dropout(Tensor<T>(x), p, c);
    EXPECT_TRUE(all_close(ya, yb.value(), 0, 0)) << "same seed, same mask";
    EXPECT_FALSE(all_close(ya, yc.value(), 0, 0)) << "another seed, another mask";
    // Element i is kept, scaled by 1 / (1 − p), when the i-th uniform01 draw is below 1 − p.
    for (std::size_t i = 0; i < x.size(); ++i) {
        const bool kept = nn::uniform01(replay) < 1 - p;
        const T expected = kept ? x.data()[i] * static_cast<T>(1 / (1 - p)) : T(0);
        EXPECT_EQ(ya.value().data()[i], expected) << "element " << i;
    }
    EXPECT_EQ(a(), replay()) << "one draw per element";
}

TEST(Normalization, DropoutPreservesTheMean) {
    nn::Rng rng(7);
    for (double p : {0.1, 0.5, 0.8}) {
        const Tensor<> y = dropout(ones({20000}), p, rng);
        std::size_t zeros = 0;
        for (double v : y.value()) zeros += v == 0;
        EXPECT_NEAR(mean(y).item(), 1.0, 0.05) << "p " << p;
        EXPECT_NEAR(static_cast<double>(zeros) / 20000, p, 0.02) << "p " << p;
    }
}

TEST(Normalization, DropoutBackwardUsesTheSameMask) {
    std::mt19937_64 data(2);
    const Tensor<> x = parameter<double>(random_array<double>({4, 6}, data, 0.5, 1.5));
    const Tensor<> g(random_array<double>({4, 6}, data));
    Tape tape;
    nn::Rng rng(5);
    const Tensor<> y = dropout(x, 0.4, rng);
    const Tensor<> dx = tape.gradient(sum(y * g), {x})[0];
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double m = y.value().data()[i] / x.value().data()[i];  // 0 or 1 / 0.6
        EXPECT_EQ(dx.value().data()[i], g.value().data()[i] * (m == 0 ? 0.0 : 1 / 0.6)) << i;
    }
}

TEST(Normalization, DropoutIdentityAndZeros) {
    const Tensor<> x = parameter<double>(xt::xarray<double>{1.0, 2.0, 3.0});
    nn::Rng rng(9);
    const nn::Rng before = rng;
    EXPECT_TRUE(dropout(x, 0.0, rng).same(x)) << "p = 0 returns x itself";
    EXPECT_TRUE(dropout(x, 0.7, rng, false).same(x)) << "eval returns x itself";
    EXPECT_TRUE(all_close(dropout(x, 1.0, rng), xt::zeros<double>({3}), 0, 0));
    EXPECT_TRUE(rng == before) << "nothing drawn";
    Tape tape;
    const Tensor<> dx = tape.gradient(sum(dropout(x, 1.0, rng)), {x})[0];
    EXPECT_TRUE(all_close(dx, xt::zeros<double>({3}), 0, 0));
}

// ---- errors ------------------------------------------------------------------------

TEST(Normalization, ErrorsNameTheOpAndRecordAndChangeNothing) {
    const auto p = [](Shape s) {
        return parameter<double>(xt::xarray<double>(xt::ones<double>(s)));
    };
    const Tensor<> x = p({2, 3, 4});
    expect_error<ShapeError>([&] { layer_norm(x, {3}); },
                             "layer_norm: normalized_shape (3) must be the last axes of x (at "
                             "least one); got x of shape (2, 3, 4)");
    expect_error<ShapeError>([&] { layer_norm(x, Shape{}); }, "layer_norm: normalized_shape ()");
    expect_error<ShapeError>([&] { layer_norm(x, {1, 2, 3, 4}); }, "(1, 2, 3, 4)");
    expect_error<ShapeError>([&] { layer_norm(x, {4}, p({3})); },
                             "layer_norm: weight must have shape (4); got (3)");
    expect_error<ShapeError>(
        [&] {
            layer_norm(x, {3, 4}, p({3, 4}), p({4}));
        },
        "layer_norm: bias must have shape (3, 4); got (4)");

    const Tensor<> rm = zeros({3}), rv = ones({3});
    expect_error<ShapeError>([&] { batch_norm(p({3}), rm, rv); },
                             "batch_norm: needs x of shape (N, C), (N, C, L) or (N, C, H, W); "
                             "got (3)");
    expect_error<ShapeError>(
        [&] {
            batch_norm(p({2, 3, 1, 1, 1}), rm, rv);
        },
        "got (2, 3, 1, 1, 1)");
    expect_error<ShapeError>(
        [&] {
            batch_norm(p({2, 4}), rm, rv, Tensor<>(), Tensor<>(), true);
        },
        "batch_norm: running_mean must have shape (4); got (3)");
    expect_error<ShapeError>([&] { batch_norm(x, rm, rv, p({2})); },
                             "batch_norm: weight must have shape (3); got (2)");
    expect_error<ShapeError>([&] { batch_norm(x, rm, rv, p({3}), p({1})); },
                             "batch_norm: bias must have shape (3); got (1)");
    expect_error<ValueError>([&] { batch_norm(x, rm, Tensor<>(), Tensor<>(), Tensor<>(), true); },
                             "give running_mean and running_var both or neither; got only "
                             "running_mean");
    expect_error<ValueError>([&] { batch_norm(x, Tensor<>(), Tensor<>()); },
                             "batch_norm: eval mode (training = false)");
    expect_error<ValueError>(
        [&] {
            batch_norm(p({1, 3}), rm, rv, Tensor<>(), Tensor<>(), true);
        },
        "batch_norm: training needs more than 1 value per channel");
    Tape outer;
    const Tensor<> recorded = p({3}) * 1.0;  // a result on the outer tape, not a leaf
    expect_error<GraphError>(
        [&] { batch_norm(x, recorded, rv, Tensor<>(), Tensor<>(), true); },
        "batch_norm: running_mean and running_var are updated in place, so they must be leaves");
    EXPECT_EQ(rm.version(), 0u) << "an error changed running_mean";
    EXPECT_EQ(rv.version(), 0u) << "an error changed running_var";

    nn::Rng rng(1);
    expect_error<ValueError>([&] { dropout(x, -0.1, rng); },
                             "dropout: p, the probability of zeroing an element, must be in "
                             "[0, 1]; got -0.1");
    expect_error<ValueError>([&] { dropout(x, 1.5, rng); }, "got 1.5");
    expect_error<ValueError>([&] { dropout(x, std::nan(""), rng, false); }, "got nan");
}

}  // namespace
}  // namespace tg::test
