#pragma once
// What the two language-model examples (tiny_transformer, gpt2) share: their loss and
// their sampler. Each model maps token ids (B, T) to logits (B, T, V) and has a
// config().context, the longest window it takes.

#include <tapegrad/grad_mode.hpp>
#include <tapegrad/nn.hpp>
#include <tapegrad/ops.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace examples {

/// Token ids, (B, T), int64 as PyTorch's LongTensor: the models' input and the targets.
using Tokens = tg::Tensor<std::int64_t>;

/// Cross-entropy of logits (B, T, V) against the next tokens (B, T) ids, averaged over the
/// B·T positions: cross_entropy on the (B·T, V) and (B·T) reshapes. Also the loss
/// tg::nn::DataParallel takes (a mean over rows).
template <class T>
tg::Tensor<T> next_token_loss(const tg::Tensor<T>& logits, const Tokens& targets) {
    const tg::Shape s = logits.shape();
    return tg::nn::cross_entropy(logits.reshape({s[0] * s[1], s[2]}),
                                 targets.reshape({s[0] * s[1]}));
}

/// Continues `prompt` (ids, not empty) by `count` tokens drawn one at a time from
/// softmax(logits / temperature) of the last position, the model seeing at most its last
/// config().context tokens. Runs in eval mode under tg::NoGradGuard (restoring the model's
/// mode after); the draws come from `rng`. Returns prompt and continuation.
template <class Model>
std::vector<std::size_t> generate(Model& model, std::vector<std::size_t> prompt, std::size_t count,
                                  double temperature, tg::nn::Rng& rng) {
    using T = typename Model::value_type;
    if (prompt.empty()) throw std::invalid_argument("generate: the prompt is empty");
    tg::NoGradGuard no_grad;
    const bool training = model.is_training();
    model.eval();
    const std::size_t context = model.config().context;
    for (std::size_t k = 0; k < count; ++k) {
        const std::size_t l = std::min(prompt.size(), context);
        tg::Array<std::int64_t> x = tg::Array<std::int64_t>::from_shape({1, l});
        for (std::size_t i = 0; i < l; ++i) x(0, i) = std::int64_t(prompt[prompt.size() - l + i]);
        const tg::Array<T> logits = model(Tokens(std::move(x))).value();
        // p_c ∝ exp((z_c − max z) / temperature), in double.
        const std::size_t v = logits.shape()[2];
        std::vector<double> p(v);
        double top = -INFINITY, total = 0;
        for (std::size_t c = 0; c < v; ++c) top = std::max(top, double(logits(0, l - 1, c)));
        for (std::size_t c = 0; c < v; ++c)
            total += p[c] = std::exp((double(logits(0, l - 1, c)) - top) / temperature);
        double u = tg::nn::uniform01(rng) * total;
        std::size_t next = 0;
        while (next + 1 < v && (u -= p[next]) >= 0) ++next;
        prompt.push_back(next);
    }
    model.train(training);
    return prompt;
}

}  // namespace examples
