// tg::nn::ModuleHolder: submodules called as `fc(x)` rather than `(*fc)(x)`, as libtorch's
// holders; and the recurrent layers' results taken apart with structured bindings, as
// PyTorch's `out, (h, c) = lstm(x)`.

#include "nn_test_util.hpp"

namespace tg::test {
namespace {

using nn::ModuleHolder;

/// A model whose submodules are holders, registered in reset() as libtorch's are.
class Net : public nn::Cloneable<Net> {
public:
    explicit Net(nn::Rng& rng) : rng_(&rng) { reset(); }
    void reset() override {
        fc_ = register_module("fc", ModuleHolder<nn::Linear<>>(2, 3, *rng_));
        lstm_ = register_module("lstm", std::make_shared<nn::LSTM<>>(3, 4, *rng_));
        head_ = register_module("head", ModuleHolder<nn::Linear<>>(4, 1, *rng_));
    }
    Tensor<> forward(const Tensor<>& x) override {
        auto [out, state] = lstm_(fc_(x).relu());  // (N, L, 4) and the final (h, c)
        return head_(state.h.select(0, 0));        // the last layer's final h: (N, 4)
    }
    ModuleHolder<nn::Linear<>> fc_, head_;
    ModuleHolder<nn::LSTM<>> lstm_;

private:
    nn::Rng* rng_;
};

/// README's example ("Layers, modules and losses"), as it is printed there.
class Tagger : public tg::nn::Cloneable<Tagger> {
public:
    explicit Tagger(tg::nn::Rng& rng) : rng_(&rng) { reset(); }
    void reset() override {
        lstm_ = register_module("lstm", tg::nn::ModuleHolder<tg::nn::LSTM<>>(8, 16, *rng_));
        head_ = register_module("head", tg::nn::ModuleHolder<tg::nn::Linear<>>(16, 4, *rng_));
    }
    tg::Tensor<> forward(const tg::Tensor<>& x) override {
        auto [out, state] = lstm_(x);       // PyTorch: out, (h, c) = self.lstm(x)
        return head_(out).log_softmax(-1);  // (N, L, 4)
    }

private:
    tg::nn::Rng* rng_;
    tg::nn::ModuleHolder<tg::nn::LSTM<>> lstm_;
    tg::nn::ModuleHolder<tg::nn::Linear<>> head_;
};

TEST(ModuleHolder, ReadmesTaggerRuns) {
    nn::Rng rng(6);
    Tagger tagger(rng);
    EXPECT_EQ(tagger(zeros({2, 5, 8})).shape(), (Shape{2, 5, 4}));
}

TEST(ModuleHolder, CallsTheModuleAsThePointerWould) {
    nn::Rng rng(1);
    ModuleHolder<nn::Linear<>> fc(3, 2, rng);
    const Tensor<> x{{1.0, 2.0, 3.0}};
    EXPECT_EQ(xt::xarray<double>(fc(x).value()), xt::xarray<double>((*fc.ptr())(x).value()));
    EXPECT_EQ(fc->weight().shape(), (Shape{2, 3}));  // members through ->
    EXPECT_EQ((*fc).parameters().size(), 2u);
    const ModuleHolder<nn::Linear<>> copy = fc;  // copies share the module
    EXPECT_EQ(copy.ptr(), fc.ptr());
}

TEST(ModuleHolder, RegistersSubmodulesAndTrains) {
    nn::Rng rng(2);
    Net net(rng);
    std::vector<std::string> names;
    for (const auto& [name, p] : net.named_parameters()) names.push_back(name);
    EXPECT_EQ(names.front(), "fc.weight");
    EXPECT_EQ(names.back(), "head.bias");
    EXPECT_EQ(names.size(), 8u);  // fc 2, lstm 4, head 2

    const Tensor<> x(xt::xarray<double>{{{0.5, -1.0}, {1.0, 0.25}, {0.0, 2.0}}});  // (1, 3, 2)
    Tape tape;
    const Tensor<> loss = net(x).square().sum();
    tape.backward(loss);
    for (const Tensor<>& p : net.parameters()) EXPECT_TRUE(p.has_grad()) << p.name();
}

TEST(ModuleHolder, CallsShowInTheSummary) {
    // A holder calls the module's call operator, so summary() sees each output shape.
    nn::Rng rng(7);
    Net net(rng);
    const std::string text = nn::summary(net, {1, 3, 2});
    const auto row_of = [&](const std::string& start) {
        const std::size_t at = text.find(start);
        return at == std::string::npos ? std::string() : text.substr(at, text.find('\n', at) - at);
    };
    EXPECT_NE(row_of("├─Linear (fc)").find("[1, 3, 3]"), std::string::npos) << text;
    EXPECT_NE(row_of("├─LSTM (lstm)").find("[1, 3, 4]"), std::string::npos) << text;
    EXPECT_NE(row_of("├─Linear (head)").find("[1, 1]"), std::string::npos) << text;
}

TEST(ModuleHolder, CloneGivesNewSubmodules) {
    nn::Rng rng(3);
    Net net(rng);
    auto copy = std::static_pointer_cast<Net>(net.clone());
    EXPECT_NE(copy->fc_.ptr(), net.fc_.ptr());
    EXPECT_FALSE(copy->fc_->weight().same(net.fc_->weight()));
    const Tensor<> x(xt::xarray<double>{{{0.5, -1.0}}});
    EXPECT_EQ(xt::xarray<double>((*copy)(x).value()), xt::xarray<double>(net(x).value()));
}

TEST(ModuleHolder, GoesIntoContainers) {
    nn::Rng rng(4);
    ModuleHolder<nn::Linear<>> a(2, 3, rng), b(3, 1, rng);
    nn::Sequential net{a, nn::Tanh<double>(), b};
    net.add(ModuleHolder<nn::Sigmoid<>>(std::make_shared<nn::Sigmoid<>>()));
    EXPECT_EQ(net.size(), 4u);
    EXPECT_EQ(net.parameters()[0].same(a->weight()), true);  // shared, not copied
    const Tensor<> x{{1.0, -1.0}};
    EXPECT_EQ(xt::xarray<double>(net(x).value()),
              xt::xarray<double>(sigmoid(b(tanh(a(x)))).value()));
}

TEST(ModuleHolder, EmptyIsRefusedWhenCalled) {
    ModuleHolder<nn::Linear<>> empty;  // Linear has no default constructor
    EXPECT_FALSE(empty);
    EXPECT_TRUE(empty.is_empty());
    ModuleHolder<nn::Sequential<>> null = nullptr;
    EXPECT_FALSE(null);
    try {
        (void)empty(Tensor<>{1.0});
        ADD_FAILURE() << "no error";
    } catch (const ValueError& e) {
        EXPECT_NE(std::string(e.what()).find(
                      "ModuleHolder: this holder is empty (nullptr, or default-constructed for a "
                      "module without a default constructor); assign it a module first, e.g. "
                      "register_module's result"),
                  std::string::npos)
            << e.what();
    }
}

TEST(ModuleHolder, ContainersAsInLibtorch) {
    // libtorch: `torch::nn::ModuleList list; list->push_back(...); list[0]`, and
    // `torch::nn::Sequential seq; seq->push_back(...); seq(x)`.
    nn::Rng rng(8);
    ModuleHolder<nn::ModuleList<>> blocks;  // a default constructor: an empty list
    ASSERT_TRUE(blocks);
    EXPECT_FALSE(blocks.is_empty());
    EXPECT_EQ(blocks->size(), 0u);
    blocks->push_back(nn::Linear<>(2, 2, rng));
    blocks->push_back(ModuleHolder<nn::Tanh<>>());  // a holder, shared
    blocks->push_back(std::make_shared<nn::Linear<>>(2, 1, rng));
    EXPECT_EQ(blocks->size(), 3u);
    const Tensor<> x{{0.5, -1.0}};
    Tensor<> by_index = x, by_loop = x;
    for (std::size_t i = 0; i < blocks->size(); ++i) by_index = blocks[i](by_index);
    for (const auto& block : blocks) by_loop = (*block)(by_loop);  // iterates the modules
    EXPECT_EQ(xt::xarray<double>(by_index.value()), xt::xarray<double>(by_loop.value()));
    EXPECT_EQ(by_index.shape(), (Shape{1, 1}));

    ModuleHolder<nn::Sequential<>> seq;  // an empty Sequential
    for (const auto& block : blocks) seq->push_back(block);
    EXPECT_EQ(xt::xarray<double>(seq(x).value()), xt::xarray<double>(by_index.value()));
    EXPECT_EQ(seq[1].describe(), "Tanh");
    EXPECT_EQ(seq->parameters().size(), 4u);

    ModuleHolder<nn::ModuleDict<>> dict;
    dict->insert("fc", nn::Linear<>(2, 3, rng));
    EXPECT_EQ(dict["fc"](x).shape(), (Shape{1, 3}));
}

TEST(ModuleHolder, EmbeddingTakesInt64Indices) {
    // PyTorch: self.emb = nn.Embedding(10, 4); self.emb(tokens) with tokens of dtype long.
    nn::Rng rng(9);
    ModuleHolder<nn::Embedding<>> emb(10, 4, rng);
    const Tensor<std::int64_t> tokens{{1, 7}, {7, 0}};
    const Tensor<> rows = emb(tokens);
    EXPECT_EQ(rows.shape(), (Shape{2, 2, 4}));
    EXPECT_EQ(xt::xarray<double>(rows.value()),
              xt::xarray<double>(emb->forward(Tensor<>{{1.0, 7.0}, {7.0, 0.0}}).value()));
    EXPECT_EQ(xt::xarray<double>(rows.select(0, 0).select(0, 1).value()),
              xt::xarray<double>(emb->weight().select(0, 7).value()));
}

TEST(RecurrentResults, TakeApartWithStructuredBindings) {
    nn::Rng rng(5);
    nn::LSTM<> lstm(2, 3, rng, 2);
    const Tensor<> x(xt::xarray<double>{{{0.5, -1.0}, {1.0, 0.25}}});  // (1, 2, 2)
    auto [out, state] = lstm(x);  // from a zero state, as PyTorch's lstm(x)
    auto [h, c] = state;
    EXPECT_EQ(out.shape(), (Shape{1, 2, 3}));
    EXPECT_EQ(h.shape(), (Shape{2, 1, 3}));
    EXPECT_EQ(c.shape(), (Shape{2, 1, 3}));
    EXPECT_EQ(xt::xarray<double>(out.value()),
              xt::xarray<double>(lstm(x, std::nullopt).output.value()));
    // Called as a Module (in a Sequential) it gives the output sequence alone.
    nn::Module<>& as_module = lstm;
    EXPECT_EQ(xt::xarray<double>(as_module(x).value()), xt::xarray<double>(out.value()));

    nn::GRU<> gru(2, 3, rng);
    auto [gru_out, gru_h] = gru(x);
    EXPECT_EQ(gru_out.shape(), (Shape{1, 2, 3}));
    EXPECT_EQ(gru_h.shape(), (Shape{1, 1, 3}));

    nn::LSTMCell<> cell(2, 3, rng);
    const Tensor<> step{{0.5, -1.0}};
    auto [h1, c1] = cell(step);
    auto [h2, c2] = cell(step, nn::LSTMState<>{h1, c1});
    EXPECT_EQ(h2.shape(), (Shape{1, 3}));
    nn::GRUCell<> gru_cell(2, 3, rng);
    EXPECT_EQ(gru_cell(step).shape(), (Shape{1, 3}));

    ModuleHolder<nn::LSTM<>> held(std::make_shared<nn::LSTM<>>(2, 3, rng));
    auto [held_out, held_state] = held(x);
    EXPECT_EQ(held_out.shape(), (Shape{1, 2, 3}));
    EXPECT_EQ(held_state.c.shape(), (Shape{1, 1, 3}));
}

}  // namespace
}  // namespace tg::test
