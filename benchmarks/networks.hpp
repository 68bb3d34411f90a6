#pragma once
// The networks the training-step benchmarks run: the blog network (docs/design.md) and
// the wide 784-256-256-10 ReLU network, with fixed seeded weights.

#include <tapegrad/nn.hpp>

namespace tg::bench {

enum class Net { blog, wide };

/// The blog network, or the wide 784-256-256-10 ReLU network.
template <class T>
nn::Sequential<T> make_network(Net net) {
    nn::Rng rng(1);
    if (net == Net::blog)
        return nn::Sequential<T>{nn::Dense<T>(1, 32, rng),  nn::Sigmoid<T>(),
                                 nn::Dense<T>(32, 32, rng), nn::Sigmoid<T>(),
                                 nn::Dense<T>(32, 16, rng), nn::Sigmoid<T>(),
                                 nn::Dense<T>(16, 16, rng), nn::Sigmoid<T>(),
                                 nn::Dense<T>(16, 1, rng),  nn::Tanh<T>()};
    return nn::Sequential<T>{nn::Dense<T>(784, 256, rng), nn::ReLU<T>(),
                             nn::Dense<T>(256, 256, rng), nn::ReLU<T>(),
                             nn::Dense<T>(256, 10, rng)};
}

}  // namespace tg::bench
