// tg::nn::summary (torchinfo's table) and tg::nn::num_parameters (PyTorch's
// sum(p.numel() for p in model.parameters())): the text, the shapes of a forward pass,
// what a summary leaves as it was (modes, running statistics, generators), errors.

#include "nn/expect_message.hpp"
#include "nn/nn_test_util.hpp"

#include <memory>

namespace tg::test {
namespace {

TEST(Summary, SequentialAsTorchinfoPrintsIt) {
    nn::Rng rng(1);
    nn::Sequential<double> net{nn::Dense<double>(1, 16, rng), nn::Tanh<double>(),
                               nn::Dense<double>(16, 1, rng)};
    const std::string rule(90, '=');
    // torchinfo.summary(net, input_size=(32, 1), row_settings=("var_names",),
    // col_names=("output_size", "num_params")) for the same torch.nn.Sequential (its
    // FormattingOptions: widths 40, 25, 25, a blank after each cell, trailing blanks
    // stripped), without its mult-adds and size lines.
    EXPECT_EQ(nn::summary(net, {32, 1}),
              rule + "\n" +
                  "Layer (type (var_name):depth-idx)        Output Shape              Param #\n" +
                  rule + "\n" +
                  "Sequential (Sequential)                  [32, 1]                   --\n"
                  "├─Dense (0): 1-1                         [32, 16]                  32\n"
                  "├─Tanh (1): 1-2                          [32, 16]                  --\n"
                  "├─Dense (2): 1-3                         [32, 1]                   17\n" +
                  rule + "\n" +
                  "Total params: 49\n"
                  "Trainable params: 49\n"
                  "Non-trainable params: 0\n" +
                  rule + "\n");
}

/// body (a Sequential) -> norm -> head, then `skipped` called through forward(), never
/// through its call operator; `unused` is never called.
class Encoder : public nn::Module<double> {
public:
    explicit Encoder(nn::Rng& rng) {
        body_ = register_module("body", std::make_shared<nn::Sequential<double>>(
                                            nn::Dense<double>(4, 8, rng), nn::ReLU<double>(),
                                            nn::Dropout<double>(0.5, &rng)));
        norm_ = register_module("norm", std::make_shared<nn::BatchNorm1d<double>>(8));
        head_ = register_module("head", std::make_shared<nn::Dense<double>>(8, 1000, rng));
        skipped_ = register_module("skipped", std::make_shared<nn::Dense<double>>(1000, 2, rng));
        register_module("unused", std::make_shared<nn::Tanh<double>>());
    }
    Tensor<> forward(const Tensor<>& x) override {
        return skipped_->forward((*head_)((*norm_)((*body_)(x))));
    }

private:
    std::shared_ptr<nn::Sequential<double>> body_;
    std::shared_ptr<nn::BatchNorm1d<double>> norm_;
    std::shared_ptr<nn::Dense<double>> head_, skipped_;
};

TEST(Summary, NestedModulesFrozenParametersAndModulesNotCalled) {
    nn::Rng rng(2);
    Encoder model(rng);
    model.named_parameters()[0].second.set_requires_grad(false);  // body.0.weight: 32 values
    const std::string text = nn::summary(model, {5, 4});
    const std::string rule(90, '=');
    EXPECT_EQ(text,
              rule + "\n" +
                  "Layer (type (var_name):depth-idx)        Output Shape              Param #\n" +
                  rule + "\n" +
                  "Encoder (Encoder)                        [5, 2]                    --\n"
                  "├─Sequential (body): 1-1                 [5, 8]                    --\n"
                  "│    └─Dense (0): 2-1                    [5, 8]                    40\n"
                  "│    └─ReLU (1): 2-2                     [5, 8]                    --\n"
                  "│    └─Dropout (2): 2-3                  [5, 8]                    --\n"
                  "├─BatchNorm1d (norm): 1-2                [5, 8]                    16\n"
                  "├─Dense (head): 1-3                      [5, 1000]                 9,000\n"
                  "├─Dense (skipped): 1-4                   --                        2,002\n"
                  "├─Tanh (unused): 1-5                     --                        --\n" +
                  rule + "\n" +
                  "Total params: 11,058\n"
                  "Trainable params: 11,026\n"
                  "Non-trainable params: 32\n" +
                  rule + "\n");
}

TEST(Summary, LeavesModesStatisticsAndGeneratorsAsTheyWere) {
    nn::Rng rng(3);
    Encoder model(rng);
    model.children()[0].second->eval();  // body in eval, the rest in training mode
    const std::vector<std::uint64_t> rng_before = nn::rng_state(rng);
    const auto buffers_before = model.buffers();
    std::vector<Array<double>> values;
    for (const Tensor<>& b : buffers_before) values.push_back(b.value());
    nn::summary(model, {5, 4});
    EXPECT_TRUE(model.is_training());
    EXPECT_FALSE(model.children()[0].second->is_training());
    EXPECT_FALSE(model.children()[0].second->children()[2].second->is_training());
    EXPECT_TRUE(model.children()[1].second->is_training());  // norm
    EXPECT_EQ(nn::rng_state(rng), rng_before);                // no dropout mask drawn
    const auto buffers_after = model.buffers();
    ASSERT_EQ(buffers_after.size(), values.size());
    for (std::size_t i = 0; i < values.size(); ++i)
        EXPECT_EQ(buffers_after[i].value(), values[i]) << model.named_buffers()[i].first;
}

TEST(Summary, AnInputTheModelRefusesPropagatesItsErrorAndRestoresTheModes) {
    nn::Rng rng(4);
    nn::Sequential<double> net{nn::Dense<double>(3, 2, rng), nn::Dropout<double>(0.1, &rng)};
    expect_message<ShapeError>([&] { nn::summary(net, {5, 4}); },
                               {"Dense(in=3, out=2) expects input (..., 3); got (5, 4)"});
    EXPECT_TRUE(net.is_training());
    EXPECT_TRUE(net.get<nn::Dropout<double>>(1).is_training());
    // The observer is gone: calls record nothing, and the next summary starts afresh.
    net(zeros({5, 3}));
    EXPECT_NE(nn::summary(net, {7, 3}).find("├─Dense (0): 1-1                         [7, 2]  "),
              std::string::npos);
}

TEST(Summary, WithoutAnInputShapeListsTheParametersAlone) {
    nn::Rng rng(5);
    nn::Sequential<double> net{nn::Dense<double>(2, 3, rng)};
    const std::string text = nn::summary(static_cast<const nn::Module<double>&>(net));
    EXPECT_NE(text.find("Sequential (Sequential)                  --                        --\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("├─Dense (0): 1-1                         --                        9\n"),
              std::string::npos)
        << text;
}

/// An LSTM called with its state, as a model of other inputs calls it: its operator()
/// notes the output sequence.
class Tagger : public nn::Module<double> {
public:
    explicit Tagger(nn::Rng& rng) {
        lstm_ = register_module("lstm", std::make_shared<nn::LSTM<double>>(3, 5, rng));
        head_ = register_module("head", std::make_shared<nn::Dense<double>>(5, 2, rng));
    }
    Tensor<> forward(const Tensor<>& x) override { return (*head_)((*lstm_)(x, std::nullopt).output); }

private:
    std::shared_ptr<nn::LSTM<double>> lstm_;
    std::shared_ptr<nn::Dense<double>> head_;
};

TEST(Summary, ModulesOfOtherInputsShowTheOutputTheirCallOperatorNotes) {
    nn::Rng rng(6);
    Tagger model(rng);
    const std::string text = nn::summary(model, {2, 7, 3});
    // LSTM(3, 5): 4·5·3 + 4·5·5 + 2·4·5 = 200 parameters.
    EXPECT_NE(text.find("├─LSTM (lstm): 1-1                       [2, 7, 5]                 200\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("├─Dense (head): 1-2                      [2, 7, 2]                 12\n"),
              std::string::npos)
        << text;
}

TEST(NumParameters, CountsEachTensorOnceAndTrainableOnesOnRequest) {
    nn::Rng rng(7);
    nn::Sequential<double> net{nn::Dense<double>(3, 4, rng), nn::Dense<double>(4, 2, rng)};
    EXPECT_EQ(nn::num_parameters(net), 16u + 10u);
    EXPECT_EQ(nn::num_parameters(net, true), 26u);
    net.named_parameters()[2].second.set_requires_grad(false);  // 1.weight: 8 values
    EXPECT_EQ(nn::num_parameters(net), 26u);
    EXPECT_EQ(nn::num_parameters(net, true), 18u);
    // The same submodule twice (tied weights): PyTorch's parameters() lists it once.
    auto shared = std::make_shared<nn::Dense<double>>(2, 2, rng);
    nn::Sequential<double> tied;
    tied.add(shared);
    tied.add(shared);
    EXPECT_EQ(tied.parameters().size(), 4u);
    EXPECT_EQ(nn::num_parameters(tied), 6u);
}

}  // namespace
}  // namespace tg::test
