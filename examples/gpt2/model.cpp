#include "model.hpp"

#include <tapegrad/activation_checkpoint.hpp>
#include <tapegrad/check.hpp>
#include <tapegrad/grad_mode.hpp>
#include <tapegrad/io/safetensors.hpp>
#include <tapegrad/ops.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace gpt2 {

namespace nn = tg::nn;

namespace {

/// A Dense layer of zeros (the model's initialization or a file overwrites it).
template <class T>
nn::ModuleHolder<nn::Dense<T>> zero_dense(std::size_t in, std::size_t out) {
    tg::Array<T> w = tg::Array<T>::from_shape({out, in}), b = tg::Array<T>::from_shape({out});
    w.fill(T(0));
    b.fill(T(0));
    return nn::ModuleHolder<nn::Dense<T>>(w, b);
}

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

template <class T>
CausalSelfAttention<T>::CausalSelfAttention(const Config& config) : config_(config) {
    reset();
}

template <class T>
void CausalSelfAttention<T>::reset() {
    const std::size_t c = config_.channels;
    c_attn_ = this->register_module("c_attn", zero_dense<T>(c, 3 * c));
    c_proj_ = this->register_module("c_proj", zero_dense<T>(c, c));
}

template <class T>
tg::Tensor<T> CausalSelfAttention<T>::forward(const tg::Tensor<T>& x) {
    const std::size_t c = config_.channels;
    // (B, T, 3C) -> q, k, v (B, T, C), each with the heads side by side in its last axis.
    const std::vector<tg::Tensor<T>> qkv = tg::split(c_attn_(x), {c, c, c}, -1);
    return c_proj_(
        tg::scaled_dot_product_attention_heads(qkv[0], qkv[1], qkv[2], config_.heads, {}, true));
}

template <class T>
Mlp<T>::Mlp(const Config& config) : config_(config) {
    reset();
}

template <class T>
void Mlp<T>::reset() {
    const std::size_t c = config_.channels;
    c_fc_ = this->register_module("c_fc", zero_dense<T>(c, 4 * c));
    c_proj_ = this->register_module("c_proj", zero_dense<T>(4 * c, c));
}

template <class T>
tg::Tensor<T> Mlp<T>::forward(const tg::Tensor<T>& x) {
    return c_proj_(tg::gelu(c_fc_(x), "tanh"));
}

template <class T>
Block<T>::Block(const Config& config) : config_(config) {
    reset();
}

template <class T>
void Block<T>::reset() {
    const tg::Shape c{config_.channels};
    ln_1_ = this->register_module("ln_1", nn::ModuleHolder<nn::LayerNorm<T>>(c));
    attn_ = this->register_module("attn", nn::ModuleHolder<CausalSelfAttention<T>>(config_));
    ln_2_ = this->register_module("ln_2", nn::ModuleHolder<nn::LayerNorm<T>>(c));
    mlp_ = this->register_module("mlp", nn::ModuleHolder<Mlp<T>>(config_));
}

template <class T>
tg::Tensor<T> Block<T>::forward(const tg::Tensor<T>& h) {
    const tg::Tensor<T> x = h + attn_(ln_1_(h));
    return x + mlp_(ln_2_(x));
}

template <class T>
GPT2<T>::GPT2(const Config& config, nn::Rng& rng) : config_(config) {
    TG_CHECK(config.vocab > 0 && config.context > 0 && config.layers > 0 && config.heads > 0 &&
                 config.channels % config.heads == 0,
             tg::ValueError, "GPT2: sizes must be positive and heads must divide channels; got ",
             config.heads, " heads for ", config.channels, " channels");
    build();
    const double std = 0.02, residual = 0.02 / std::sqrt(2.0 * double(config.layers));
    for (auto& [name, p] : this->named_parameters()) {
        tg::Array<T>& v = p.mutable_value();
        if (ends_with(name, ".bias"))
            v.fill(T(0));
        else if (name.find("ln_") != std::string::npos)
            v.fill(T(1));
        else
            v = nn::normal<T>(p.shape(), 0.0, ends_with(name, "c_proj.weight") ? residual : std,
                              rng);
    }
}

template <class T>
void GPT2<T>::build() {
    const Config& c = config_;
    nn::Rng unused(0);  // the tables are drawn again (or loaded) after
    wte_ = this->register_module("wte",
                                 nn::ModuleHolder<nn::Embedding<T>>(c.vocab, c.channels, unused));
    wpe_ = this->register_module("wpe",
                                 nn::ModuleHolder<nn::Embedding<T>>(c.context, c.channels, unused));
    h_ = this->register_module("h", std::make_shared<nn::ModuleList<T>>());
    for (std::size_t i = 0; i < c.layers; ++i) h_->add(Block<T>(c));
    ln_f_ =
        this->register_module("ln_f", nn::ModuleHolder<nn::LayerNorm<T>>(tg::Shape{c.channels}));
}

template <class T>
void GPT2<T>::reset() {
    build();
}

template <class T>
tg::Tensor<T> GPT2<T>::forward_indices(const examples::Tokens& x) {
    TG_CHECK(x.dim() == 2 && x.size(1) > 0 && x.size(1) <= config_.context, tg::ShapeError,
             "GPT2 expects (B, T) token ids with 0 < T <= ", config_.context, "; got ",
             tg::shape_str(x.value().shape()));
    const std::size_t t = x.size(1);
    // (B, T, C) + (T, C): every sequence gets the same position vectors.
    tg::Tensor<T> h = wte_(x) + wpe_(tg::arange<std::int64_t>(t));
    for (const nn::ModuleHolder<nn::Module<T>> block : *h_) {  // for block in self.h
        h = config_.checkpoint_blocks
                ? tg::checkpoint<T>([block](const tg::Tensor<T>& in) { return block(in); }, h)
                : block(h);
    }
    // Weight tying: the output layer is the token table, logits = h wteᵀ.
    return tg::linear(ln_f_(h), wte_->weight());
}

// ---- checkpoints ---------------------------------------------------------------------

namespace {

/// The arrays a model of `c` has, with their shapes, in named_parameters() order.
std::vector<std::pair<std::string, tg::Shape>> expected_shapes(const Config& c) {
    const std::size_t C = c.channels;
    std::vector<std::pair<std::string, tg::Shape>> s{{"wte.weight", {c.vocab, C}},
                                                     {"wpe.weight", {c.context, C}}};
    for (std::size_t l = 0; l < c.layers; ++l) {
        const std::string p = "h." + std::to_string(l) + ".";
        s.insert(s.end(), {{p + "ln_1.weight", {C}},
                           {p + "ln_1.bias", {C}},
                           {p + "attn.c_attn.weight", {3 * C, C}},
                           {p + "attn.c_attn.bias", {3 * C}},
                           {p + "attn.c_proj.weight", {C, C}},
                           {p + "attn.c_proj.bias", {C}},
                           {p + "ln_2.weight", {C}},
                           {p + "ln_2.bias", {C}},
                           {p + "mlp.c_fc.weight", {4 * C, C}},
                           {p + "mlp.c_fc.bias", {4 * C}},
                           {p + "mlp.c_proj.weight", {C, 4 * C}},
                           {p + "mlp.c_proj.bias", {C}}});
    }
    s.insert(s.end(), {{"ln_f.weight", {C}}, {"ln_f.bias", {C}}});
    return s;
}

constexpr std::int32_t kLlmcMagic = 20240326;

}  // namespace

Weights read_llmc(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    TG_CHECK(in, tg::IoError, "read_llmc: cannot open '", path, "'");
    std::array<std::int32_t, 256> header{};
    in.read(reinterpret_cast<char*>(header.data()), sizeof header);
    TG_CHECK(in && header[0] == kLlmcMagic, tg::IoError, "read_llmc: '", path,
             "' is not an llm.c checkpoint (no 256-int32 header starting with magic ", kLlmcMagic,
             ")");
    TG_CHECK(header[1] == 3, tg::IoError, "read_llmc: '", path, "' is llm.c checkpoint version ",
             header[1], "; only version 3 (float32) is read: write it with llm.c's float32 path");
    for (int k = 2; k <= 7; ++k)
        TG_CHECK(header[k] > 0 && header[k] <= (1 << 20), tg::IoError, "read_llmc: '", path,
                 "': header entry ", k, " is ", header[k], ", not a size");
    Weights w;
    Config& c = w.config;
    c.context = std::size_t(header[2]);
    c.vocab = std::size_t(header[3]);
    c.layers = std::size_t(header[4]);
    c.heads = std::size_t(header[5]);
    c.channels = std::size_t(header[6]);
    const std::size_t padded = std::size_t(header[7]), C = c.channels, L = c.layers;
    TG_CHECK(padded >= c.vocab && C % c.heads == 0, tg::IoError, "read_llmc: '", path,
             "': padded vocabulary ", padded, " < vocabulary ", c.vocab, " or ", c.heads,
             " heads do not divide ", C, " channels");
    // The file's tensors in train_gpt2.c's ParameterTensors order: name, per-layer shape
    // (each stacked L times) or whole shape.
    struct Entry {
        const char* name;  // GPT-2's, after "h.N." for a per-layer tensor
        tg::Shape shape;
        bool per_layer;
    };
    const std::vector<Entry> entries{{"wte.weight", {padded, C}, false},
                                     {"wpe.weight", {c.context, C}, false},
                                     {"ln_1.weight", {C}, true},
                                     {"ln_1.bias", {C}, true},
                                     {"attn.c_attn.weight", {3 * C, C}, true},
                                     {"attn.c_attn.bias", {3 * C}, true},
                                     {"attn.c_proj.weight", {C, C}, true},
                                     {"attn.c_proj.bias", {C}, true},
                                     {"ln_2.weight", {C}, true},
                                     {"ln_2.bias", {C}, true},
                                     {"mlp.c_fc.weight", {4 * C, C}, true},
                                     {"mlp.c_fc.bias", {4 * C}, true},
                                     {"mlp.c_proj.weight", {C, 4 * C}, true},
                                     {"mlp.c_proj.bias", {C}, true},
                                     {"ln_f.weight", {C}, false},
                                     {"ln_f.bias", {C}, false}};
    std::size_t total = 0;
    for (const Entry& e : entries) {
        std::size_t n = e.per_layer ? L : 1;
        for (std::size_t d : e.shape) n *= d;
        total += n;
    }
    in.seekg(0, std::ios::end);
    const std::size_t bytes = std::size_t(in.tellg());
    TG_CHECK(bytes == sizeof header + total * sizeof(float), tg::IoError, "read_llmc: '", path,
             "' has ", bytes, " bytes; its header (L=", L, ", C=", C, ", V=", c.vocab, " padded ",
             padded, ", maxT=", c.context, ") needs ", sizeof header + total * sizeof(float));
    in.seekg(sizeof header);
    for (const Entry& e : entries) {
        for (std::size_t l = 0; l < (e.per_layer ? L : 1); ++l) {
            tg::Array<float> a = tg::Array<float>::from_shape(e.shape);
            in.read(reinterpret_cast<char*>(a.data()), std::streamsize(a.size() * sizeof(float)));
            TG_CHECK(in, tg::IoError, "read_llmc: '", path, "': read failed in ", e.name);
            const std::string name = e.per_layer ? "h." + std::to_string(l) + "." + e.name : e.name;
            w.arrays[name] = std::move(a);
        }
    }
    // The padding rows (zero, never trained by llm.c: no token and no target reaches them).
    tg::Array<float> wte = tg::Array<float>::from_shape({c.vocab, C});
    std::memcpy(wte.data(), w.arrays["wte.weight"].data(), wte.size() * sizeof(float));
    w.arrays["wte.weight"] = std::move(wte);
    return w;
}

Weights read_named(const std::string& path, std::size_t heads) {
    char magic[10] = {};
    {
        std::ifstream in(path, std::ios::binary);
        TG_CHECK(in, tg::IoError, "read_named: cannot open '", path, "'");
        in.read(magic, sizeof magic);
    }
    // .npz is a zip ("PK"); safetensors starts with its header length, then '{'.
    tg::io::NamedArrays<float> file = magic[0] == 'P' && magic[1] == 'K'
                                          ? tg::io::load_npz<float>(path)
                                          : tg::io::load_safetensors<float>(path).tensors;
    Weights w;
    for (auto& [name, a] : file) {
        std::string n = name.rfind("transformer.", 0) == 0 ? name.substr(12) : name;
        if (n == "lm_head.weight" || ends_with(n, ".attn.bias") ||
            ends_with(n, ".attn.masked_bias"))
            continue;
        w.arrays[n] = std::move(a);
    }
    const auto shape_of = [&](const std::string& n) {
        const auto it = w.arrays.find(n);
        TG_CHECK(it != w.arrays.end(), tg::IoError, "read_named: '", path, "' has no ", n,
                 ": not a GPT-2-named checkpoint");
        return tg::Shape(it->second.shape());
    };
    Config& c = w.config;
    const tg::Shape wte = shape_of("wte.weight"), wpe = shape_of("wpe.weight");
    TG_CHECK(wte.size() == 2 && wpe.size() == 2, tg::IoError, "read_named: '", path,
             "': wte and wpe must be 2-D");
    c.vocab = wte[0];
    c.channels = wte[1];
    c.context = wpe[0];
    c.heads = heads;
    c.layers = 0;
    while (w.arrays.count("h." + std::to_string(c.layers) + ".ln_1.weight")) ++c.layers;
    // Conv1D's layout (in, out): c_attn.weight (C, 3C) instead of (3C, C).
    if (c.layers > 0 && shape_of("h.0.attn.c_attn.weight") == tg::Shape{c.channels, 3 * c.channels})
        for (auto& [n, a] : w.arrays)
            if (n.rfind("h.", 0) == 0 && ends_with(n, ".weight") && a.dimension() == 2)
                a = tg::Array<float>(xt::transpose(a));
    for (const auto& [n, s] : expected_shapes(c))
        TG_CHECK(shape_of(n) == s, tg::IoError, "read_named: '", path, "': ", n, " is ",
                 tg::shape_str(shape_of(n)), ", a GPT-2 of V=", c.vocab, ", C=", c.channels,
                 " has ", tg::shape_str(s));
    return w;
}

Weights read_weights(const std::string& path, std::size_t heads) {
    std::ifstream in(path, std::ios::binary);
    TG_CHECK(in, tg::IoError, "cannot open the weights '", path, "'");
    std::int32_t magic = 0;
    in.read(reinterpret_cast<char*>(&magic), sizeof magic);
    return in && magic == kLlmcMagic ? read_llmc(path) : read_named(path, heads);
}

template <class T>
void load_weights(GPT2<T>& model, const Weights& weights, const std::string& path) {
    for (auto& [name, p] : model.named_parameters()) {
        const auto it = weights.arrays.find(name);
        TG_CHECK(it != weights.arrays.end(), tg::IoError, "load_weights: '", path, "' has no ",
                 name);
        TG_CHECK(tg::Shape(it->second.shape()) == p.shape(), tg::IoError, "load_weights: '", path,
                 "': ", name, " is ", tg::shape_str(it->second.shape()), ", the model's is ",
                 tg::shape_str(p.shape()));
        p.mutable_value() = xt::cast<T>(it->second);
    }
}

#define GPT2_INSTANTIATE(T)                \
    template class CausalSelfAttention<T>; \
    template class Mlp<T>;                 \
    template class Block<T>;               \
    template class GPT2<T>;                \
    template void load_weights<T>(GPT2<T>&, const Weights&, const std::string&);
GPT2_INSTANTIATE(float)
GPT2_INSTANTIATE(double)
#undef GPT2_INSTANTIATE

}  // namespace gpt2
