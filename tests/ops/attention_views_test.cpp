// The fused attention reads strided views of q, k and v in place (ops/src/attention.cpp,
// blocks_of): q, k, v split from one (N, L, 3·E) projection, as GPT-2 gives them to
// scaled_dot_product_attention_heads, and heads split by a permute, as
// scaled_dot_product_attention gets them, against the same op on contiguous copies:
// values, first derivatives with and without create_graph, and second derivatives agree
// (to rounding: BLAS reads other leading dimensions), and the forward copies nothing
// (detail::bytes_moved).

#include "op_test_util.hpp"

#include <tapegrad/detail/copy_counter.hpp>
#include <tapegrad/ops.hpp>

#include <functional>
#include <random>
#include <vector>

namespace {

using tg::Shape;
using tg::Tensor;

/// An attention of three views of one parameter.
using Attend = std::function<Tensor<double>(const Tensor<double>&, const Tensor<double>&,
                                            const Tensor<double>&)>;
/// The three views (q, k, v) of a parameter.
using Split = std::function<std::vector<Tensor<double>>(const Tensor<double>&)>;

struct Outcome {
    Tensor<double> value, first, first_graph, second;
    std::uint64_t moved = 0;
};

/// attend(q, k, v) on the views of p (or contiguous copies of them), and its derivatives
/// with respect to p: of L = Σ y ⊙ w without and with create_graph, and of Σ (dL/dp) ⊙ w2.
Outcome run(const Split& split, const Attend& attend, const xt::xarray<double>& base,
            const Tensor<double>& w, const Tensor<double>& w2, bool views) {
    Outcome out;
    const Tensor<double> p = tg::parameter<double>(base);
    auto inputs = [&] {
        std::vector<Tensor<double>> qkv = split(p);
        for (Tensor<double>& x : qkv) {
            EXPECT_FALSE(x.is_contiguous());
            if (!views) x = x.contiguous();
        }
        return qkv;
    };
    {
        tg::Tape tape;
        const std::vector<Tensor<double>> qkv = inputs();
        const std::uint64_t before = tg::detail::bytes_moved();
        out.value = attend(qkv[0], qkv[1], qkv[2]);
        out.moved = tg::detail::bytes_moved() - before;
        out.first = tape.gradient(tg::sum(out.value * w), {p})[0];
    }
    tg::Tape tape;
    tg::BackwardOptions o;
    o.create_graph = true;
    const std::vector<Tensor<double>> qkv = inputs();
    out.first_graph = tape.gradient(tg::sum(attend(qkv[0], qkv[1], qkv[2]) * w), {p}, o)[0];
    out.second = tape.gradient(tg::sum(out.first_graph * w2), {p})[0];
    return out;
}

void expect_views_read_in_place(const Shape& base_shape, const Split& split, const Attend& attend) {
    std::mt19937_64 rng(27);
    const xt::xarray<double> base = tg::test::random_array<double>(base_shape, rng, -1, 1);
    const std::vector<Tensor<double>> qkv = split(Tensor<double>(base));
    const Shape out_shape = attend(qkv[0], qkv[1], qkv[2]).shape();
    const Tensor<double> w(tg::test::random_array<double>(out_shape, rng, -1, 1));
    const Tensor<double> w2(tg::test::random_array<double>(base_shape, rng, -1, 1));
    const Outcome s = run(split, attend, base, w, w2, true);
    const Outcome c = run(split, attend, base, w, w2, false);
    EXPECT_TRUE(tg::test::all_close(s.value, c.value.value(), 1e-12, 1e-13)) << "value";
    EXPECT_TRUE(tg::test::all_close(s.first, c.first.value(), 1e-12, 1e-13)) << "first";
    EXPECT_TRUE(tg::test::all_close(s.first_graph, c.first_graph.value(), 1e-12, 1e-13))
        << "first, create_graph";
    EXPECT_TRUE(tg::test::all_close(s.second, c.second.value(), 1e-12, 1e-13)) << "second";
    EXPECT_EQ(s.moved, 0u) << "the forward copied a view";
}

/// GPT-2's attention: q, k, v the thirds of the last axis of one (N, L, 3·h·d) projection.
TEST(AttentionViews, HeadsOfASplitProjection) {
    const std::size_t e = 12, heads = 3;
    const Split thirds = [e](const Tensor<double>& p) { return tg::split(p, {e, e, e}, -1); };
    for (bool causal : {false, true}) {
        SCOPED_TRACE(causal ? "causal" : "not causal");
        expect_views_read_in_place(
            {2, 5, 3 * e}, thirds, [&](const auto& q, const auto& k, const auto& v) {
                return tg::scaled_dot_product_attention_heads(q, k, v, heads, {}, causal);
            });
    }
}

/// Heads split by a permute: (N, L, h, d) seen as (N, h, L, d), three of them side by side
/// in one parameter (N, L, h, 3·d), with an additive mask.
TEST(AttentionViews, HeadsSplitByAPermute) {
    const std::size_t n = 2, l = 4, h = 2, d = 3;
    const Split heads = [d](const Tensor<double>& p) {
        std::vector<Tensor<double>> qkv = tg::split(p, {d, d, d}, -1);
        for (Tensor<double>& x : qkv) x = tg::permute(x, {0, 2, 1, 3});
        return qkv;
    };
    std::mt19937_64 rng(5);
    const Tensor<double> mask(tg::test::random_array<double>({l, l}, rng, -1, 1));
    expect_views_read_in_place({n, l, h, 3 * d}, heads,
                               [&](const auto& q, const auto& k, const auto& v) {
                                   return tg::scaled_dot_product_attention(q, k, v, mask);
                               });
}

}  // namespace
