// MultiheadAttention's masks against PyTorch 1.13 (tests/data/attention_reference.txt,
// written by tests/data/make_attention_reference.py): boolean masks (MaskKind::block, as
// nn.MultiheadAttention reads True; MaskKind::allow, the opposite) and additive float
// masks (biases, ALiBi, −inf), each with key_padding_mask, with is_causal, a 3-D attn_mask
// per head, and a row whose every key is masked (NaN, as PyTorch); outputs, averaged
// weights and every gradient, on the fused path (need_weights = false) and the composite
// one; then gradients against finite differences with float masks, and the errors.

#include "nn/expect_message.hpp"
#include "nn/nn_test_util.hpp"
#include "reference_data.hpp"

#include <tapegrad/nn/attention.hpp>

#include <limits>
#include <map>
#include <string>

namespace tg::test {
namespace {

using T = double;

std::map<std::string, std::string> options_of(const ReferenceCase& c) {
    std::map<std::string, std::string> o;
    for (const std::string& w : c.words) {
        const std::size_t eq = w.find('=');
        if (eq != std::string::npos) o[w.substr(0, eq)] = w.substr(eq + 1);
    }
    return o;
}

/// The mask `key` of case `c`, read as the kind its words give (none: undefined).
AttentionMask<T> mask_of(const ReferenceCase& c, const std::string& key, const std::string& kind) {
    if (!c.has(key)) return {};
    const MaskKind k = kind == "allow"   ? MaskKind::allow
                       : kind == "block" ? MaskKind::block
                                         : MaskKind::additive;
    return {Tensor<T>(c.at(key)), k};
}

TEST(AttentionMasks, MultiheadAttentionMatchesPyTorch) {
    int seen = 0;
    for (const ReferenceCase& c :
         read_reference(std::string(TAPEGRAD_TEST_DATA_DIR) + "/attention_reference.txt")) {
        if (c.words.at(0) != "mha") continue;
        ++seen;
        SCOPED_TRACE(c.words.at(1));
        const auto o = options_of(c);
        nn::Rng rng(1);
        nn::MultiheadAttention<T> mha(8, 2, rng);
        for (auto& [key, p] : mha.named_parameters()) p.assign(c.at(key));
        nn::AttentionMasks<T> masks{mask_of(c, "attn_mask", o.at("attn")),
                                    mask_of(c, "key_padding_mask", o.at("padding")),
                                    o.at("causal") == "1"};
        for (bool need_weights : {true, false}) {
            SCOPED_TRACE(need_weights ? "composite (need_weights)" : "fused");
            std::vector<Tensor<T>> wrt = mha.parameters();
            const Tensor<T> q = parameter<T>(c.at("query")), k = parameter<T>(c.at("key")),
                            v = parameter<T>(c.at("value"));
            wrt.insert(wrt.end(), {q, k, v});
            Tape tape;
            const nn::AttentionOutput<T> r = mha(q, k, v, masks, need_weights);
            EXPECT_TRUE(matches_reference(r.output.value(), c.at("output"), 1e-12)) << "output";
            if (need_weights) {
                EXPECT_TRUE(matches_reference(r.weights.value(), c.at("weights"), 1e-12))
                    << "weights";
            }
            const auto g = tape.gradient(sum(r.output * Tensor<T>(c.at("cotangent"))), wrt);
            std::vector<std::string> names;
            for (const auto& [key, p] : mha.named_parameters()) names.push_back(key);
            names.insert(names.end(), {"query", "key", "value"});
            for (std::size_t i = 0; i < names.size(); ++i)
                EXPECT_TRUE(matches_reference(g[i].value(), c.at("grad_" + names[i]), 1e-12))
                    << "grad_" << names[i];
        }
    }
    EXPECT_EQ(seen, 10);
}

TEST(AttentionMasks, FloatMasksPassGradcheck) {
    // An additive attn_mask of biases and a float key_padding_mask, both constants: the
    // parameters' gradients against central differences, on both paths.
    nn::Rng rng(11);
    nn::MultiheadAttention<T> mha(4, 2, rng);
    const Tensor<T> x = randn<T>({2, 3, 4}, rng), w = randn<T>({2, 3, 4}, rng);
    nn::AttentionMasks<T> masks;
    masks.attn_mask =
        Tensor<T>(xt::xarray<T>{{0.0, -0.5, -1.0}, {-0.5, 0.0, 0.4}, {-1.0, -0.5, 0.0}});
    masks.key_padding_mask = Tensor<T>(xt::xarray<T>{{0.0, 0.3, -0.2}, {-0.7, 0.0, 0.1}});
    for (bool need_weights : {true, false})
        check_parameter_gradients(
            mha, [&] { return sum(w * mha(x, x, x, masks, need_weights).output); });
}

TEST(AttentionMasks, ErrorsNameTheMask) {
    nn::Rng rng(12);
    nn::MultiheadAttention<T> mha(4, 2, rng);
    const Tensor<T> x = randn<T>({2, 3, 4}, rng);
    auto call = [&](const AttentionMask<T>& attn_mask, const AttentionMask<T>& padding) {
        return [&, attn_mask, padding] { mha(x, x, x, {attn_mask, padding, false}, false); };
    };
    expect_message<ShapeError>(
        call(Tensor<T>(xt::zeros<T>({3, 2})), {}),
        {"MultiheadAttention(4, num_heads=2): attn_mask must have shape (L, S) = (3, 3) or "
         "(N·num_heads, L, S) = (4, 3, 3); got (3, 2)"});
    expect_message<ShapeError>(call({}, Tensor<T>(xt::zeros<T>({2, 4}))),
                               {"key_padding_mask must have shape (N, S) = (2, 3); got (2, 4)"});
    expect_message<ValueError>(call({Tensor<T>(xt::xarray<T>({3, 3}, 2.0)), MaskKind::block}, {}),
                               {"attn_mask of MaskKind::block holds 2"});
    expect_message<ValueError>(call(Tensor<T>(xt::zeros<T>({3, 3}), true), {}),
                               {"attn_mask gets no gradient here; detach() it"});
    expect_message<ValueError>(call({}, Tensor<T>(xt::zeros<T>({2, 3}), true)),
                               {"key_padding_mask gets no gradient here; detach() it"});
}

}  // namespace
}  // namespace tg::test
