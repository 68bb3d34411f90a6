// The losses of losses.hpp: values and input gradients against PyTorch's (the numbers in
// tests/data/loss_reference.txt, written by tests/data/make_loss_reference.py with
// torch), first and second derivatives against finite differences, float against
// double, and the errors, which name the loss and record nothing.

#include "nn/nn_test_util.hpp"
#include "reference_data.hpp"

#include <cstdlib>
#include <functional>
#include <map>

namespace tg::test {
namespace {

/// One block of loss_reference.txt: a loss, its options and its tensors.
struct LossCase {
    std::string loss;
    std::map<std::string, std::string> options;  ///< reduction=..., label_smoothing=..., ...
    std::map<std::string, Array<double>> tensors;

    std::string label() const {
        std::string s = loss;
        for (const auto& [k, v] : options) s += " " + k + "=" + v;
        return s;
    }
    double number(const std::string& key, double fallback) const {
        const auto it = options.find(key);
        return it == options.end() ? fallback : std::strtod(it->second.c_str(), nullptr);
    }
    template <class T>
    Tensor<T> tensor(const std::string& name) const {
        const auto it = tensors.find(name);
        if (it == tensors.end()) return {};
        return Tensor<T>(xt::cast<T>(it->second));
    }
};

/// The cases of the file: `case LOSS key=value ...` gives the loss and its options.
std::vector<LossCase> read_cases() {
    std::vector<LossCase> cases;
    for (ReferenceCase& c :
         read_reference(std::string(TAPEGRAD_TEST_DATA_DIR) + "/loss_reference.txt")) {
        LossCase l{c.words.at(0), {}, std::move(c.tensors)};
        for (std::size_t i = 1; i < c.words.size(); ++i) {
            const std::size_t eq = c.words[i].find('=');
            l.options[c.words[i].substr(0, eq)] = c.words[i].substr(eq + 1);
        }
        cases.push_back(std::move(l));
    }
    return cases;
}

const std::vector<LossCase>& cases() {
    static const std::vector<LossCase> all = read_cases();
    return all;
}

nn::Reduction reduction_of(const LossCase& c) {
    const std::string& r = c.options.at("reduction");
    if (r == "none") return nn::Reduction::none;
    if (r == "sum") return nn::Reduction::sum;
    if (r == "batchmean") return nn::Reduction::batchmean;
    return nn::Reduction::mean;
}

/// The loss of case `c` at `input`, its other tensors from the file.
template <class T>
Tensor<T> compute(const LossCase& c, const Tensor<T>& input) {
    const nn::Reduction r = reduction_of(c);
    const Tensor<T> target = c.tensor<T>("target");
    const Tensor<T> weight = c.tensor<T>("weight");
    const long ignore_index = static_cast<long>(c.number("ignore_index", -100));
    if (c.loss == "nll_loss") return nn::nll_loss(input, target, {weight, ignore_index, r});
    if (c.loss == "cross_entropy")
        return nn::cross_entropy(input, target,
                                 {weight, ignore_index, r, c.number("label_smoothing", 0)});
    // The options forms (PyTorch's keyword arguments, in PyTorch's order); the positional
    // forms of before are checked against these in PositionalFormsAreTheOptionsForms.
    if (c.loss == "binary_cross_entropy" || c.loss == "binary_cross_entropy_at_clamp")
        return nn::binary_cross_entropy(input, target, {weight, r});
    if (c.loss == "binary_cross_entropy_with_logits")
        return nn::binary_cross_entropy_with_logits(input, target,
                                                    {weight, r, c.tensor<T>("pos_weight")});
    if (c.loss == "l1_loss") return nn::l1_loss(input, target, {r});
    if (c.loss == "huber_loss") return nn::huber_loss(input, target, {r, c.number("delta", 1)});
    if (c.loss == "smooth_l1_loss")
        return nn::smooth_l1_loss(input, target, {r, c.number("beta", 1)});
    if (c.loss == "kl_div")
        return nn::kl_div(input, target, {r, c.options.count("log_target") > 0});
    throw std::runtime_error("unknown loss in loss_reference.txt: " + c.loss);
}

TEST(Losses, ReferenceFileHoldsEveryLossAndReduction) {
    std::map<std::string, int> per_loss;
    for (const LossCase& c : cases()) {
        ++per_loss[c.loss];
        for (const char* name : {"input", "target", "cotangent", "value", "grad_input"})
            EXPECT_EQ(c.tensors.count(name), 1u) << c.label() << " lacks " << name;
    }
    for (const char* loss :
         {"nll_loss", "cross_entropy", "binary_cross_entropy", "binary_cross_entropy_with_logits",
          "l1_loss", "huber_loss", "smooth_l1_loss", "kl_div"})
        EXPECT_GE(per_loss[loss], 3) << loss;
}

TEST(Losses, ValuesAndInputGradientsMatchPyTorch) {
    for (const LossCase& c : cases()) {
        SCOPED_TRACE(c.label());
        Tensor<double> input = parameter<double>(c.tensors.at("input"));
        Tape tape;
        const Tensor<double> value = compute(c, input);
        EXPECT_LE(relative_error(value.value(), c.tensors.at("value")), 1e-12);
        tape.backward(sum(value * Tensor<double>(c.tensors.at("cotangent"))));
        EXPECT_LE(relative_error(input.grad().value(), c.tensors.at("grad_input")), 1e-12);
    }
}

/// A case at binary_cross_entropy's clamps, where float rounds 1 − 1e-13 to 1 and finite
/// differences cannot step across x = 0 or 1.
bool at_clamp(const LossCase& c) { return c.loss == "binary_cross_entropy_at_clamp"; }

TEST(Losses, FloatValuesMatchDouble) {
    for (const LossCase& c : cases()) {
        if (at_clamp(c)) continue;
        SCOPED_TRACE(c.label());
        const Tensor<float> value = compute(c, c.tensor<float>("input"));
        EXPECT_LE(relative_error(value.value(), c.tensors.at("value")), 1e-5);
    }
}

/// Whether a gradgradcheck compared a second derivative that is not 0 everywhere: one
/// that is passes whatever the tape computes. (Above 10 × gradgradcheck's atol.)
bool has_nonzero_second_derivative(const GradcheckResult& r) {
    for (const GradcheckInputReport& input : r.inputs)
        if (input.max_abs_finite_difference > 1e-4) return true;
    return false;
}

TEST(Losses, PassGradcheckAndGradgradcheck) {
    // The second derivatives are those of the loss's square: nll_loss, l1_loss, kl_div and
    // the linear pieces of huber_loss are linear in the input (second derivative 0), but
    // their square's, 2 Jᵀ diag(u) J + 2 Σ u L H, is not, and runs through the recorded
    // backward all the same.
    std::size_t checked = 0, nonzero = 0;
    for (const LossCase& c : cases()) {
        if (at_clamp(c)) continue;
        SCOPED_TRACE(c.label());
        ++checked;
        const GradcheckFunction f = [&](const std::vector<Tensor<double>>& in) {
            return compute(c, in[0]);
        };
        const Tensor<double> input(c.tensors.at("input"));
        const GradcheckResult first = gradcheck(f, {input});
        EXPECT_TRUE(first.passed) << first.message << "\n" << first.report();
        const GradcheckResult second = gradgradcheck(
            [&](const std::vector<Tensor<double>>& in) { return square(f(in)); }, {input});
        EXPECT_TRUE(second.passed) << second.message << "\n" << second.report();
        nonzero += has_nonzero_second_derivative(second);
    }
    EXPECT_EQ(checked, cases().size() - 4);  // all but the four at the clamps
    EXPECT_EQ(nonzero, checked) << "second-order checks that compared only zeros";
}

TEST(Losses, TargetGradientsPassGradcheck) {
    // The element-wise losses are differentiable in the target too (as in PyTorch).
    nn::Rng rng(3);
    const Tensor<double> x(nn::uniform<double>({3, 2}, 0.1, 0.9, rng));
    const Tensor<double> y(nn::uniform<double>({3, 2}, 0.1, 0.9, rng));
    const std::vector<std::pair<const char*, GradcheckFunction>> losses = {
        {"binary_cross_entropy",
         [](const auto& in) { return nn::binary_cross_entropy(in[0], in[1]); }},
        {"binary_cross_entropy_with_logits",
         [](const auto& in) { return nn::binary_cross_entropy_with_logits(in[0], in[1]); }},
        {"huber_loss",
         [](const auto& in) { return nn::huber_loss(in[0], in[1], nn::Reduction::sum, 0.1); }},
        {"kl_div", [](const auto& in) { return nn::kl_div(in[0], in[1]); }},
        {"kl_div log_target",
         [](const auto& in) { return nn::kl_div(in[0], in[1], nn::Reduction::sum, true); }}};
    for (const auto& [name, f] : losses) {
        SCOPED_TRACE(name);
        const GradcheckResult first = gradcheck(f, {x, y});
        EXPECT_TRUE(first.passed) << first.message << "\n" << first.report();
        const GradcheckResult second = gradgradcheck(f, {x, y});
        EXPECT_TRUE(second.passed) << second.message << "\n" << second.report();
        EXPECT_TRUE(has_nonzero_second_derivative(second)) << second.report();
    }
}

// Logits (N, C) take the fused op (one entry that saves the logits); (N, C, 1) the
// composite of log_softmax, gather, mul, neg and sum. Both compute the same numbers in the
// same order (the same row_max and sum_exp), so the values agree to the last bits and the
// gradients within an ulp (e^y from x − (m + log Σ) against the exp op on y), with weights,
// an ignored target and each reduction. Each keeps one (N, C) array for backward (the logits; y).
TEST(Losses, CrossEntropyOfRowsIsOneOpWithTheCompositesNumbers) {
    const std::size_t n = 6, classes = 40;
    Array<double> x = Array<double>::from_shape({n, classes});
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = std::sin(0.7 * double(i)) * 3;
    Array<double> w = Array<double>::from_shape({classes});
    for (std::size_t c = 0; c < classes; ++c) w(c) = 0.5 + 0.01 * double(c);
    const Tensor<double> target{3.0, 39.0, 7.0, 0.0, 7.0, 12.0};  // 7 is ignored
    const Tensor<double> target_3d = reshape(target, {n, 1});
    for (nn::Reduction r : {nn::Reduction::mean, nn::Reduction::sum, nn::Reduction::none}) {
        SCOPED_TRACE(int(r));
        const nn::CrossEntropyOptions<double> o{Tensor<double>(w), 7, r};
        Tensor<double> fused_in = parameter<double>(x), composite_in = parameter<double>(x);
        Tape tape;
        const Tensor<double> fused = nn::cross_entropy(fused_in, target, o);
        EXPECT_EQ(tape.size(), 1u);
        const std::size_t fused_bytes = tape.bytes();
        EXPECT_EQ(fused_bytes, n * classes * sizeof(double));  // the logits, nothing else
        const Tensor<double> composite =
            nn::cross_entropy(reshape(composite_in, {n, classes, 1}), target_3d, o);
        EXPECT_GE(tape.bytes() - fused_bytes, fused_bytes);  // y, log_softmax's output
        EXPECT_LE(relative_error(fused.value(), reshape(composite, fused.shape()).value()), 1e-15);
        EXPECT_GT(xt::amax(xt::abs(fused.value()))(), 0.1);
        tape.backward(sum(fused * fused));  // a cotangent that differs row by row for none
        tape.backward(sum(composite * composite));
        EXPECT_LE(relative_error(fused_in.grad().value(), composite_in.grad().value()), 1e-15);
        // The ignored rows get no gradient.
        for (std::size_t c = 0; c < classes; ++c) EXPECT_EQ(fused_in.grad().value()(2, c), 0.0);
    }
}

TEST(Losses, CrossEntropyTakesIndicesAsVectorBracedListOrTensor) {
    const Tensor<double> logits{{1.0, 2.0, 3.0}, {0.5, 0.5, -1.0}};
    const double from_tensor = nn::cross_entropy(logits, Tensor<double>{2.0, 0.0}).item();
    EXPECT_EQ(nn::cross_entropy(logits, std::vector<std::size_t>{2, 0}).item(), from_tensor);
    EXPECT_EQ(nn::cross_entropy(logits, {2, 0}).item(), from_tensor);
    // argmax gives class indices in the same form.
    EXPECT_EQ(nn::cross_entropy(logits, argmax(logits, 1)).item(),
              nn::cross_entropy(logits, Tensor<double>{2.0, 0.0}).item());
}

TEST(Losses, MeanOfOnlyIgnoredTargetsIsNanAsInPyTorch) {
    const Tensor<double> logits{{1.0, 2.0}, {0.5, -1.0}};
    nn::CrossEntropyOptions<double> o;
    o.ignore_index = 1;
    EXPECT_TRUE(std::isnan(nn::cross_entropy(logits, Tensor<double>{1.0, 1.0}, o).item()));
    o.reduction = nn::Reduction::sum;
    EXPECT_EQ(nn::cross_entropy(logits, Tensor<double>{1.0, 1.0}, o).item(), 0.0);
}

TEST(Losses, BinaryCrossEntropyIsFiniteAtZeroAndOne) {
    // Each log is clamped at −100, as in PyTorch: a wrong certain prediction costs 100.
    Tensor<double> p = parameter<double>(Array<double>{0.0, 1.0, 0.0});
    const Tensor<double> y{1.0, 1.0, 0.0};
    Tape tape;
    const Tensor<double> l = nn::binary_cross_entropy(p, y, {}, nn::Reduction::none);
    EXPECT_NEAR(l.at({0}), 100.0, 1e-12);
    EXPECT_EQ(l.at({1}), 0.0);
    EXPECT_EQ(l.at({2}), 0.0);
    tape.backward(sum(l));
    for (double g : p.grad().value()) EXPECT_TRUE(std::isfinite(g));
    // With logits, any size is fine.
    const Tensor<double> big{1e4, -1e4};
    const Tensor<double> v = nn::binary_cross_entropy_with_logits(big, Tensor<double>{0.0, 1.0}, {},
                                                                  {}, nn::Reduction::none);
    EXPECT_EQ(v.at({0}), 1e4);
    EXPECT_EQ(v.at({1}), 1e4);
}

TEST(Losses, BinaryCrossEntropyAtItsClampsIsPyTorchs) {
    // Where x (1 − x) < 1e-12 PyTorch's gradient divides by 1e-12f instead (−1e12 at x = 0,
    // y = 1), the target's gradient −log(x / (1 − x)) is ±inf at 0 and 1, and the second
    // derivatives are those of its double backward; each element to 1e-12 relative.
    int seen = 0;
    for (const LossCase& c : cases()) {
        if (!at_clamp(c)) continue;
        ++seen;
        SCOPED_TRACE(c.label());
        const Tensor<double> x = parameter<double>(c.tensors.at("input"));
        const Tensor<double> y = parameter<double>(c.tensors.at("target"));
        const Tensor<double> cot = parameter<double>(c.tensors.at("cotangent"));
        const Tensor<double> w = c.tensor<double>("weight");
        Tape tape;
        const Tensor<double> value = nn::binary_cross_entropy(x, y, w, reduction_of(c));
        EXPECT_TRUE(matches_reference(value.value(), c.tensors.at("value"), 1e-12)) << "value";
        BackwardOptions create;
        create.create_graph = true;
        const std::vector<Tensor<double>> g = tape.gradient(sum(value * cot), {x, y}, create);
        EXPECT_TRUE(matches_reference(g[0].value(), c.tensors.at("grad_input"), 1e-12));
        EXPECT_TRUE(matches_reference(g[1].value(), c.tensors.at("grad_target"), 1e-12));
        const std::vector<Tensor<double>> g2 =
            tape.gradient(sum(g[0] * Tensor<double>(c.tensors.at("cotangent2"))), {x, y, cot});
        EXPECT_TRUE(matches_reference(g2[0].value(), c.tensors.at("grad2_input"), 1e-12));
        EXPECT_TRUE(matches_reference(g2[1].value(), c.tensors.at("grad2_target"), 1e-12));
        EXPECT_TRUE(matches_reference(g2[2].value(), c.tensors.at("grad2_cotangent"), 1e-12));
    }
    EXPECT_EQ(seen, 4);
}

/// Runs `f` on a recording tape; expects an `E` whose message starts with `loss` and
/// holds `part`, and nothing recorded.
template <class E>
void expect_error(const std::string& loss, const std::string& part,
                  const std::function<void(const Tensor<double>&)>& f) {
    const Tensor<double> x = parameter<double>(Array<double>{{0.25, 0.5}, {0.75, 0.5}});
    Tape tape;
    try {
        f(x);
        ADD_FAILURE() << loss << ": expected an exception";
    } catch (const E& e) {
        const std::string msg = e.what();
        EXPECT_EQ(msg.rfind(loss + ": ", 0), 0u) << msg;
        EXPECT_NE(msg.find(part), std::string::npos) << "\"" << part << "\" not in: " << msg;
    }
    EXPECT_EQ(tape.size(), 0u) << loss;
}

TEST(Losses, ShapeErrorsNameTheLossAndRecordNothing) {
    using R = nn::Reduction;
    const Tensor<double> col(Array<double>(Shape{2, 1}, 0.5));
    const Tensor<double> labels{1.0, 0.0};
    expect_error<ShapeError>("nll_loss", "input of shape (2, 2) with 3 targets of shape (3)",
                             [](auto& x) {
                                 nn::nll_loss(x, Tensor<double>{1.0, 0.0, 1.0});
                             });
    expect_error<ShapeError>("cross_entropy",
                             "logits of shape (2, 2) with 2 targets of shape (2, 1)", [](auto& x) {
                                 nn::cross_entropy(x, reshape(Tensor<double>{1.0, 0.0}, {2, 1}));
                             });
    expect_error<ShapeError>("cross_entropy", "weight of shape (3) for 2 classes", [&](auto& x) {
        nn::CrossEntropyOptions<double> o;
        o.weight = Tensor<double>{1.0, 2.0, 3.0};
        nn::cross_entropy(x, labels, o);
    });
    expect_error<ShapeError>("binary_cross_entropy",
                             "prediction of shape (2, 2) and target of shape (2, 1)",
                             [&](auto& x) { nn::binary_cross_entropy(x, col); });
    expect_error<ShapeError>(
        "binary_cross_entropy", "weight of shape (3) does not broadcast", [&](auto& x) {
            nn::binary_cross_entropy(x, x.detach(), Tensor<double>{1.0, 2.0, 3.0});
        });
    expect_error<ShapeError>(
        "binary_cross_entropy_with_logits", "pos_weight of shape (3)", [&](auto& x) {
            nn::binary_cross_entropy_with_logits(x, x.detach(), {}, Tensor<double>{1.0, 2.0, 3.0});
        });
    expect_error<ShapeError>("binary_cross_entropy_with_logits", "target of shape (2, 1)",
                             [&](auto& x) { nn::binary_cross_entropy_with_logits(x, col); });
    expect_error<ShapeError>("l1_loss", "target of shape (2, 1)",
                             [&](auto& x) { nn::l1_loss(x, col); });
    expect_error<ShapeError>("huber_loss", "target of shape (2, 1)",
                             [&](auto& x) { nn::huber_loss(x, col); });
    expect_error<ShapeError>("smooth_l1_loss", "target of shape (2, 1)",
                             [&](auto& x) { nn::smooth_l1_loss(x, col, R::mean, 0.0); });
    expect_error<ShapeError>("kl_div", "target of shape (2, 1)",
                             [&](auto& x) { nn::kl_div(x, col); });
}

TEST(Losses, ValueErrorsNameTheLossAndRecordNothing) {
    using R = nn::Reduction;
    expect_error<ValueError>("cross_entropy", "target 1 is class 2 but the logits have 2 classes",
                             [](auto& x) {
                                 nn::cross_entropy(x, Tensor<double>{0.0, 2.0});
                             });
    expect_error<ValueError>("nll_loss", "target 0 is class 0.5", [](auto& x) {
        nn::nll_loss(x, Tensor<double>{0.5, 1.0});
    });
    expect_error<ValueError>("nll_loss", "target 1 is class -1", [](auto& x) {
        nn::nll_loss(x, Tensor<double>{0.0, -1.0});
    });
    expect_error<ValueError>("cross_entropy", "label_smoothing is 1.5", [](auto& x) {
        nn::CrossEntropyOptions<double> o;
        o.label_smoothing = 1.5;
        nn::cross_entropy(x, Tensor<double>{0.0, 1.0}, o);
    });
    expect_error<ValueError>("binary_cross_entropy", "the input holds 1.5", [](auto&) {
        nn::binary_cross_entropy(parameter<double>(Array<double>{0.5, 1.5}),
                                 Tensor<double>{1.0, 0.0});
    });
    expect_error<ValueError>("huber_loss", "delta is 0",
                             [](auto& x) { nn::huber_loss(x, x.detach(), R::mean, 0.0); });
    expect_error<ValueError>("smooth_l1_loss", "beta is -1",
                             [](auto& x) { nn::smooth_l1_loss(x, x.detach(), R::mean, -1.0); });
    expect_error<ValueError>("cross_entropy", "batchmean is for kl_div only", [](auto& x) {
        nn::CrossEntropyOptions<double> o;
        o.reduction = R::batchmean;
        nn::cross_entropy(x, Tensor<double>{0.0, 1.0}, o);
    });
    expect_error<ValueError>("l1_loss", "batchmean is for kl_div only",
                             [](auto& x) { nn::l1_loss(x, x.detach(), R::batchmean); });
}

TEST(Losses, PositionalFormsAreTheOptionsForms) {
    using R = nn::Reduction;
    const Tensor<double> x{{0.2, 0.7, 0.4}, {0.9, 0.1, 0.5}};
    const Tensor<double> y{{0.0, 1.0, 1.0}, {1.0, 0.0, 0.0}};
    const Tensor<double> w{1.0, 2.0, 0.5}, pw{3.0, 1.0, 2.0};
    const auto same = [](const Tensor<double>& a, const Tensor<double>& b) {
        ASSERT_EQ(a.shape(), b.shape());
        for (std::size_t i = 0; i < a.size(); ++i)
            EXPECT_EQ(a.value().data()[i], b.value().data()[i]) << "element " << i;
    };
    same(nn::binary_cross_entropy(x, y, w, R::none), nn::binary_cross_entropy(x, y, {w, R::none}));
    same(nn::binary_cross_entropy(x, y, w), nn::binary_cross_entropy(x, y, {w}));
    same(nn::binary_cross_entropy_with_logits(x, y, {}, pw, R::sum),
         nn::binary_cross_entropy_with_logits(x, y, {Tensor<double>(), R::sum, pw}));
    same(nn::l1_loss(x, y, R::sum), nn::l1_loss(x, y, {R::sum}));
    same(nn::huber_loss(x, y, R::none, 0.3), nn::huber_loss(x, y, {R::none, 0.3}));
    same(nn::smooth_l1_loss(x, y, R::sum, 0.2), nn::smooth_l1_loss(x, y, {R::sum, 0.2}));
    same(nn::kl_div(x, y, R::batchmean, true), nn::kl_div(x, y, {R::batchmean, true}));
    // A braced {} is the default options (mean), never the enum's first value (none).
    EXPECT_EQ(nn::l1_loss(x, y, {}).dim(), 0u);
    EXPECT_EQ(nn::huber_loss(x, y, {}).dim(), 0u);
    EXPECT_EQ(nn::kl_div(x, y, {}).dim(), 0u);
    same(nn::l1_loss(x, y, {}), nn::l1_loss(x, y));
    // Set by name, as PyTorch's keywords (C++20: {.reduction = R::sum, .delta = 0.5}).
    nn::HuberLossOptions o;
    o.delta = 0.5;
    o.reduction = R::sum;
    same(nn::huber_loss(x, y, o), nn::huber_loss(x, y, R::sum, 0.5));
    nn::BinaryCrossEntropyWithLogitsOptions<double> b;
    b.pos_weight = pw;
    same(nn::binary_cross_entropy_with_logits(x, y, b),
         nn::binary_cross_entropy_with_logits(x, y, {}, pw));
}

}  // namespace
}  // namespace tg::test
