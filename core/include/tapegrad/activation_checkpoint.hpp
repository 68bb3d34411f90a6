#pragma once
// Activation checkpointing, as torch.utils.checkpoint.checkpoint(fn, *inputs,
// use_reentrant=False): trade compute for memory.
//
//     auto y = tg::checkpoint([&](const tg::Tensor<>& x) { return block(x); }, x);
//
// fn runs and is recorded as usual, but the tensors its ops saved for backward are dropped
// when fn returns (only fn's inputs, its outputs and the parameters stay). When
// a backward sweep first needs one of them, fn runs again on the same inputs and the
// saved tensors are taken from that second run; the random generators fn drew from
// (dropout) are set back to where they were, so the recomputation draws the same masks.
// The graph is the one fn recorded, so gradients are bit-identical to a run without
// checkpointing, for parameters fn captures as well as for its inputs, under create_graph
// (the recomputation is then recorded, so the gradients can be differentiated again) and
// in tg::nn::DataParallel's workers. docs/design.md, "Activation checkpointing".

#include <tapegrad/tensor.hpp>

#include <functional>
#include <random>
#include <type_traits>
#include <utility>
#include <vector>

namespace tg {

/// Runs fn(inputs), keeping for backward only what fn's recomputation cannot give back;
/// see above. fn must record the same ops when it runs again (the same control flow for
/// the same inputs); otherwise the sweep throws tg::GraphError. Random generators must
/// outlive the backward. Without a recording tape this is fn(inputs).
template <class T>
std::vector<Tensor<T>> checkpoint(
    const std::function<std::vector<Tensor<T>>(const std::vector<Tensor<T>>&)>& fn,
    const std::vector<Tensor<T>>& inputs);

/// One input, one output: `tg::checkpoint([&](const tg::Tensor<>& x) { ... }, x)`.
template <class T, class F,
          class = std::enable_if_t<std::is_invocable_r_v<Tensor<T>, F, const Tensor<T>&>>>
Tensor<T> checkpoint(F fn, const Tensor<T>& input) {
    const std::function<std::vector<Tensor<T>>(const std::vector<Tensor<T>>&)> wrapped =
        [fn = std::move(fn)](const std::vector<Tensor<T>>& xs) {
            return std::vector<Tensor<T>>{fn(xs[0])};
        };
    return checkpoint<T>(wrapped, {input})[0];
}

namespace detail {
/// Called by every op that draws from a generator (dropout, random tensors) before its
/// first draw: inside a checkpointed function, notes the generator's state so that the
/// recomputation can start it from there. Costs one thread-local test otherwise.
void note_generator(std::mt19937_64& rng);
}  // namespace detail

}  // namespace tg
