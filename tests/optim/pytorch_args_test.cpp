// maximize on every optimizer and SGD's dampening (issue 24 item 5), against PyTorch
// 1.13's iterates (tests/data/args_reference.txt, cases "optim.*", written by
// tests/data/make_args_reference.py): six steps on the gradient g = a p + b, to 1e-13;
// and the options' entries in the optimizer's state file.

#include "args_reference.hpp"
#include "nn/expect_message.hpp"
#include "nn/nn_test_util.hpp"

#include <tapegrad/optim/adagrad.hpp>
#include <tapegrad/optim/adam.hpp>
#include <tapegrad/optim/checkpoint.hpp>
#include <tapegrad/optim/rmsprop.hpp>
#include <tapegrad/optim/sgd.hpp>

#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace tg::test {
namespace {

using Params = std::vector<Tensor<double>>;
using Make = std::function<std::unique_ptr<optim::Optimizer<double>>(const Params&)>;

std::map<std::string, Make> optimizers() {
    std::map<std::string, Make> m;
    m["optim.sgd_maximize"] = [](const Params& ps) {
        optim::SGDOptions o;
        o.maximize = true;
        return std::make_unique<optim::SGD<double>>(ps, 0.1, o);
    };
    m["optim.sgd_dampening"] = [](const Params& ps) {
        optim::SGDOptions o;
        o.momentum = 0.8, o.dampening = 0.5;
        return std::make_unique<optim::SGD<double>>(ps, 0.1, o);
    };
    m["optim.sgd_dampening_maximize_decay"] = [](const Params& ps) {
        optim::SGDOptions o;
        o.momentum = 0.9, o.dampening = 0.3, o.weight_decay = 0.1, o.maximize = true;
        return std::make_unique<optim::SGD<double>>(ps, 0.05, o);
    };
    m["optim.sgd_nesterov_maximize"] = [](const Params& ps) {
        optim::SGDOptions o;
        o.momentum = 0.9, o.nesterov = true, o.weight_decay = 0.1, o.maximize = true;
        return std::make_unique<optim::SGD<double>>(ps, 0.05, o);
    };
    m["optim.adam_maximize"] = [](const Params& ps) {
        optim::AdamOptions o;
        o.weight_decay = 0.1, o.amsgrad = true, o.maximize = true;
        return std::make_unique<optim::Adam<double>>(ps, 0.05, o);
    };
    m["optim.adamw_maximize"] = [](const Params& ps) {
        optim::AdamWOptions o;
        o.maximize = true;
        return std::make_unique<optim::AdamW<double>>(ps, 0.05, o);
    };
    m["optim.rmsprop_maximize"] = [](const Params& ps) {
        optim::RMSpropOptions o;
        o.momentum = 0.5, o.centered = true, o.weight_decay = 0.1, o.maximize = true;
        return std::make_unique<optim::RMSprop<double>>(ps, 0.01, o);
    };
    m["optim.adagrad_maximize"] = [](const Params& ps) {
        optim::AdagradOptions o;
        o.lr_decay = 0.1, o.weight_decay = 0.1, o.maximize = true;
        return std::make_unique<optim::Adagrad<double>>(ps, 0.1, o);
    };
    return m;
}

TEST(PyTorchArgs, MaximizeAndDampeningIteratesMatchPyTorch) {
    const std::map<std::string, Make> makers = optimizers();
    std::size_t checked = 0;
    for (const ReferenceCase& c : args_cases("optim.")) {
        const std::string& name = c.words.at(0);
        SCOPED_TRACE(name);
        ASSERT_TRUE(makers.count(name)) << "no optimizer for case " << name;
        Tensor<double> p = parameter<double>(c.at("param_0"));
        const auto optimizer = makers.at(name)({p});
        const Array<double> a = c.at("a"), b = c.at("b");
        Tape tape;
        for (std::size_t k = 1; c.has("param_" + std::to_string(k)); ++k) {
            optimizer->zero_grad();
            // g = a p + b exactly: the gradient of sum(p · f) with f held constant.
            const Array<double> g = a * p.value() + b;
            tape.backward(sum(p * Tensor<double>(g)));
            optimizer->step();
            EXPECT_TRUE(matches_reference(p.value(), c.at("param_" + std::to_string(k)), 1e-13))
                << "step " << k;
        }
        ++checked;
    }
    EXPECT_EQ(checked, makers.size());
}

TEST(PyTorchArgs, MaximizeAndDampeningAreSavedWithTheState) {
    Tensor<double> p = parameter<double>(Array<double>{0.5, -1.0});
    optim::SGDOptions o;
    o.momentum = 0.9, o.dampening = 0.25, o.maximize = true;
    optim::SGD<double> sgd({p}, 0.1, o);
    Tape tape;
    tape.backward(sum(p * p));
    sgd.step();
    const std::string path = temp_path("maximize.npz");
    optim::save(sgd, path);
    optim::SGD<double> same({parameter<double>(Array<double>{0.0, 0.0})}, 0.1, o);
    optim::load(same, path);
    EXPECT_EQ(same.state(0).buffers[0], sgd.state(0).buffers[0]);
    optim::SGDOptions descending = o;
    descending.maximize = false;
    optim::SGD<double> other({parameter<double>(Array<double>{0.0, 0.0})}, 0.1, descending);
    expect_message<Error>([&] { optim::load(other, path); },
                          {"entry 'options.maximize' holds 1 but this SGD has maximize = 0"});
    std::remove(path.c_str());
}

TEST(PyTorchArgs, NesterovNeedsZeroDampening) {
    optim::SGDOptions o;
    o.momentum = 0.9, o.nesterov = true, o.dampening = 0.1;
    expect_message<ValueError>(
        [&] { optim::SGD<double>({parameter<double>(Array<double>{1.0})}, 0.1, o); },
        {"SGD: nesterov needs a momentum > 0 and dampening 0 (as in PyTorch)"});
}

}  // namespace
}  // namespace tg::test
