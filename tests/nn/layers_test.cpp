// The layers of PyTorch's torch.nn that tapegrad has (Conv1d, Conv2d, ConvTranspose2d,
// LayerNorm, BatchNorm1d/2d, Embedding, MultiheadAttention): outputs, running statistics
// and every gradient against PyTorch's (tests/data/layers/layer_reference.txt, written by
// make_layer_reference.py; the state_dict names load as they are), then parameter
// gradients against central differences, train/eval behaviour, shapes and errors.

#include "nn/expect_message.hpp"
#include "nn/nn_test_util.hpp"
#include "reference_data.hpp"

#include <tapegrad/nn/attention.hpp>
#include <tapegrad/nn/conv.hpp>
#include <tapegrad/nn/embedding.hpp>
#include <tapegrad/nn/normalization.hpp>
#include <tapegrad/nn/pooling.hpp>

#include <functional>
#include <memory>
#include <xtensor/xmath.hpp>

namespace tg::test {
namespace {

using T = double;

void expect_close(const Array<T>& got, const Array<T>& want, const std::string& what) {
    ASSERT_EQ(Shape(got.shape()), Shape(want.shape())) << what;
    EXPECT_LT(relative_error(got, want), 1e-10) << what;
}

/// The module of a reference case, built with the case's configuration.
std::shared_ptr<nn::Module<T>> layer_of(const std::string& name, nn::Rng& rng) {
    nn::ConvOptions o;
    if (name == "conv2d_groups") {
        o.stride = 2, o.padding = 1, o.groups = 2;
        return std::make_shared<nn::Conv2d<T>>(4, 6, Size2(3, 2), rng, o);
    }
    if (name == "conv2d_dilation") {
        o.padding = 2, o.dilation = 2;
        return std::make_shared<nn::Conv2d<T>>(3, 2, 3, rng, o);
    }
    if (name == "conv1d") {
        o.stride = 2, o.padding = 1;
        return std::make_shared<nn::Conv1d<T>>(3, 4, 3, rng, o);
    }
    if (name == "conv_transpose2d") {
        o.stride = 2, o.padding = 1, o.output_padding = 1, o.groups = 2;
        return std::make_shared<nn::ConvTranspose2d<T>>(4, 2, 3, rng, o);
    }
    if (name == "layer_norm") return std::make_shared<nn::LayerNorm<T>>(Shape{3, 5});
    if (name == "batch_norm1d") return std::make_shared<nn::BatchNorm1d<T>>(3, 1e-5, 0.2);
    if (name == "batch_norm1d_2d_input") return std::make_shared<nn::BatchNorm1d<T>>(4);
    if (name == "batch_norm2d") return std::make_shared<nn::BatchNorm2d<T>>(3);
    if (name == "batch_norm1d_cumulative")
        return std::make_shared<nn::BatchNorm1d<T>>(3, 1e-5, std::nullopt);
    if (name == "embedding") return std::make_shared<nn::Embedding<T>>(7, 3, rng, 2);
    if (name == "linear") return std::make_shared<nn::Linear<T>>(5, 3, rng);
    if (name == "linear_no_bias") return std::make_shared<nn::Linear<T>>(5, 3, rng, false);
    nn::MultiheadAttentionOptions no_bias;
    no_bias.bias = false;
    if (name == "attention_no_bias")
        return std::make_shared<nn::MultiheadAttention<T>>(8, 2, rng, no_bias);
    return std::make_shared<nn::MultiheadAttention<T>>(8, 2, rng);
}

TEST(Layers, MatchPyTorch) {
    const auto cases =
        read_reference(std::string(TAPEGRAD_TEST_DATA_DIR) + "/layers/layer_reference.txt");
    ASSERT_EQ(cases.size(), 14u);
    nn::Rng rng(1);
    for (const ReferenceCase& c : cases) {
        const std::string name = c.words.at(0);
        SCOPED_TRACE(name);
        auto m = layer_of(name, rng);
        for (auto& [key, p] : m->named_parameters()) p.assign(c.at(key));
        for (auto& [key, b] : m->named_buffers()) b.assign(c.at(key));
        const bool is_embedding = name == "embedding";
        Tensor<T> x(Array<T>(c.at("x")), !is_embedding);
        Tape tape;
        Tensor<T> out;
        if (name.rfind("attention", 0) == 0) {
            // PyTorch's boolean masks (True = masked), written as 0/1.
            nn::AttentionMasks<T> masks{{Tensor<T>(c.at("attn_mask")), MaskKind::block},
                                        {Tensor<T>(c.at("key_padding_mask")), MaskKind::block}};
            auto r = static_cast<nn::MultiheadAttention<T>&>(*m)(x, Tensor<T>(c.at("key")),
                                                                 Tensor<T>(c.at("value")), masks);
            expect_close(r.weights.value(), c.at("weights"), "weights");
            out = r.output;
        } else {
            out = (*m)(x);
        }
        expect_close(out.value(), c.at("output"), "output");
        tape.backward(sum(Tensor<T>(c.at("cot")) * out));
        for (const auto& [key, p] : m->named_parameters())
            expect_close(p.grad().value(), c.at("grad_" + key), "grad " + key);
        if (!is_embedding) expect_close(x.grad().value(), c.at("grad_x"), "grad x");
        if (c.has("after_running_mean")) {  // BatchNorm: the buffers, then eval mode
            const auto buffers = m->named_buffers();
            expect_close(buffers.at(0).second.value(), c.at("after_running_mean"), "running_mean");
            expect_close(buffers.at(1).second.value(), c.at("after_running_var"), "running_var");
            expect_close(buffers.at(2).second.value(), c.at("after_num_batches_tracked"),
                         "num_batches_tracked");
            m->eval();
            expect_close((*m)(x).value(), c.at("eval_output"), "eval output");
        }
    }
}

TEST(Layers, ParameterGradientsMatchFiniteDifferences) {
    nn::Rng rng(2);
    nn::ConvOptions o;
    o.stride = 2, o.padding = 1, o.groups = 2;
    nn::Conv2d<T> conv(2, 4, 3, rng, o);
    const Tensor<T> image = randn<T>({2, 2, 5, 5}, rng), w_conv = randn<T>({2, 4, 3, 3}, rng);
    check_parameter_gradients(conv, [&] { return sum(w_conv * tanh(conv(image))); });
    nn::BatchNorm2d<T> bn(2);
    const Tensor<T> w_bn = randn<T>({2, 2, 5, 5}, rng);
    check_parameter_gradients(bn, [&] { return sum(w_bn * bn(image)); });
    nn::MultiheadAttention<T> mha(4, 2, rng);
    const Tensor<T> seq = randn<T>({2, 3, 4}, rng), w_mha = randn<T>({2, 3, 4}, rng);
    check_parameter_gradients(mha, [&] {
        return sum(w_mha * mha(seq, seq, seq, {Tensor<T>(), Tensor<T>(), true}).output);
    });
}

TEST(Layers, TrainAndEval) {
    nn::Rng rng(3);
    nn::Dropout<T> drop(0.5, &rng);
    const Tensor<T> x = ones<T>({1000});
    const Tensor<T> y = drop(x);
    const double kept = sum(gt(y, zeros<T>({1}))).item();
    EXPECT_GT(kept, 400);
    EXPECT_LT(kept, 600);
    EXPECT_EQ(max(y, 0).item(), 2.0);  // kept values scaled by 1 / (1 − p)
    drop.eval();
    EXPECT_EQ(drop(x).value(), x.value());
    // BatchNorm in eval mode leaves its running statistics alone.
    nn::BatchNorm1d<T> bn(3);
    bn.eval();
    bn(randn<T>({4, 3}, rng));
    EXPECT_EQ(bn.running_mean().value(), zeros<T>({3}).value());
    bn.train();
    bn(randn<T>({4, 3}, rng));
    EXPECT_NE(bn.running_mean().value(), zeros<T>({3}).value());
    // Buffers are saved, never trained.
    EXPECT_EQ(bn.parameters().size(), 2u);
    EXPECT_EQ(bn.buffers().size(), 3u);
    // num_batches_tracked counts training batches only.
    EXPECT_EQ(bn.num_batches_tracked().item(), 1.0);
    bn.eval();
    bn(randn<T>({4, 3}, rng));
    EXPECT_EQ(bn.num_batches_tracked().item(), 1.0);
}

TEST(Layers, LinearIsPyTorchsLinear) {
    nn::Rng rng(6);
    nn::Linear<T> lin(16, 8, rng);
    EXPECT_EQ(lin.describe(), "Linear(in_features=16, out_features=8, bias=True)");
    // Weight and bias from U(−1/√16, 1/√16) = U(−0.25, 0.25), the bias not zero.
    EXPECT_LE(amax(abs(lin.weight().value()))(), 0.25);
    EXPECT_GT(amax(abs(lin.weight().value()))(), 0.2);
    EXPECT_LE(amax(abs(lin.bias().value()))(), 0.25);
    EXPECT_GT(amax(abs(lin.bias().value()))(), 0.0);
    // clone() is again a Linear, with its own parameters of the same values.
    const auto copy = lin.clone();
    EXPECT_EQ(copy->describe(), lin.describe());
    EXPECT_EQ(copy->named_parameters().at(1).second.value(), lin.bias().value());
    EXPECT_NE(copy->named_parameters().at(1).second.node(), lin.bias().node());
    // Without a bias: one parameter, forward = x Wᵀ, and shape errors name the layer.
    nn::Linear<T> bare(3, 2, rng, false);
    EXPECT_EQ(bare.parameters().size(), 1u);
    EXPECT_FALSE(bare.bias().defined());
    const Tensor<T> x = randn<T>({4, 3}, rng);
    EXPECT_EQ(bare(x).value(), matmul(x, transpose(bare.weight())).value());
    expect_message<ShapeError>(
        [&] {
            bare(zeros<T>({4, 2}));
        },
        {"Linear(in_features=3, out_features=2, bias=False) expects input "
         "(..., 3); got (4, 2)"});
    const Tensor<T> w = randn<T>({4, 2}, rng);
    check_parameter_gradients(bare, [&] { return sum(w * tanh(bare(x))); });
    // Dense keeps its own default: Xavier weight, zero bias.
    nn::Dense<T> dense(16, 8, rng);
    EXPECT_EQ(amax(abs(dense.bias().value()))(), 0.0);
}

TEST(Layers, AttentionOptions) {
    nn::MultiheadAttentionOptions no_bias;
    no_bias.bias = false;
    nn::Rng rng(7);
    nn::MultiheadAttention<T> bare(4, 2, rng, no_bias);
    EXPECT_EQ(bare.describe(), "MultiheadAttention(4, num_heads=2, bias=False)");
    std::vector<std::string> names;
    for (const auto& [name, p] : bare.named_parameters()) names.push_back(name);
    EXPECT_EQ(names, (std::vector<std::string>{"in_proj_weight", "out_proj.weight"}));
    const Tensor<T> seq = randn<T>({2, 3, 4}, rng), w = randn<T>({2, 3, 4}, rng);
    check_parameter_gradients(bare, [&] {
        return sum(w * bare(seq, seq, seq, {Tensor<T>(), Tensor<T>(), true}).output);
    });
    // need_weights = false: the same output (from the fused
    // scaled_dot_product_attention_heads instead of recorded ops: equal to rounding), no
    // averaged weights.
    const auto full = bare(seq, seq, seq), lean = bare(seq, seq, seq, {}, false);
    EXPECT_FALSE(lean.weights.defined());
    EXPECT_TRUE(xt::allclose(lean.output.value(), full.output.value(), 1e-13, 1e-14));
    EXPECT_TRUE(xt::allclose(bare(seq).value(), full.output.value(), 1e-13, 1e-14));
    // The same with every kind of mask at once, and the gradients of both paths.
    nn::MultiheadAttention<T> masked(4, 2, rng);
    nn::AttentionMasks<T> m;
    m.attn_mask = {Tensor<T>(xt::xarray<T>{{0, 1, 0}, {0, 0, 0}, {0, 0, 1}}), MaskKind::block};
    m.key_padding_mask = {Tensor<T>(xt::xarray<T>{{0, 0, 1}, {0, 0, 0}}), MaskKind::block};
    m.is_causal = true;
    std::vector<Tensor<T>> grads[2];
    for (bool need_weights : {true, false}) {
        tg::Tape tape;
        const Tensor<T> x = Tensor<T>(seq.value(), true);
        const Tensor<T> y = masked(x, x, x, m, need_weights).output;
        std::vector<Tensor<T>> wrt = masked.parameters();
        wrt.push_back(x);
        grads[need_weights] = tape.gradient(sum(w * y), wrt);
        grads[need_weights].push_back(y);
    }
    for (std::size_t i = 0; i < grads[0].size(); ++i)
        EXPECT_TRUE(xt::allclose(grads[0][i].value(), grads[1][i].value(), 1e-12, 1e-13)) << i;

    // Dropout on the attention weights: in training mode each weight is 0 or 1 / (1 − p)
    // times the weight without dropout (one head, so the returned average is that head);
    // in eval mode nothing changes.
    nn::Rng init_a(8), init_b(8), masks(9);
    nn::MultiheadAttentionOptions drop;
    drop.dropout = 0.5;
    drop.dropout_rng = &masks;
    nn::MultiheadAttention<T> with(4, 1, init_a, drop), without(4, 1, init_b);
    const auto a = with(seq, seq, seq), b = without(seq, seq, seq);
    std::size_t zeros_seen = 0;
    for (std::size_t i = 0; i < a.weights.size(); ++i) {
        const T dropped = a.weights.value().flat(i), plain = b.weights.value().flat(i);
        if (dropped == 0)
            ++zeros_seen;
        else
            EXPECT_NEAR(dropped, 2 * plain, 1e-15);
    }
    EXPECT_GT(zeros_seen, 0u);
    EXPECT_LT(zeros_seen, a.weights.size());
    with.eval();
    EXPECT_EQ(with(seq, seq, seq).output.value(), b.output.value());
    expect_message<ValueError>(
        [&] {
            nn::MultiheadAttentionOptions bad;
            bad.dropout = 1.5;
            nn::MultiheadAttention<T>(4, 2, rng, bad);
        },
        {"dropout must be in [0, 1]"});
}

TEST(Layers, ShapesAndPadding) {
    nn::Rng rng(4);
    nn::Sequential<T> net;
    net.add(nn::Conv2d<T>(1, 4, 3, rng));
    net.add(nn::ReLU<T>());
    net.add(nn::MaxPool2d<T>(2));
    net.add(nn::AdaptiveAvgPool2d<T>(1));
    net.add(nn::Flatten<T>());
    EXPECT_EQ(net(zeros<T>({5, 1, 8, 8})).shape(), Shape({5, 4}));
    nn::Embedding<T> emb(5, 2, rng, 0);
    Tensor<T> idx(Array<T>({2, 2}, T(0)));
    idx.mutable_value()(1, 1) = 3;
    Tape tape;
    tape.backward(sum(emb(idx)));
    // The padding row (0) gets no gradient; row 3 one per lookup.
    EXPECT_EQ(emb.weight().grad().value()(0, 0), 0.0);
    EXPECT_EQ(emb.weight().grad().value()(3, 1), 1.0);
    EXPECT_EQ(emb(idx).shape(), Shape({2, 2, 2}));
}

TEST(Layers, WrongInputsNameTheLayer) {
    nn::Rng rng(5);
    nn::Conv2d<T> conv(3, 16, 3, rng);
    expect_message<ShapeError>(
        [&] {
            conv(zeros<T>({8, 1, 28, 28}));
        },
        {"Conv2d(3, 16, k=3) expects input (N, 3, H, W); got (8, 1, 28, 28)"});
    nn::BatchNorm2d<T> bn(3);
    expect_message<ShapeError>(
        [&] {
            bn(zeros<T>({8, 3, 4}));
        },
        {"BatchNorm2d(3) expects input (N, 3, H, W)"});
    nn::Embedding<T> emb(4, 2, rng);
    expect_message<ValueError>([&] { emb(Tensor<T>(Array<T>({1}, T(4)))); },
                               {"not a whole number in [0, 4)"});
    nn::MultiheadAttention<T> mha(4, 2, rng);
    expect_message<ShapeError>(
        [&] {
            mha(zeros<T>({2, 3, 5}));
        },
        {"MultiheadAttention(4, num_heads=2) expects"});
    nn::AttentionMasks<T> causal;
    causal.is_causal = true;
    expect_message<ShapeError>(
        [&] {
            mha(zeros<T>({2, 3, 4}), zeros<T>({2, 5, 4}), zeros<T>({2, 5, 4}), causal);
        },
        {"MultiheadAttention(4, num_heads=2): is_causal needs L = S; got L = 3, S = 5"});
    expect_message<ValueError>([&] { nn::MultiheadAttention<T>(5, 2, rng); },
                               {"multiple of num_heads"});
    expect_message<ValueError>([&] { nn::Dropout<T>(1.5); }, {"p must be in [0, 1]"});
    expect_message<ValueError>(
        [&] {
            nn::Conv2d<T>(3, 4, 3, rng, {1, 0, 1, 2});
        },
        {"divisible by groups"});
}

}  // namespace
}  // namespace tg::test
