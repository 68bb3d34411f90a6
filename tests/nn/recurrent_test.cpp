// LSTM, GRU, LSTMCell and GRUCell: outputs, final states and every gradient against
// PyTorch's (tests/data/layers/recurrent_reference.txt, written by make_recurrent_reference.py;
// PyTorch's state_dict names load as they are), parameter gradients against central
// differences, shapes, clone and the errors for wrong inputs.

#include "nn/expect_message.hpp"
#include "nn/nn_test_util.hpp"
#include "reference_data.hpp"

#include <tapegrad/gradcheck.hpp>
#include <tapegrad/nn/recurrent.hpp>

namespace tg::test {
namespace {

using T = double;

/// Sets each parameter of `m` to the reference's tensor of the same name.
void load_parameters(nn::Module<T>& m, const ReferenceCase& c) {
    for (auto& [name, p] : m.named_parameters()) p.assign(c.at(name));
}

Tensor<T> optional_tensor(const ReferenceCase& c, const std::string& key) {
    return c.has(key) ? Tensor<T>(Array<T>(c.at(key))) : Tensor<T>();
}

/// L = Σ cot_output·output + Σ cot_h·h_n (+ Σ cot_c·c_n), as the script's loss.
Tensor<T> reference_loss(const ReferenceCase& c, const Tensor<T>& output, const Tensor<T>& h_n,
                         const Tensor<T>& c_n) {
    Tensor<T> loss = sum(Tensor<T>(c.at("cot_h")) * h_n);
    if (output.defined()) loss = loss + sum(Tensor<T>(c.at("cot_output")) * output);
    if (c_n.defined()) loss = loss + sum(Tensor<T>(c.at("cot_c")) * c_n);
    return loss;
}

void expect_close(const Array<T>& got, const Array<T>& want, const std::string& what) {
    ASSERT_EQ(Shape(got.shape()), Shape(want.shape())) << what;
    EXPECT_LT(relative_error(got, want), 1e-10) << what;
}

/// Runs the case's module on its inputs; checks outputs, states and gradients.
template <class M, class Run>
void check_case(const ReferenceCase& c, M& m, Run run) {
    load_parameters(m, c);
    Tensor<T> x(Array<T>(c.at("x")), true);
    Tape tape;
    const auto [output, h_n, c_n] = run(m, x, optional_tensor(c, "h0"), optional_tensor(c, "c0"));
    const std::string name = c.words.at(0);
    if (output.defined()) expect_close(output.value(), c.at("output"), name + " output");
    expect_close(h_n.value(), c.at("h_n"), name + " h_n");
    if (c_n.defined()) expect_close(c_n.value(), c.at("c_n"), name + " c_n");
    tape.backward(reference_loss(c, output, h_n, c_n));
    for (const auto& [pname, p] : m.named_parameters())
        expect_close(p.grad().value(), c.at("grad_" + pname), name + " grad " + pname);
    expect_close(x.grad().value(), c.at("grad_x"), name + " grad x");
}

TEST(Recurrent, MatchesPyTorch) {
    const auto cases =
        read_reference(std::string(TAPEGRAD_TEST_DATA_DIR) + "/layers/recurrent_reference.txt");
    ASSERT_EQ(cases.size(), 6u);
    nn::Rng rng(1);
    for (const ReferenceCase& c : cases) {
        SCOPED_TRACE(c.words.at(0));
        const std::string& kind = c.words.at(1);
        const std::size_t in = std::stoul(c.words.at(2)), hidden = std::stoul(c.words.at(3)),
                          layers = std::stoul(c.words.at(4));
        const bool bias = c.words.at(5) == "1";
        if (kind == "LSTM") {
            nn::LSTM<T> m(in, hidden, rng, layers, bias);
            check_case(c, m, [](auto& m, auto& x, auto h0, auto c0) {
                std::optional<nn::LSTMState<T>> s;
                if (h0.defined()) s = nn::LSTMState<T>{h0, c0};
                auto r = m(x, s);
                return std::tuple{r.output, r.state.h, r.state.c};
            });
        } else if (kind == "GRU") {
            nn::GRU<T> m(in, hidden, rng, layers, bias);
            check_case(c, m, [](auto& m, auto& x, auto h0, auto) {
                auto r = m(x, h0);
                return std::tuple{r.output, r.state, Tensor<T>()};
            });
        } else if (kind == "LSTMCell") {
            nn::LSTMCell<T> m(in, hidden, rng, bias);
            check_case(c, m, [](auto& m, auto& x, auto h0, auto c0) {
                auto s = m(x, nn::LSTMState<T>{h0, c0});
                return std::tuple{Tensor<T>(), s.h, s.c};
            });
        } else {
            nn::GRUCell<T> m(in, hidden, rng, bias);
            check_case(c, m, [](auto& m, auto& x, auto h0, auto) {
                return std::tuple{Tensor<T>(), m(x, h0), Tensor<T>()};
            });
        }
    }
}

TEST(Recurrent, ParameterGradientsMatchFiniteDifferences) {
    nn::Rng rng(2);
    const Tensor<T> x = randn<T>({2, 3, 2}, rng), w = randn<T>({2, 3, 3}, rng);
    nn::LSTM<T> lstm(2, 3, rng, 2);
    check_parameter_gradients(lstm, [&] { return sum(w * lstm(x, std::nullopt).output); });
    nn::GRU<T> gru(2, 3, rng, 2);
    check_parameter_gradients(gru, [&] { return sum(w * gru(x, Tensor<T>()).output); });
}

TEST(Recurrent, InputAndStateGradcheck) {
    nn::Rng rng(3);
    nn::LSTM<T> lstm(2, 3, rng);
    nn::GRUCell<T> cell(2, 3, rng);
    const auto lstm_f = [&](const std::vector<Tensor<T>>& in) {
        return lstm(in[0], nn::LSTMState<T>{in[1], in[2]}).output;
    };
    EXPECT_TRUE(gradcheck(lstm_f, {randn<T>({2, 4, 2}, rng), randn<T>({1, 2, 3}, rng),
                                   randn<T>({1, 2, 3}, rng)})
                    .passed);
    EXPECT_TRUE(gradgradcheck(lstm_f, {randn<T>({1, 2, 2}, rng), randn<T>({1, 1, 3}, rng),
                                       randn<T>({1, 1, 3}, rng)})
                    .passed);
    const auto cell_f = [&](const std::vector<Tensor<T>>& in) { return cell(in[0], in[1]); };
    EXPECT_TRUE(gradcheck(cell_f, {randn<T>({2, 2}, rng), randn<T>({2, 3}, rng)}).passed);
}

TEST(Recurrent, ShapesNamesAndClone) {
    nn::Rng rng(4);
    nn::LSTM<float> lstm(3, 5, rng, 2);
    const auto r = lstm(zeros<float>({4, 7, 3}), std::nullopt);
    EXPECT_EQ(r.output.shape(), Shape({4, 7, 5}));
    EXPECT_EQ(r.state.h.shape(), Shape({2, 4, 5}));
    EXPECT_EQ(r.state.c.shape(), Shape({2, 4, 5}));
    std::vector<std::string> names;
    for (const auto& [name, p] : lstm.named_parameters()) names.push_back(name);
    EXPECT_EQ(names, (std::vector<std::string>{"weight_ih_l0", "weight_hh_l0", "bias_ih_l0",
                                               "bias_hh_l0", "weight_ih_l1", "weight_hh_l1",
                                               "bias_ih_l1", "bias_hh_l1"}));
    // PyTorch's rule: every value in [−1/√H, 1/√H].
    for (const auto& p : lstm.parameters())
        EXPECT_LE(xt::amax(xt::abs(p.value()))(), 1 / std::sqrt(5.0f));
    nn::GRU<double> gru(3, 4, rng);
    auto copy = gru.clone();
    const auto before = gru.parameters()[0].value();
    copy->parameters()[0].mutable_value() *= 2.0;
    EXPECT_EQ(gru.parameters()[0].value(), before);
    EXPECT_EQ(copy->describe(), "GRU(3, 4)");
    EXPECT_EQ(nn::LSTMCell<double>(3, 4, rng, false).parameters().size(), 2u);
}

TEST(Recurrent, WrongInputsNameTheLayer) {
    nn::Rng rng(5);
    nn::LSTM<T> lstm(3, 4, rng, 2);
    expect_message<ShapeError>(
        [&] {
            lstm(zeros<T>({8, 5, 2}));
        },
        {"LSTM(3, 4, num_layers=2) expects input (N, L, 3); got (8, 5, 2)"});
    expect_message<ShapeError>(
        [&] {
            lstm(zeros<T>({8, 3}));
        },
        {"expects input (N, L, 3); got (8, 3)"});
    expect_message<ShapeError>(
        [&] {
            lstm(zeros<T>({8, 5, 3}), nn::LSTMState<T>{zeros<T>({1, 8, 4}), zeros<T>({2, 8, 4})});
        },
        {"the initial h must have shape (2, 8, 4); got (1, 8, 4)"});
    nn::GRUCell<T> cell(3, 4, rng);
    expect_message<ShapeError>(
        [&] {
            cell(zeros<T>({2, 3}), zeros<T>({3, 4}));
        },
        {"GRUCell(3, 4): the initial h must have shape (2, 4); got (3, 4)"});
    expect_message<ValueError>([&] { nn::GRU<T>(0, 4, rng); }, {"at least 1"});
}

}  // namespace
}  // namespace tg::test
