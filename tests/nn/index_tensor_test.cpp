// Index tensors (Tensor<std::int64_t>) as class targets and embedding indices: nll_loss,
// cross_entropy and Embedding give with int64 indices exactly what they give with the
// same indices as whole numbers in a double tensor (values, gradients and second
// derivatives, across the options), and refuse negative and too large indices.

#include "nn/expect_message.hpp"
#include "nn/nn_test_util.hpp"
#include "bitwise_same.hpp"

#include <tapegrad/functional.hpp>
#include <tapegrad/nn/embedding.hpp>

#include <cstdint>
#include <random>

namespace tg::test {
namespace {

using Index = Tensor<std::int64_t>;

Tensor<> random_logits(const Shape& shape, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(-2.0, 2.0);
    Array<double> a = Array<double>::from_shape(shape);
    for (double& e : a) e = u(rng);
    return Tensor<>(std::move(a));
}

/// loss(x, int64 targets) and loss(x, double targets): equal values, gradients and
/// Hessians (a summed loss, so reduction none is covered too).
void expect_same(const std::function<Tensor<>(const Tensor<>&, bool)>& loss, const Tensor<>& x,
                 const std::string& label) {
    SCOPED_TRACE(label);
    const Function<double> as_int64 = [&](const Tensor<>& v) { return sum(loss(v, true)); };
    const Function<double> as_double = [&](const Tensor<>& v) { return sum(loss(v, false)); };
    EXPECT_TRUE(same(loss(x, true), loss(x, false)));
    EXPECT_TRUE(same(tg::grad(as_int64, x), tg::grad(as_double, x)));
    const Tensor<> h = tg::hessian(as_int64, x);
    EXPECT_TRUE(same(h, tg::hessian(as_double, x)));
    EXPECT_GT(xt::amax(xt::abs(h.value()))(), 0.0) << "the Hessian is zero: nothing compared";
}

TEST(IndexTensorLosses, Int64TargetsEqualFloatTargets) {
    struct Case {
        std::string label;
        Shape logits;
        Index target;
        nn::CrossEntropyOptions<double> options;
    };
    const Tensor<> weight{0.5, 2.0, 1.0};
    nn::CrossEntropyOptions<double> weighted, ignoring, smoothing, summed, none;
    weighted.weight = weight;
    ignoring.ignore_index = 1;
    smoothing.label_smoothing = 0.2;
    smoothing.weight = weight;
    summed.reduction = nn::Reduction::sum;
    none.reduction = nn::Reduction::none;
    const std::vector<Case> cases = {
        {"plain", {4, 3}, Index{2, 0, 1, 2}, {}},
        {"weighted", {4, 3}, Index{2, 0, 1, 2}, weighted},
        {"ignore_index 1", {4, 3}, Index{2, 1, 1, 0}, ignoring},
        {"default ignore_index -100", {3, 3}, Index{2, -100, 0}, {}},
        {"label smoothing", {4, 3}, Index{2, 0, 1, 2}, smoothing},
        {"sum", {4, 3}, Index{0, 0, 1, 2}, summed},
        {"none, (N, C, d)", {2, 3, 2}, Index{{0, 2}, {1, 1}}, none},
        {"(C) with a 0-d target", {3}, Index(std::int64_t{1}), {}},
    };
    std::uint64_t seed = 1;
    for (const Case& c : cases) {
        const Tensor<> x = random_logits(c.logits, seed++);
        const Tensor<> as_double = to_floating<double>(c.target);
        expect_same(
            [&](const Tensor<>& v, bool int64) {
                return int64 ? nn::cross_entropy(v, c.target, c.options)
                             : nn::cross_entropy(v, as_double, c.options);
            },
            x, "cross_entropy " + c.label);
        const nn::NllLossOptions<double> nll{c.options.weight, c.options.ignore_index,
                                             c.options.reduction};
        expect_same(
            [&](const Tensor<>& v, bool int64) {
                const Tensor<> log_p = log_softmax(v, c.logits.size() >= 2 ? 1 : 0);
                return int64 ? nn::nll_loss(log_p, c.target, nll)
                             : nn::nll_loss(log_p, as_double, nll);
            },
            x, "nll_loss " + c.label);
    }
}

TEST(IndexTensorLosses, ArgmaxResultIsATarget) {
    const Tensor<> logits{{1.0, 2.0, 3.0}, {0.5, 0.5, -1.0}};
    EXPECT_EQ(nn::cross_entropy(logits, argmax(logits, 1)).item(),
              nn::cross_entropy(logits, Tensor<>{2.0, 0.0}).item());
    EXPECT_EQ(nn::cross_entropy(Tensor<float>{{1.0f, 2.0f}}, Index{1}).item(),
              nn::cross_entropy(Tensor<float>{{1.0f, 2.0f}}, Tensor<float>{1.0f}).item());
}

TEST(IndexTensorLosses, OutOfRangeAndNegativeTargetsAreRefused) {
    const Tensor<> logits = random_logits({2, 3}, 9);
    expect_message<ValueError>(
        [&] {
            nn::cross_entropy(logits, Index{0, 3});
        },
        {"cross_entropy: target 1 is class 3 but the logits have 3 classes; "
         "class indices must be whole numbers in [0, 3) or ignore_index "
         "(-100)"});
    expect_message<ValueError>(
        [&] {
            nn::nll_loss(logits, Index{-1, 0});
        },
        {"nll_loss: target 0 is class -1 but the input have 3 classes"});
    // int64 targets are class indices: of the logits' shape they are not probabilities.
    expect_message<ShapeError>(
        [&] {
            nn::cross_entropy(logits, Index{{0, 1, 0}, {1, 0, 0}});
        },
        {"cross_entropy: logits of shape (2, 3) with 6 targets of shape (2, 3)"});
}

TEST(IndexTensorEmbedding, Int64IndicesEqualFloatIndices) {
    nn::Rng rng(3);
    nn::Embedding<double> plain(6, 4, rng), padded(6, 4, rng, 2);
    const Index index{{5, 2, 0}, {2, 2, 1}};
    const Tensor<> as_double = to_floating<double>(index);
    for (nn::Embedding<double>* emb : {&plain, &padded}) {
        SCOPED_TRACE(emb->describe());
        EXPECT_TRUE(same((*emb)(index), (*emb)(as_double)));
        EXPECT_EQ((*emb)(index).shape(), (Shape{2, 3, 4}));
        // Gradients of the table, padding_idx's row zero on both paths.
        const Tensor<> w = emb->weight();
        const Tensor<> cotangent = random_logits({2, 3, 4}, 4);
        std::vector<Tensor<>> g_int64, g_double;
        {
            Tape tape;
            g_int64 = tape.gradient(sum(emb->forward(index) * cotangent), {w});
        }
        {
            Tape tape;
            g_double = tape.gradient(sum(emb->forward(as_double) * cotangent), {w});
        }
        EXPECT_TRUE(same(g_int64[0], g_double[0]));
        EXPECT_GT(xt::amax(xt::abs(g_int64[0].value()))(), 0.0);
    }
}

TEST(IndexTensorEmbedding, OutOfRangeAndNegativeIndicesAreRefused) {
    nn::Rng rng(5);
    nn::Embedding<double> emb(4, 2, rng);
    expect_message<ValueError>(
        [&] {
            emb(Index{0, 4});
        },
        {"Embedding(4, 2): index 4 is out of range; indices lie in [0, 4)"});
    expect_message<ValueError>([&] { emb.forward(Index{-1}); },
                               {"Embedding(4, 2): index -1 is out of range"});
}

TEST(IndexTensorModules, ASequentialPassesIndicesToItsEmbedding) {
    // PyTorch: nn.Sequential(nn.Embedding(6, 4), nn.Linear(4, 2))(tokens), tokens long.
    nn::Rng rng(7);
    auto emb = std::make_shared<nn::Embedding<double>>(6, 4, rng);
    auto fc = std::make_shared<nn::Linear<double>>(4, 2, rng);
    nn::Sequential<double> net{emb, nn::Tanh<double>(), fc};
    const Index tokens{{5, 2, 0}, {1, 1, 3}};
    Tape tape;
    const Tensor<> y = net(tokens);
    EXPECT_TRUE(same(y, (*fc)(tanh((*emb)(tokens)))));
    EXPECT_EQ(y.shape(), (Shape{2, 3, 2}));
    const std::vector<Tensor<>> g = tape.gradient(sum(y), {emb->weight()});
    EXPECT_GT(xt::amax(xt::abs(g[0].value()))(), 0.0);  // the table is trained through it

    // A module of values refuses indices, naming itself; so does an empty Sequential.
    expect_message<ValueError>([&] { (*fc)(tokens); },
                               {"Linear(in_features=4, out_features=2, bias=True): takes values, "
                                "not int64 indices (a module of indices, such as an Embedding, "
                                "overrides forward_indices); convert them with "
                                "tg::to_floating<T>(indices), or put an Embedding first"});
    nn::Sequential<double> starts_with_linear{fc, nn::Tanh<double>()};
    expect_message<ValueError>([&] { starts_with_linear(tokens); }, {"takes values, not int64"});
    nn::Sequential<double> empty;
    expect_message<ValueError>([&] { empty(tokens); },
                               {"Sequential: int64 indices need a first module that takes them "
                                "(an Embedding); this Sequential is empty"});
}

}  // namespace
}  // namespace tg::test
