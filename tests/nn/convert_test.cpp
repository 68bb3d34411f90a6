// tg::nn::copy_state: a model's parameters and buffers copied into the same architecture
// of another element type (PyTorch's model.to(dtype) / load_state_dict across dtypes).

#include "nn/expect_message.hpp"
#include "nn/nn_test_util.hpp"

#include <tapegrad/nn/convert.hpp>
#include <tapegrad/nn/normalization.hpp>

namespace tg::test {
namespace {

template <class T>
nn::Sequential<T> small_model(std::uint64_t seed) {
    nn::Rng rng(seed);
    return nn::Sequential<T>{nn::Linear<T>(3, 4, rng), nn::BatchNorm1d<T>(4), nn::Tanh<T>(),
                             nn::Linear<T>(4, 2, rng)};
}

TEST(CopyState, DoubleToFloatAndBackCarriesParametersAndBuffers) {
    nn::Sequential<double> reference = small_model<double>(1);
    nn::Rng data(2);
    reference(randn<double>({8, 3}, data));  // a training step moves the running statistics
    nn::Sequential<float> fast = small_model<float>(3);
    nn::copy_state(reference, fast);
    const auto from = reference.named_parameters();
    const auto to = fast.named_parameters();
    ASSERT_EQ(from.size(), to.size());
    for (std::size_t i = 0; i < from.size(); ++i) {
        const Array<float> expected = xt::cast<float>(from[i].second.value());
        EXPECT_EQ(to[i].second.value(), expected) << to[i].first;
    }
    const auto from_buffers = reference.named_buffers();
    const auto to_buffers = fast.named_buffers();
    ASSERT_EQ(to_buffers.size(), 3u);  // running_mean, running_var, num_batches_tracked
    for (std::size_t i = 0; i < to_buffers.size(); ++i) {
        const Array<float> expected = xt::cast<float>(from_buffers[i].second.value());
        EXPECT_EQ(to_buffers[i].second.value(), expected) << to_buffers[i].first;
    }
    EXPECT_EQ(to_buffers[2].second.item(), 1.0f);
    // The float model computes what the double one does, to float's precision.
    nn::Rng rng(4);
    const Tensor<double> x = randn<double>({5, 3}, rng);
    reference.eval();
    fast.eval();
    const Array<float> y = fast(Tensor<float>(Array<float>(xt::cast<float>(x.value())))).value();
    EXPECT_LT(relative_error(Array<double>(xt::cast<double>(y)), reference(x).value()), 1e-6);
    // And back: float -> double gives the float values exactly.
    nn::Sequential<double> again = small_model<double>(5);
    nn::copy_state(fast, again);
    EXPECT_EQ(again.named_parameters()[0].second.value(),
              Array<double>(xt::cast<double>(fast.named_parameters()[0].second.value())));
}

TEST(CopyState, AnotherArchitectureNamesEachDifferenceAndChangesNothing) {
    nn::Sequential<double> source = small_model<double>(1);
    nn::Rng rng(6);
    nn::Sequential<float> target{nn::Linear<float>(3, 5, rng), nn::Tanh<float>(),
                                 nn::Linear<float>(5, 2, rng)};
    const Array<float> before = target.named_parameters()[0].second.value();
    expect_message<ShapeError>([&] { nn::copy_state(source, target); },
                               {"copy_state: ", "not the same architecture, so nothing was copied",
                                "parameter '0.weight' has shape (4, 3) in the source and (5, 3)",
                                "parameter 2 is '1.weight' in the source and '2.weight'",
                                "buffer '1.running_mean' (4) has no counterpart"});
    EXPECT_EQ(target.named_parameters()[0].second.value(), before);
}

}  // namespace
}  // namespace tg::test
