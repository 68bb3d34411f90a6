#pragma once
// The digits CNN, shared by the example (examples/digits/main.cpp) and its step benchmark
// (benchmarks/digits_step_benchmark.cpp), so both time and train the same model:
//
//     index  layer                               output (N, ...)
//     0      Conv2d(1, 16, 3, padding 1)         16 x 8 x 8
//     1      ReLU
//     2      MaxPool2d(2)                        16 x 4 x 4
//     3      Conv2d(16, 32, 3, padding 1)        32 x 4 x 4
//     4      ReLU
//     5      MaxPool2d(2)                        32 x 2 x 2
//     6      Flatten                             128
//     7      Dropout(p)
//     8      Dense(128, 10)                      10 logits
//
// The indices are the Sequential's parameter names ("0.weight", "3.bias", "8.weight"),
// which are also those of the same torch.nn.Sequential's state_dict.

#include <tapegrad/nn.hpp>

namespace digits {

/// The dropout probability of the example's training runs.
constexpr double kDropout = 0.25;

/// The CNN above with dropout probability `dropout`, its weights drawn from `rng`.
/// Dropout's masks are drawn from `dropout_rng` (kept: it must outlive the model), or,
/// when it is null, from the drawing thread's own tg::nn::default_rng(): what
/// tg::nn::DataParallel needs, whose workers must not draw from one shared Rng.
template <class T>
tg::nn::Sequential<T> make_model(tg::nn::Rng& rng, double dropout, tg::nn::Rng* dropout_rng);

extern template tg::nn::Sequential<float> make_model<float>(tg::nn::Rng&, double, tg::nn::Rng*);
extern template tg::nn::Sequential<double> make_model<double>(tg::nn::Rng&, double, tg::nn::Rng*);

}  // namespace digits
