// The Module API: modules of several inputs and outputs, describe()'s default, buffers,
// clone(), train/eval, ModuleList and ModuleDict, and errors that name the parameter.

#include "nn/nn_test_util.hpp"

#include <utility>
#include <xtensor/xbuilder.hpp>

namespace tg::test {
namespace {

std::vector<std::string> names_of(const std::vector<std::pair<std::string, Tensor<double>>>& v) {
    std::vector<std::string> names;
    for (const auto& [name, t] : v) names.push_back(name);
    return names;
}

std::string temp_path(const std::string& name) {
    return (std::filesystem::temp_directory_path() /
            ("tg_module_api_" + std::to_string(::getpid()) + "_" + name))
        .string();
}

/// Two inputs, one output: y = (a Wᵀ) ⊙ b.
class Bilinear : public nn::Cloneable<Bilinear> {
public:
    explicit Bilinear(std::size_t n) : n_(n) { reset(); }
    void reset() override {
        weight_ = register_parameter("weight", tg::parameter(xt::eye<double>(n_) * 0.5));
    }
    Tensor<double> forward(const Tensor<double>& a, const Tensor<double>& b) {
        return matmul(a, transpose(weight_)) * b;
    }
    Tensor<double> operator()(const Tensor<double>& a, const Tensor<double>& b) {
        return forward(a, b);
    }

private:
    std::size_t n_;
    Tensor<double> weight_;
};

/// A recurrent cell of the LSTM's form: (x, (h, c)) -> (h', c'), a struct of outputs.
struct State {
    Tensor<double> h, c;
};
class TinyCell : public nn::Cloneable<TinyCell> {
public:
    TinyCell() { reset(); }
    void reset() override {
        gate_ = register_module(
            "gate", std::make_shared<nn::Dense<double>>(Array<double>{{0.5, -0.25}, {0.1, 0.2}},
                                                        Array<double>{0.0, 0.1}));
    }
    State forward(const Tensor<double>& x, const State& s) {
        const Tensor<double> c = s.c * sigmoid(gate_->forward(x)) + tanh(x);
        return {tanh(c) * s.h, c};
    }
    State operator()(const Tensor<double>& x, const State& s) { return forward(x, s); }

private:
    std::shared_ptr<nn::Dense<double>> gate_;
};

/// A module that writes no describe() and no clone(): both have defaults.
class Residual : public nn::Module<double> {
public:
    explicit Residual(nn::Rng& rng) {
        scale_ = register_parameter("scale", Tensor<double>(Array<double>{0.5}));
        body_ = register_module("body", std::make_shared<nn::Dense<double>>(2, 2, rng));
    }
    Tensor<double> forward(const Tensor<double>& x) override { return x + scale_ * (*body_)(x); }

private:
    Tensor<double> scale_;
    std::shared_ptr<nn::Dense<double>> body_;
};

/// A running mean of its inputs in a buffer: state that is saved but not trained.
class RunningMean : public nn::Cloneable<RunningMean> {
public:
    explicit RunningMean(std::size_t n) : n_(n) { reset(); }
    void reset() override {
        shift_ = register_parameter("shift", tg::parameter(xt::zeros<double>({n_})));
        mean_ =
            register_buffer("running_mean", Tensor<double>(Array<double>(xt::zeros<double>({n_}))));
    }
    Tensor<double> forward(const Tensor<double>& x) override {
        if (is_training()) {
            NoGradGuard no_grad;
            mean_.mutable_value() = 0.5 * mean_.value() + 0.5 * tg::mean(x, {0}).value();
        }
        return x - mean_ + shift_;
    }
    const Tensor<double>& running_mean() const { return mean_; }

private:
    std::size_t n_;
    Tensor<double> shift_, mean_;
};

TEST(ModuleApi, ATwoInputModuleIsAModule) {
    auto bilinear = std::make_shared<Bilinear>(2);
    const Tensor<double> a{{1.0, 2.0}};
    const Tensor<double> b{{3.0, -1.0}};
    Tape tape;
    const Tensor<double> y = (*bilinear)(a, b);
    EXPECT_EQ(relative_error(y.value(), Array<double>{{1.5, -1.0}}), 0.0);
    tape.backward(sum(y));
    EXPECT_TRUE(bilinear->parameters()[0].has_grad());
    // It lives in containers, with dotted names, like any module.
    nn::ModuleDict<double> dict;
    dict.insert("mix", bilinear);
    EXPECT_EQ(names_of(dict.named_parameters()), (std::vector<std::string>{"mix.weight"}));
    EXPECT_EQ(dict.get<Bilinear>("mix")(a, b).shape(), (Shape{1, 2}));
    // Its one-tensor forward does not exist: calling it says which module.
    nn::Sequential<double> seq{nn::Identity<double>(), bilinear};
    try {
        seq(a);
        ADD_FAILURE() << "expected a ValueError";
    } catch (const ValueError& e) {
        EXPECT_NE(std::string(e.what()).find("Bilinear: forward(x) of one tensor is not defined"),
                  std::string::npos)
            << e.what();
    }
}

TEST(ModuleApi, ACellOfStateInAndStateOut) {
    TinyCell cell;
    const Tensor<double> x{{0.3, -0.2}};
    State s{parameter<double>(Array<double>{{1.0, 0.5}}), Tensor<double>{{0.1, 0.2}}};
    Tape tape;
    for (int step = 0; step < 3; ++step) s = cell(x, s);
    tape.backward(sum(s.h));
    EXPECT_EQ(names_of(cell.named_parameters()),
              (std::vector<std::string>{"gate.weight", "gate.bias"}));
    for (const Tensor<double>& p : cell.parameters()) EXPECT_TRUE(p.has_grad());
    // Gradients through the state, three steps deep, against finite differences.
    const GradcheckResult r = gradcheck(
        [&](const std::vector<Tensor<double>>& in) {
            State t{in[0], in[1]};
            for (int step = 0; step < 3; ++step) t = cell(x, t);
            return t.h;
        },
        {Tensor<double>{{1.0, 0.5}}, Tensor<double>{{0.1, 0.2}}});
    EXPECT_TRUE(r.passed) << r.message;
}

TEST(ModuleApi, DescribeHasADefault) {
    nn::Rng rng(1);
    Residual r(rng);
    EXPECT_EQ(r.describe(), "Residual(scale (1), body=Dense(in=2, out=2))");
    EXPECT_EQ(r.class_name(), "Residual");
    EXPECT_EQ(Bilinear(3).describe(), "Bilinear(weight (3, 3))");
    EXPECT_EQ(nn::Sigmoid<double>().class_name(), "Sigmoid");
    nn::ModuleList<double> list{nn::Dense<double>(1, 2, rng), nn::Tanh<double>()};
    EXPECT_EQ(list.describe(), "ModuleList(Dense(in=1, out=2), Tanh)");
}

TEST(ModuleApi, BuffersAreSavedButNeverTrained) {
    nn::Sequential<double> net{
        nn::Dense<double>(Array<double>{{1.0, 0.0}, {0.0, 1.0}}, Array<double>{0.0, 0.0}),
        RunningMean(2)};
    EXPECT_EQ(names_of(net.named_parameters()),
              (std::vector<std::string>{"0.weight", "0.bias", "1.shift"}));
    EXPECT_EQ(names_of(net.named_buffers()), (std::vector<std::string>{"1.running_mean"}));
    const Tensor<double> buffer = net.buffers()[0];
    EXPECT_FALSE(buffer.requires_grad());

    optim::SGD<double> sgd(net.parameters(), 0.1);
    const Tensor<double> x{{1.0, 2.0}, {3.0, 4.0}};
    Tape tape;
    tape.backward(sum(square(net(x))));
    sgd.step();
    // The running mean moved by forward, not by the optimizer: 0.5·0 + 0.5·(2, 3).
    EXPECT_EQ(relative_error(buffer.value(), Array<double>{1.0, 1.5}), 0.0);
    EXPECT_FALSE(buffer.has_grad());

    // In eval mode it is not updated.
    net.eval();
    (void)net(x);
    EXPECT_EQ(relative_error(buffer.value(), Array<double>{1.0, 1.5}), 0.0);

    // Saved and loaded with the parameters, under its dotted name.
    const std::string path = temp_path("buffers.npz");
    nn::save(net, path);
    nn::Sequential<double> fresh{nn::Dense<double>(2, 2), RunningMean(2)};
    nn::load(fresh, path);
    EXPECT_EQ(relative_error(fresh.buffers()[0].value(), buffer.value()), 0.0);
    EXPECT_EQ(relative_error(fresh.parameters()[2].value(), net.parameters()[2].value()), 0.0);

    nn::Sequential<double> wider{nn::Dense<double>(2, 2), RunningMean(3)};
    try {
        nn::load(wider, path);
        ADD_FAILURE() << "expected an IoError";
    } catch (const IoError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("buffer '1.running_mean' has shape (2) in the file but (3)"),
                  std::string::npos)
            << msg;
        EXPECT_NE(msg.find("parameter '1.shift' has shape (2) in the file but (3)"),
                  std::string::npos)
            << msg;
    }
    nn::Sequential<double> more{nn::Dense<double>(2, 2), RunningMean(2), RunningMean(2)};
    try {
        nn::load(more, path);
        ADD_FAILURE() << "expected an IoError";
    } catch (const IoError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("buffer '2.running_mean' is missing from the file (no entry "
                           "'2.running_mean.npy')"),
                  std::string::npos)
            << msg;
    }
    std::filesystem::remove(path);
}

TEST(ModuleApi, BufferNamesFollowTheRules) {
    class Registering : public nn::Module<double> {
    public:
        void buffer(const std::string& name, Tensor<double> t) { register_buffer(name, t); }
        void param(const std::string& name, Tensor<double> t) { register_parameter(name, t); }
    } m;
    m.param("w", Tensor<double>(1.0));
    EXPECT_THROW(m.buffer("w", Tensor<double>(1.0)), ValueError);
    EXPECT_THROW(m.buffer("a.b", Tensor<double>(1.0)), ValueError);
    EXPECT_THROW(m.buffer("u", Tensor<double>()), ValueError);
    m.buffer("b", parameter<double>(Array<double>{1.0}));
    EXPECT_THROW(m.param("b", Tensor<double>(1.0)), ValueError);
    EXPECT_TRUE(m.parameters().size() == 1 && m.buffers().size() == 1);
    EXPECT_FALSE(m.buffers()[0].requires_grad());
}

TEST(ModuleApi, CloneIsADeepCopy) {
    nn::Rng rng(2);
    nn::Sequential<double> net{nn::Dense<double>(2, 3, rng), nn::LeakyReLU<double>(0.2),
                               RunningMean(3), nn::Dense<double>(3, 1, rng)};
    net[2].eval();
    const std::shared_ptr<nn::Module<double>> copy = net.clone();
    ASSERT_NE(dynamic_cast<nn::Sequential<double>*>(copy.get()), nullptr);
    EXPECT_EQ(copy->describe(), net.describe());
    EXPECT_EQ(names_of(copy->named_parameters()), names_of(net.named_parameters()));
    EXPECT_EQ(names_of(copy->named_buffers()), names_of(net.named_buffers()));
    const auto original = net.parameters();
    const auto cloned = copy->parameters();
    for (std::size_t i = 0; i < original.size(); ++i) {
        EXPECT_FALSE(cloned[i].same(original[i]));
        EXPECT_EQ(relative_error(cloned[i].value(), original[i].value()), 0.0);
        EXPECT_TRUE(cloned[i].requires_grad());
    }
    EXPECT_FALSE(copy->buffers()[0].same(net.buffers()[0]));
    EXPECT_TRUE(copy->is_training());
    EXPECT_FALSE(dynamic_cast<nn::Sequential<double>&>(*copy)[2].is_training());

    // Training the copy leaves the original as it was.
    const Array<double> before = original[0].value();
    const Tensor<double> x{{1.0, -1.0}};
    optim::SGD<double> sgd(copy->parameters(), 0.5);
    Tape tape;
    tape.backward(sum((*copy)(x)));
    sgd.step();
    EXPECT_EQ(relative_error(original[0].value(), before), 0.0);
    EXPECT_GT(relative_error(cloned[0].value(), before), 0.0);
    EXPECT_FALSE(original[0].has_grad());
    // The configuration is copied too.
    EXPECT_EQ(dynamic_cast<nn::Sequential<double>&>(*copy).get<nn::LeakyReLU<double>>(1).slope(),
              0.2);
}

TEST(ModuleApi, CloneOfAModuleWithSubmodulesItMakes) {
    TinyCell cell;
    cell.parameters()[0].assign(Array<double>{{9.0, 8.0}, {7.0, 6.0}});
    const auto copy = cell.clone();
    EXPECT_EQ(copy->parameters()[0].at({0, 0}), 9.0);
    EXPECT_FALSE(copy->parameters()[0].same(cell.parameters()[0]));
    EXPECT_NE(dynamic_cast<TinyCell*>(copy.get()), nullptr);
}

TEST(ModuleApi, CloneNeedsCloneable) {
    nn::Rng rng(1);
    Residual r(rng);
    try {
        (void)r.clone();
        ADD_FAILURE() << "expected a ValueError";
    } catch (const ValueError& e) {
        EXPECT_NE(std::string(e.what()).find("Residual: clone() is not available; derive the "
                                             "module from tg::nn::Cloneable<Residual>"),
                  std::string::npos)
            << e.what();
    }
}

/// Registers a parameter in its constructor that reset() does not: clone() calls reset()
/// and must notice.
class ForgetfulReset : public nn::Cloneable<ForgetfulReset> {
public:
    ForgetfulReset() {
        reset();
        register_parameter("extra", tg::parameter(Array<double>{1.0, 2.0}));
    }
    void reset() override { register_parameter("weight", tg::parameter(Array<double>{0.5})); }
    Tensor<double> forward(const Tensor<double>& x) override { return x; }
};

TEST(ModuleApi, CloneRefusesAResetThatRegistersLessThanTheConstructor) {
    const ForgetfulReset m;
    try {
        (void)m.clone();
        ADD_FAILURE() << "expected a ValueError";
    } catch (const ValueError& e) {
        EXPECT_NE(std::string(e.what()).find(
                      "clone: ForgetfulReset::reset() registered the parameters 'weight' (1) but "
                      "the original has 'weight' (1) 'extra' (2); reset() must register what the "
                      "constructor does"),
                  std::string::npos)
            << e.what();
    }
}

TEST(ModuleApi, TrainAndEvalReachEveryContainer) {
    nn::Rng rng(1);
    auto list =
        std::make_shared<nn::ModuleList<double>>(nn::Dense<double>(2, 2, rng), RunningMean(2));
    nn::ModuleDict<double> dict;
    dict.insert("list", list).insert("cell", TinyCell());
    dict.eval();
    EXPECT_FALSE(dict.is_training());
    EXPECT_FALSE((*list)[1].is_training());
    EXPECT_FALSE(dict["cell"].children()[0].second->is_training());
    dict.train();
    EXPECT_TRUE((*list)[1].is_training());
    EXPECT_TRUE(dict.get<TinyCell>("cell").children()[0].second->is_training());
}

TEST(ModuleApi, ModuleListAndDictNameTheirChildrenAndRoundTrip) {
    nn::Rng rng(4);
    const auto build = [&] {
        nn::ModuleDict<double> model;
        model.insert("encoder",
                     nn::ModuleList<double>{nn::Dense<double>(3, 4, rng), nn::Tanh<double>(),
                                            nn::Dense<double>(4, 4, rng)});
        model.insert("head", nn::Dense<double>(4, 2, rng));
        model.insert("norm", RunningMean(2));
        return model;
    };
    nn::ModuleDict<double> model = build();
    EXPECT_EQ(
        names_of(model.named_parameters()),
        (std::vector<std::string>{"encoder.0.weight", "encoder.0.bias", "encoder.2.weight",
                                  "encoder.2.bias", "head.weight", "head.bias", "norm.shift"}));
    EXPECT_EQ(model.keys(), (std::vector<std::string>{"encoder", "head", "norm"}));
    EXPECT_TRUE(model.contains("head"));
    EXPECT_FALSE(model.contains("tail"));
    EXPECT_EQ(model.describe(),
              "ModuleDict(encoder=ModuleList(Dense(in=3, out=4), Tanh, Dense(in=4, out=4)), "
              "head=Dense(in=4, out=2), norm=RunningMean(shift (2)))");
    auto& encoder = model.get<nn::ModuleList<double>>("encoder");
    EXPECT_EQ(encoder.size(), 3u);
    std::size_t dense = 0;
    for (const auto& m : encoder) dense += dynamic_cast<nn::Dense<double>*>(m.get()) != nullptr;
    EXPECT_EQ(dense, 2u);

    const std::string path = temp_path("dict.npz");
    nn::save(model, path);
    nn::ModuleDict<double> other = build();  // other values: rng moved on
    EXPECT_GT(relative_error(other.parameters()[0].value(), model.parameters()[0].value()), 0.0);
    nn::load(other, path);
    const auto a = model.parameters(), b = other.parameters();
    for (std::size_t i = 0; i < a.size(); ++i)
        EXPECT_EQ(relative_error(b[i].value(), a[i].value()), 0.0) << i;
    std::filesystem::remove(path);

    // The clone of a dict is a dict of clones.
    const auto copy = model.clone();
    EXPECT_EQ(copy->describe(), model.describe());
    EXPECT_FALSE(copy->parameters()[4].same(model.parameters()[4]));

    try {
        (void)model["tail"];
        ADD_FAILURE() << "expected a ValueError";
    } catch (const ValueError& e) {
        EXPECT_NE(std::string(e.what()).find(
                      "ModuleDict: no module named 'tail'; it holds 'encoder', 'head', 'norm'"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_THROW(model.insert("head", nn::Tanh<double>()), ValueError);
    EXPECT_THROW(model.insert("a.b", nn::Tanh<double>()), ValueError);
    EXPECT_THROW(encoder.get<nn::Dense<double>>(1), ValueError);
    EXPECT_THROW((void)encoder[3], ValueError);
}

TEST(ModuleApi, SequentialTakesAnyModuleOfOneTensor) {
    // Containers, your own modules and plain functions (Functional).
    nn::Rng rng(6);
    nn::Sequential<double> net{
        nn::Dense<double>(2, 3, rng),
        nn::Functional<double>([](const Tensor<double>& x) { return clamp(x, -0.5, 0.5); },
                               "Clamp"),
        nn::ModuleList<double>{},  // its forward is not one tensor's: only called if reached
        Residual(rng)};
    EXPECT_EQ(net.describe(),
              "Sequential(Dense(in=2, out=3), Clamp, ModuleList(), Residual(scale (1), "
              "body=Dense(in=2, out=2)))");
    nn::Sequential<double> ok{nn::Dense<double>(2, 3, rng), net.module_ptr(1),
                              nn::Dense<double>(3, 2, rng), net.module_ptr(3)};
    const Tensor<double> y = ok(Tensor<double>{{1.0, -1.0}});
    EXPECT_EQ(y.shape(), (Shape{1, 2}));
    EXPECT_THROW(net(Tensor<double>{{1.0, -1.0}}), ValueError);  // ModuleList in the chain
    const auto copy = nn::Sequential<double>{net.module_ptr(0), net.module_ptr(1)}.clone();
    EXPECT_EQ(copy->describe(), "Sequential(Dense(in=2, out=3), Clamp)");
    EXPECT_THROW(nn::Functional<double>(nullptr), ValueError);
}

TEST(ModuleApi, ParametersKeepTheirOrder) {
    // Own parameters first, then the submodules' in registration order, at any depth,
    // and the same for two modules built alike.
    nn::Rng rng(1);
    Residual r(rng);
    EXPECT_EQ(names_of(r.named_parameters()),
              (std::vector<std::string>{"scale", "body.weight", "body.bias"}));
    nn::Sequential<double> a{nn::Dense<double>(1, 2, rng), Residual(rng)};
    EXPECT_EQ(names_of(a.named_parameters()),
              (std::vector<std::string>{"0.weight", "0.bias", "1.scale", "1.body.weight",
                                        "1.body.bias"}));
    for (std::size_t i = 0; i < a.parameters().size(); ++i)
        EXPECT_TRUE(a.parameters()[i].same(a.named_parameters()[i].second));
}

TEST(ModuleApi, LoadErrorsNameTheParameter) {
    nn::Rng rng(1);
    nn::Sequential<double> net{nn::Dense<double>(2, 3, rng), nn::Tanh<double>(),
                               nn::Dense<double>(3, 1, rng)};
    const std::string path = temp_path("names.npz");
    nn::save(net, path);
    nn::Sequential<double> other{nn::Dense<double>(2, 3, rng), nn::Tanh<double>(),
                                 nn::Dense<double>(4, 1, rng)};
    try {
        nn::load(other, path);
        ADD_FAILURE() << "expected an IoError";
    } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find("parameter '2.weight' has shape (1, 3) in the file "
                                             "but (1, 4) in the model"),
                  std::string::npos)
            << e.what();
    }
    std::filesystem::remove(path);
}

TEST(ModuleApi, ParametersKnowTheirDottedNames) {
    nn::Rng rng(1);
    auto inner = std::make_shared<nn::Dense<double>>(2, 2, rng);
    EXPECT_EQ(inner->weight().name(), "weight");
    nn::Sequential<double> net{nn::Dense<double>(2, 2, rng), nn::Tanh<double>()};
    nn::ModuleDict<double> model;
    model.insert("body", net).insert("head", inner).insert("norm", RunningMean(2));
    for (const auto& [name, p] : model.named_parameters()) EXPECT_EQ(p.name(), name);
    for (const auto& [name, b] : model.named_buffers()) EXPECT_EQ(b.name(), name);
    EXPECT_EQ(inner->weight().name(), "head.weight");
    EXPECT_EQ(Tensor<double>(1.0).name(), "");
}

TEST(ModuleApi, AParameterChangedInPlaceAfterItWasSavedIsNamed) {
    nn::Rng rng(1);
    nn::Sequential<double> net{nn::Dense<double>(2, 3, rng), nn::Tanh<double>(),
                               nn::Dense<double>(3, 1, rng)};
    const Tensor<double> x{{0.5, -0.5}};
    Tape tape;
    const Tensor<double> loss = sum(net(x));
    net.parameters()[2].mutable_value() *= 2.0;  // "2.weight", saved by the second linear
    try {
        tape.backward(loss);
        ADD_FAILURE() << "expected a GraphError";
    } catch (const GraphError& e) {
        EXPECT_NE(std::string(e.what()).find("('2.weight') of shape (1, 3) was changed in place"),
                  std::string::npos)
            << e.what();
    }
}

TEST(ModuleApi, AnomalyErrorsNameTheParameter) {
    nn::Rng rng(1);
    nn::Sequential<double> net{nn::Dense<double>(2, 3, rng), RunningMean(3)};
    net.parameters()[1].mutable_value()(1) = std::nan("");  // "0.bias"
    DetectAnomalyGuard anomaly;
    {
        Tape tape;
        try {
            (void)net(Tensor<double>{{0.5, -0.5}});
            ADD_FAILURE() << "expected an AnomalyError";
        } catch (const AnomalyError& e) {
            EXPECT_NE(std::string(e.what()).find("'0.weight' (3, 2), '0.bias' (3)"),
                      std::string::npos)
                << e.what();
        }
    }
    // A gradient that is not finite for a parameter: d√s/ds at s = 0.
    Tensor<double> scale = net.parameters()[2];  // "1.shift"
    scale.assign(Array<double>{0.0, 1.0, 1.0});
    Tape tape;
    const Tensor<double> loss = sum(sqrt(scale));
    try {
        tape.backward(loss);
        ADD_FAILURE() << "expected an AnomalyError";
    } catch (const AnomalyError& e) {
        EXPECT_NE(std::string(e.what()).find("input #0 ('1.shift' shape (3))"), std::string::npos)
            << e.what();
    }
}

}  // namespace
}  // namespace tg::test
