// scaled_dot_product_attention and scaled_dot_product_attention_heads
// (<tapegrad/ops/attention.hpp>): values and gradients (fused and under create_graph)
// against the same attention written here with recorded ops, in float and double; the
// heads layout against splitting, attending and merging; masks, causal masks, a fully
// masked row; every kind of mask (additive, and PyTorch's boolean conventions) against
// PyTorch 1.13's numbers (tests/data/attention_reference.txt, written by
// tests/data/make_attention_reference.py); what is recorded; and the errors. Finite
// differences and second derivatives: the attention rows of gradcheck_table_test.cpp.

#include "op_test_util.hpp"
#include "reference_data.hpp"

#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

namespace {

using tg::Shape;
using tg::Tensor;

/// softmax(q kᵀ · scale + mask [+ −inf above the diagonal]) v, with recorded ops.
template <class T>
Tensor<T> composite(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v,
                    const Tensor<T>& mask, bool causal, double scale) {
    std::vector<std::size_t> perm(k.dim());
    std::iota(perm.begin(), perm.end(), std::size_t{0});
    std::swap(perm[perm.size() - 2], perm.back());
    Tensor<T> scores = tg::matmul(q, tg::permute(k, perm)) * static_cast<T>(scale);
    if (mask.defined()) scores = scores + mask;
    if (causal) {
        const std::size_t l = q.shape()[q.dim() - 2], s = k.shape()[k.dim() - 2];
        tg::Array<T> above({l, s}, T(0));
        for (std::size_t r = 0; r < l; ++r)
            for (std::size_t c = r + 1; c < s; ++c)
                above(r, c) = -std::numeric_limits<T>::infinity();
        scores = scores + Tensor<T>(std::move(above));
    }
    return tg::matmul(tg::softmax(scores, -1), v);
}

/// (N, R, h·w) → (N, h, R, w) and back, with recorded ops.
template <class T>
Tensor<T> split(const Tensor<T>& x, std::size_t h) {
    const Shape s = x.shape();
    return tg::permute(tg::reshape(x, {s[0], s[1], h, s[2] / h}), {0, 2, 1, 3});
}
template <class T>
Tensor<T> merge(const Tensor<T>& y) {
    const Shape s = y.shape();
    return tg::reshape(tg::permute(y, {0, 2, 1, 3}), {s[0], s[2], s[1] * s[3]});
}

struct Case {
    std::string name;
    Shape q, k, v;
    std::optional<Shape> mask;  ///< additive, with some −inf entries (never a whole row)
    bool causal = false;
    std::optional<double> scale;
    std::size_t heads = 0;  ///< 0: scaled_dot_product_attention; else the _heads form
};

constexpr std::nullopt_t none = std::nullopt;

const std::vector<Case> kCases = {
    {"plain", {2, 3, 4}, {2, 5, 4}, {2, 5, 2}, none, false, none, 0},
    {"matrix", {3, 4}, {6, 4}, {6, 5}, none, false, none, 0},
    {"four_axes_scale", {2, 3, 4, 8}, {2, 3, 7, 8}, {2, 3, 7, 3}, none, false, 0.3, 0},
    {"mask_broadcast_rows", {2, 4, 3}, {2, 5, 3}, {2, 5, 3}, Shape{1, 5}, false, none, 0},
    {"mask_per_item", {2, 4, 3}, {2, 5, 3}, {2, 5, 3}, Shape{2, 4, 5}, false, none, 0},
    {"causal", {2, 6, 4}, {2, 6, 4}, {2, 6, 4}, none, true, none, 0},
    {"causal_wide", {2, 3, 4}, {2, 5, 4}, {2, 5, 4}, Shape{3, 5}, true, none, 0},
    {"large", {2, 64, 16}, {2, 64, 16}, {2, 64, 16}, none, true, none, 0},
    {"heads", {2, 5, 6}, {2, 4, 6}, {2, 4, 9}, none, false, none, 3},
    {"heads_padding_mask", {3, 4, 8}, {3, 6, 8}, {3, 6, 8}, Shape{3, 1, 1, 6}, false, none, 2},
    {"heads_causal_mask", {2, 7, 8}, {2, 7, 8}, {2, 7, 4}, Shape{7, 7}, true, none, 4},
    {"heads_one", {2, 3, 4}, {2, 3, 4}, {2, 3, 4}, none, true, 0.5, 1},
};

template <class T>
class Attention : public ::testing::Test {
protected:
    static constexpr bool is_float = std::is_same_v<T, float>;
    static constexpr double rtol = is_float ? 1e-4 : 1e-11;
    static constexpr double atol = is_float ? 1e-5 : 1e-12;

    Tensor<T> leaf(const Shape& shape, double lo = -1.5, double hi = 1.5) {
        return Tensor<T>(tg::test::random_array<T>(shape, rng_, lo, hi), true);
    }

    /// An additive mask of `shape`: values in [−0.5, 0.5], about one in five −inf, and
    /// never a row of −inf only (column 0 stays finite).
    Tensor<T> mask(const Shape& shape) {
        tg::Array<T> m = tg::test::random_array<T>(shape, rng_, -0.5, 0.5);
        const std::size_t s = shape.back();
        std::uniform_int_distribution<int> fifth(0, 4);
        for (std::size_t i = 0; i < m.size(); ++i)
            if (i % s != 0 && fifth(rng_) == 0) m.data()[i] = -std::numeric_limits<T>::infinity();
        return Tensor<T>(std::move(m));
    }

    std::mt19937_64 rng_{7};
};
using Types = ::testing::Types<float, double>;
TYPED_TEST_SUITE(Attention, Types);

TYPED_TEST(Attention, ValuesAndGradientsMatchTheComposite) {
    using T = TypeParam;
    for (const Case& c : kCases) {
        SCOPED_TRACE(c.name);
        const Tensor<T> q = this->leaf(c.q), k = this->leaf(c.k), v = this->leaf(c.v);
        const Tensor<T> mask = c.mask ? this->mask(*c.mask) : Tensor<T>();
        const std::size_t d = c.q.back() / (c.heads ? c.heads : 1);
        const double scale = c.scale ? *c.scale : 1 / std::sqrt(static_cast<double>(d));
        auto fused = [&](const std::vector<Tensor<T>>& x) {
            return c.heads ? tg::scaled_dot_product_attention_heads(x[0], x[1], x[2], c.heads, mask,
                                                                    c.causal, c.scale)
                           : tg::scaled_dot_product_attention(x[0], x[1], x[2], mask, c.causal,
                                                              c.scale);
        };
        auto reference = [&](const std::vector<Tensor<T>>& x) {
            if (!c.heads) return composite(x[0], x[1], x[2], mask, c.causal, scale);
            return merge(composite(split(x[0], c.heads), split(x[1], c.heads), split(x[2], c.heads),
                                   mask, c.causal, scale));
        };
        const std::vector<Tensor<T>> xs = {q, k, v};
        Shape out_shape = c.q;
        out_shape.back() = c.v.back();
        const Tensor<T> w(tg::test::random_array<T>(out_shape, this->rng_));
        std::vector<Tensor<T>> want, got, got_create_graph;
        Tensor<T> y_want, y_got;
        {
            tg::Tape tape;
            y_want = reference(xs);
            want = tape.gradient(tg::sum(y_want * w), xs);
        }
        {
            tg::Tape tape;
            y_got = fused(xs);
            got = tape.gradient(tg::sum(y_got * w), xs);
        }
        {
            tg::Tape tape;
            tg::BackwardOptions options;
            options.create_graph = true;
            got_create_graph = tape.gradient(tg::sum(fused(xs) * w), xs, options);
        }
        EXPECT_TRUE(tg::test::all_close(y_got, y_want.value(), this->rtol, this->atol));
        EXPECT_TRUE(tg::test::all_close(fused(xs), y_want.value(), this->rtol, this->atol))
            << "without a tape";
        for (std::size_t i = 0; i < 3; ++i) {
            SCOPED_TRACE("input " + std::to_string(i));
            EXPECT_TRUE(tg::test::all_close(got[i], want[i].value(), this->rtol, this->atol));
            EXPECT_TRUE(
                tg::test::all_close(got_create_graph[i], want[i].value(), this->rtol, this->atol));
        }
    }
}

TYPED_TEST(Attention, RecordsOneEntryThatKeepsTheWeights) {
    using T = TypeParam;
    const Tensor<T> q = this->leaf({2, 8, 4}), k = this->leaf({2, 8, 4}), v = this->leaf({2, 8, 4});
    tg::Tape tape;
    const Tensor<T> y = tg::scaled_dot_product_attention_heads(q, k, v, 2, Tensor<T>(), true);
    ASSERT_EQ(tape.size(), 1u);
    EXPECT_STREQ(tape.entry(0).name, "scaled_dot_product_attention_heads");
    // q, k, v and the (N·h, L, S) weights.
    EXPECT_EQ(tape.entry(0).saved_bytes(), (3 * 2 * 8 * 4 + 2 * 2 * 8 * 8) * sizeof(T));
    (void)y;
}

TYPED_TEST(Attention, ARowWithEveryKeyMaskedIsNaNAsInPyTorch) {
    using T = TypeParam;
    const T inf = std::numeric_limits<T>::infinity();
    const Tensor<T> q = this->leaf({2, 3}), k = this->leaf({2, 3}), v = this->leaf({2, 3});
    const Tensor<T> mask(xt::xarray<T>{{-inf, -inf}, {0, -inf}});
    const Tensor<T> y = tg::scaled_dot_product_attention(q, k, v, mask);
    for (std::size_t c = 0; c < 3; ++c) {
        EXPECT_TRUE(std::isnan(y.value()(0, c)));
        EXPECT_EQ(y.value()(1, c), v.value()(0, c));  // only key 0 is visible
    }
}

/// The key=value words of a reference case (`case sdpa NAME mask=KIND ...`).
std::map<std::string, std::string> options_of(const tg::test::ReferenceCase& c) {
    std::map<std::string, std::string> o;
    for (const std::string& w : c.words) {
        const std::size_t eq = w.find('=');
        if (eq != std::string::npos) o[w.substr(0, eq)] = w.substr(eq + 1);
    }
    return o;
}

tg::MaskKind kind_of(const std::string& name) {
    if (name == "allow") return tg::MaskKind::allow;
    if (name == "block") return tg::MaskKind::block;
    return tg::MaskKind::additive;
}

TEST(AttentionMasks, EveryKindMatchesPyTorch) {
    // Additive masks with biases and −inf, PyTorch's boolean conventions (allow: 1 = may
    // attend; block: 1 = may not), each with and without is_causal, the heads form, and a
    // row with every key masked (NaN): values and the gradients of q, k and v, from the
    // fused backward and from the recorded one, to 1e-12.
    using tg::test::matches_reference;
    int seen = 0;
    for (const tg::test::ReferenceCase& c : tg::test::read_reference(
             std::string(TAPEGRAD_TEST_DATA_DIR) + "/attention_reference.txt")) {
        if (c.words.at(0) != "sdpa") continue;
        ++seen;
        SCOPED_TRACE(c.words.at(1));
        const auto o = options_of(c);
        const bool causal = o.at("causal") == "1";
        const std::size_t heads = std::stoul(o.at("heads"));
        const std::vector<Tensor<double>> xs = {tg::parameter<double>(c.at("query")),
                                                tg::parameter<double>(c.at("key")),
                                                tg::parameter<double>(c.at("value"))};
        tg::AttentionMask<double> mask;
        if (c.has("attn_mask")) mask = {Tensor<double>(c.at("attn_mask")), kind_of(o.at("mask"))};
        for (bool create_graph : {false, true}) {
            SCOPED_TRACE(create_graph ? "recorded backward" : "fused backward");
            tg::Tape tape;
            const Tensor<double> y =
                heads ? tg::scaled_dot_product_attention_heads(xs[0], xs[1], xs[2], heads, mask,
                                                               causal)
                      : tg::scaled_dot_product_attention(xs[0], xs[1], xs[2], mask, causal);
            EXPECT_TRUE(matches_reference(y.value(), c.at("output"), 1e-12)) << "output";
            tg::BackwardOptions options;
            options.create_graph = create_graph;
            const auto g =
                tape.gradient(tg::sum(y * Tensor<double>(c.at("cotangent"))), xs, options);
            const char* names[] = {"grad_query", "grad_key", "grad_value"};
            for (std::size_t i = 0; i < 3; ++i)
                EXPECT_TRUE(matches_reference(g[i].value(), c.at(names[i]), 1e-12)) << names[i];
        }
    }
    EXPECT_EQ(seen, 9);
}

TEST(AttentionMasks, ABooleanMaskHoldsZerosAndOnes) {
    using T = Tensor<double>;
    const T q(xt::zeros<double>({3, 4})), k(xt::zeros<double>({5, 4})),
        v(xt::zeros<double>({5, 2}));
    tg::test::expect_error<tg::ValueError>(
        [&] {
            tg::scaled_dot_product_attention(
                q, k, v, {T(xt::xarray<double>({3, 5}, 0.5)), tg::MaskKind::block});
        },
        "scaled_dot_product_attention: attn_mask of MaskKind::block holds 0.5");
    tg::test::expect_error<tg::ValueError>(
        [&] {
            tg::scaled_dot_product_attention_heads(
                T(xt::zeros<double>({1, 3, 4})), T(xt::zeros<double>({1, 5, 4})),
                T(xt::zeros<double>({1, 5, 4})), 2,
                {T(xt::xarray<double>({5}, -1.0)), tg::MaskKind::allow});
        },
        "attn_mask of MaskKind::allow holds -1");
    tg::test::expect_error<tg::ValueError>(
        [&] {
            tg::scaled_dot_product_attention(
                q, k, v, {T(xt::zeros<double>({5}), true), tg::MaskKind::allow});
        },
        "attn_mask gets no gradient here; detach() it");
    // A boolean mask and its additive form give the same attention.
    std::mt19937_64 rng(3);
    const T qr(tg::test::random_array<double>({3, 4}, rng)),
        kr(tg::test::random_array<double>({5, 4}, rng)),
        vr(tg::test::random_array<double>({5, 2}, rng));
    const double inf = std::numeric_limits<double>::infinity();
    const xt::xarray<double> keep = {{1, 0, 1, 1, 0}, {0, 1, 1, 1, 1}, {1, 1, 1, 1, 1}};
    const T additive(xt::where(keep > 0.5, 0.0, -inf));
    const T want = tg::scaled_dot_product_attention(qr, kr, vr, additive);
    EXPECT_EQ(tg::scaled_dot_product_attention(qr, kr, vr, {T(keep), tg::MaskKind::allow}).value(),
              want.value());
    EXPECT_EQ(
        tg::scaled_dot_product_attention(qr, kr, vr, {T(1.0 - keep), tg::MaskKind::block}).value(),
        want.value());
}

TEST(AttentionMasks, AdditiveMaskGivesTheScoresToAdd) {
    // tg::additive_mask: an additive mask as it is, allow's 1 (block's 0) as 0 and the
    // other value as −inf, no mask as an undefined tensor; its errors name the caller.
    using T = Tensor<double>;
    const double inf = std::numeric_limits<double>::infinity();
    const xt::xarray<double> keep = {{1, 0}, {0, 1}};
    const xt::xarray<double> scores = {{0, -inf}, {-inf, 0}};
    EXPECT_EQ(tg::additive_mask<double>({T(keep), tg::MaskKind::allow}).value(), scores);
    EXPECT_EQ(tg::additive_mask<double>({T(1.0 - keep), tg::MaskKind::block}).value(), scores);
    const xt::xarray<double> bias = {{0.5, -2.0}, {-inf, 1.0}};
    EXPECT_EQ(tg::additive_mask<double>(T(bias)).value(), bias);
    EXPECT_FALSE(tg::additive_mask<double>(T()).defined());
    tg::test::expect_error<tg::ValueError>(
        [&] { tg::additive_mask<double>({T(bias), tg::MaskKind::allow}, "MyLayer", "mask"); },
        "MyLayer: mask of MaskKind::allow holds 0.5");
    tg::test::expect_error<tg::ValueError>(
        [&] { tg::additive_mask<double>(T(bias, true)); },
        "additive_mask: attn_mask gets no gradient here; detach() it");
}

TEST(AttentionHeads, SplitHeadsIsReshapeThenPermute) {
    // (N, R, h·w) -> (N, h, R, w): element (n, r, j·w + c) moves to (n, j, r, c).
    const std::size_t n = 2, r = 3, h = 2, w = 4;
    xt::xarray<double> x = xt::zeros<double>({n, r, h * w});
    std::iota(x.begin(), x.end(), 0.0);
    const Tensor<double> y = tg::detail::split_heads(Tensor<double>(x), h);
    ASSERT_EQ(y.shape(), (Shape{n, h, r, w}));
    for (std::size_t a = 0; a < n; ++a)
        for (std::size_t j = 0; j < h; ++j)
            for (std::size_t b = 0; b < r; ++b)
                for (std::size_t c = 0; c < w; ++c)
                    EXPECT_EQ(y.value()(a, j, b, c), x(a, b, j * w + c));
}

TEST(AttentionErrors, SayWhatIsWrong) {
    using tg::test::expect_error;
    using T = Tensor<double>;
    const T q3(xt::zeros<double>({2, 3, 4}), true), k3(xt::zeros<double>({2, 5, 4}), true),
        v3(xt::zeros<double>({2, 5, 6}), true);
    expect_error<tg::ShapeError>(
        [&] {
            tg::scaled_dot_product_attention(q3, T(xt::zeros<double>({2, 5, 3})), v3);
        },
        "scaled_dot_product_attention: needs query (..., L, E), key (..., S, E) and value "
        "(..., S, Ev) with the same leading axes; got (2, 3, 4), (2, 5, 3), (2, 5, 6)");
    expect_error<tg::ShapeError>(
        [&] {
            tg::scaled_dot_product_attention(q3, k3, T(xt::zeros<double>({2, 4, 6})));
        },
        "got (2, 3, 4), (2, 5, 4), (2, 4, 6)");
    expect_error<tg::ShapeError>(
        [&] {
            tg::scaled_dot_product_attention(q3, T(xt::zeros<double>({3, 5, 4})), v3);
        },
        "the same leading axes");
    expect_error<tg::ShapeError>(
        [&] { tg::scaled_dot_product_attention(T(xt::zeros<double>({4})), k3, v3); },
        "needs query (..., L, E)");
    expect_error<tg::ShapeError>(
        [&] {
            tg::scaled_dot_product_attention(q3, k3, v3, T(xt::zeros<double>({3, 4})));
        },
        "scaled_dot_product_attention: attn_mask of shape (3, 4) does not broadcast to the "
        "scores' shape (2, 3, 5)");
    expect_error<tg::ValueError>(
        [&] {
            tg::scaled_dot_product_attention(q3, k3, v3, T(xt::zeros<double>({3, 5}), true));
        },
        "scaled_dot_product_attention: attn_mask gets no gradient here; detach() it");
    expect_error<tg::ShapeError>(
        [&] { tg::scaled_dot_product_attention_heads(q3, k3, v3, 3); },
        "scaled_dot_product_attention_heads: needs query (N, L, h·d), key (N, S, h·d) and "
        "value (N, S, h·dv) for h = num_heads = 3; got (2, 3, 4), (2, 5, 4), (2, 5, 6)");
    expect_error<tg::ShapeError>([&] { tg::scaled_dot_product_attention_heads(q3, k3, v3, 0); },
                                 "for h = num_heads = 0");
    expect_error<tg::ShapeError>(
        [&] {
            tg::scaled_dot_product_attention_heads(q3, k3, v3, 2,
                                                   T(xt::zeros<double>({2, 2, 3, 4})));
        },
        "attn_mask of shape (2, 2, 3, 4) does not broadcast to the scores' shape (2, 2, 3, 5)");
}

}  // namespace
