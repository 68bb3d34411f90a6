// LBFGS against PyTorch 1.13's torch.optim.LBFGS: on the Rosenbrock function and on a
// small least-squares network, with and without the strong-Wolfe line search, with the
// defaults (one step of 20 iterations), fewer iterations per step and a short history
// (four steps), tapegrad's parameters, returned losses and state (counts exactly; t,
// H_diag, prev_loss) are PyTorch's to 1e-10 in double (the numbers come from
// tests/data/make_lbfgs_reference.py, which keeps only cases where a one-ulp change of the
// start moves no iterate by more than 1e-12); its arguments are checked as the README's
// error catalogue says.

#include "nn/expect_message.hpp"
#include "nn/nn_test_util.hpp"
#include "nn/torch_reference.hpp"

#include <tapegrad/tapegrad.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

namespace tg::test {
namespace {

/// The vector under `key` in lbfgs_reference.txt.
std::vector<double> lbfgs_reference(const std::string& key) {
    return reference_vector(key, kLbfgsReference);
}

/// The vector under `key` in lbfgs_reference.txt as an array of `shape`.
Array<double> lbfgs_array(const std::string& key, const Shape& shape) {
    return reference_array(key, shape, kLbfgsReference);
}

/// |a − b| / max(1, |b|): the numbers are of order 1, some far smaller (losses near 0).
double error(double a, double b) { return std::fabs(a - b) / std::max(1.0, std::fabs(b)); }

struct Problem {
    std::vector<Shape> shapes;
    std::function<Tensor<double>(const std::vector<Tensor<double>>&)> loss;
};

/// f = (1 − a)² + 100 (b − a²)² of p0 = (a, b).
Problem rosenbrock() {
    return {{Shape{2}}, [](const std::vector<Tensor<double>>& ps) {
                const Tensor<double> a = narrow(ps[0], 0, 0, 1);
                const Tensor<double> b = narrow(ps[0], 0, 1, 1);
                return sum(square(1.0 - a) + 100.0 * square(b - square(a)));
            }};
}

/// mean((Linear(5 → 1)(tanh(Linear(3 → 5)(x))) − y)²) on the generator's data.
Problem least_squares_net() {
    const Tensor<double> x(lbfgs_array("lbfgs.net.x", Shape{16, 3}));
    const Tensor<double> y(lbfgs_array("lbfgs.net.y", Shape{16, 1}));
    return {{Shape{5, 3}, Shape{5}, Shape{1, 5}, Shape{1}},
            [x, y](const std::vector<Tensor<double>>& ps) {
                const Tensor<double> h = tanh(linear(x, ps[0], ps[1]));
                return mean(square(linear(h, ps[2], ps[3]) - y));
            }};
}

/// Runs case `name` of the generator on `problem` and compares every step with PyTorch's.
void expect_torch_iterates(const std::string& name, const Problem& problem) {
    const std::string prefix = "lbfgs." + name;
    const std::vector<double> o = lbfgs_reference(prefix + ".options");
    ASSERT_EQ(o.size(), 8u);
    optim::LBFGSOptions options;
    options.max_iter = static_cast<long>(o[1]);
    options.max_eval = static_cast<long>(o[2]);
    options.tolerance_grad = o[3];
    options.tolerance_change = o[4];
    options.history_size = static_cast<long>(o[5]);
    if (o[6] == 1) options.line_search_fn = "strong_wolfe";
    std::vector<Tensor<double>> ps;
    for (std::size_t i = 0; i < problem.shapes.size(); ++i)
        ps.push_back(parameter<double>(
            lbfgs_array(prefix + ".p" + std::to_string(i) + ".init", problem.shapes[i])));
    optim::LBFGS<double> opt(ps, o[0], options);
    Tape tape;
    long evaluations = 0;
    const auto closure = [&] {
        opt.zero_grad();
        Tensor<double> loss = problem.loss(ps);
        tape.backward(loss);
        ++evaluations;
        return loss;
    };
    for (int step = 1; step <= static_cast<int>(o[7]); ++step) {
        const std::string at = prefix + ".step" + std::to_string(step);
        const double loss = opt.step(closure).item();
        const std::vector<double> expected = lbfgs_reference(at);
        ASSERT_EQ(expected.size(), 7u);
        const optim::LBFGSState<double>& s = opt.lbfgs_state();
        EXPECT_LE(error(loss, expected[0]), 1e-10) << at << ": loss " << loss;
        EXPECT_EQ(s.func_evals, static_cast<std::uint64_t>(expected[1])) << at;
        EXPECT_EQ(evaluations, static_cast<long>(expected[1])) << at << ": closure calls";
        EXPECT_EQ(s.n_iter, static_cast<std::uint64_t>(expected[2])) << at;
        EXPECT_EQ(s.old_dirs.size(), static_cast<std::size_t>(expected[3])) << at;
        EXPECT_LE(error(s.t, expected[4]), 1e-10) << at << ": t " << s.t;
        EXPECT_LE(error(s.H_diag, expected[5]), 1e-10) << at << ": H_diag " << s.H_diag;
        EXPECT_LE(error(s.prev_loss, expected[6]), 1e-10) << at << ": prev_loss";
        for (std::size_t i = 0; i < ps.size(); ++i) {
            const std::string key =
                prefix + ".p" + std::to_string(i) + ".step" + std::to_string(step);
            const Array<double> want = lbfgs_array(key, problem.shapes[i]);
            double worst = 0;
            for (std::size_t j = 0; j < want.size(); ++j)
                worst = std::max(worst, error(ps[i].value().data()[j], want.data()[j]));
            EXPECT_LE(worst, 1e-10) << key << ": max |tapegrad − torch| = " << worst;
        }
    }
}

TEST(LBFGS, RosenbrockMatchesTorch) {
    expect_torch_iterates("rosenbrock", rosenbrock());
    expect_torch_iterates("rosenbrock_iter", rosenbrock());
}

TEST(LBFGS, RosenbrockStrongWolfeMatchesTorch) {
    expect_torch_iterates("rosenbrock_wolfe", rosenbrock());
    expect_torch_iterates("rosenbrock_iter_wolfe", rosenbrock());
}

TEST(LBFGS, RosenbrockShortHistoryMatchesTorch) {
    expect_torch_iterates("rosenbrock_short", rosenbrock());
    expect_torch_iterates("rosenbrock_short_wolfe", rosenbrock());
}

TEST(LBFGS, LeastSquaresNetMatchesTorch) {
    expect_torch_iterates("net", least_squares_net());
    expect_torch_iterates("net_iter", least_squares_net());
}

TEST(LBFGS, LeastSquaresNetStrongWolfeMatchesTorch) {
    expect_torch_iterates("net_wolfe", least_squares_net());
    expect_torch_iterates("net_iter_wolfe", least_squares_net());
}

TEST(LBFGS, LeastSquaresNetShortHistoryMatchesTorch) {
    expect_torch_iterates("net_short", least_squares_net());
    expect_torch_iterates("net_short_wolfe", least_squares_net());
}

TEST(LBFGS, DefaultsArePyTorchs) {
    const std::vector<double> d = lbfgs_reference("lbfgs.defaults");
    ASSERT_EQ(d.size(), 6u);
    const optim::LBFGS<double> opt({parameter<double>(Array<double>({1.0, 2.0}))});
    EXPECT_EQ(opt.learning_rate(), d[0]);
    EXPECT_EQ(opt.options().max_iter, d[1]);
    EXPECT_EQ(opt.options().max_eval, static_cast<long>(d[2]));
    EXPECT_EQ(opt.options().tolerance_grad, d[3]);
    EXPECT_EQ(opt.options().tolerance_change, d[4]);
    EXPECT_EQ(opt.options().history_size, d[5]);
    EXPECT_FALSE(opt.options().line_search_fn.has_value());
    // max_eval follows max_iter: max_iter · 5 / 4, rounded down.
    optim::LBFGSOptions options;
    options.max_iter = 7;
    EXPECT_EQ(optim::LBFGS<double>({parameter<double>(Array<double>({1.0}))}, 1.0, options)
                  .options()
                  .max_eval,
              8);
}

TEST(LBFGS, FloatConvergesOnRosenbrock) {
    Tensor<float> p = parameter<float>(Array<float>({-1.5f, 2.0f}));
    optim::LBFGSOptions options;
    options.line_search_fn = "strong_wolfe";
    optim::LBFGS<float> opt({p}, 1.0f, options);
    Tape tape;
    const auto closure = [&] {
        opt.zero_grad();
        const Tensor<float> a = narrow(p, 0, 0, 1), b = narrow(p, 0, 1, 1);
        Tensor<float> loss = sum(square(1.0f - a) + 100.0f * square(b - square(a)));
        tape.backward(loss);
        return loss;
    };
    for (int i = 0; i < 5; ++i) opt.step(closure);
    EXPECT_NEAR(p.value()(0), 1.0f, 1e-3f);
    EXPECT_NEAR(p.value()(1), 1.0f, 1e-3f);
}

TEST(LBFGS, BadArgumentsNameTheArgument) {
    const auto make = [](optim::LBFGSOptions options, double lr = 1.0) {
        return [options, lr] {
            optim::LBFGS<double> opt({parameter<double>(Array<double>({1.0}))}, lr, options);
        };
    };
    optim::LBFGSOptions o;
    o.line_search_fn = "backtracking";
    expect_message<ValueError>(make(o), {"LBFGS: line_search_fn 'backtracking' is not known",
                                         "pass \"strong_wolfe\", or none"});
    o = {};
    o.max_iter = 0;
    expect_message<ValueError>(make(o), {"LBFGS: max_iter (0) must be >= 1"});
    o = {};
    o.max_eval = 0;
    expect_message<ValueError>(make(o), {"LBFGS: max_eval (0) must be >= 1"});
    o = {};
    o.history_size = 0;
    expect_message<ValueError>(make(o), {"LBFGS: history_size (0) must be >= 1"});
    o = {};
    o.tolerance_grad = -1;
    expect_message<ValueError>(make(o), {"LBFGS", "tolerance_grad", ">= 0"});
    o = {};
    o.tolerance_change = std::nan("");
    expect_message<ValueError>(make(o), {"LBFGS", "tolerance_change", ">= 0"});
    expect_message<ValueError>(make({}, -1.0),
                               {"optimizer: learning rate", "not a finite number >= 0"});

    const Tensor<double> a = parameter<double>(Array<double>({1.0}));
    const Tensor<double> b = parameter<double>(Array<double>({2.0}));
    expect_message<ValueError>(
        [&] {
            optim::LBFGS<double> opt(std::vector<optim::ParamGroup<double>>{{{a}}, {{b}}});
        },
        {"LBFGS: got 2 parameter groups; LBFGS takes one", "pass all parameters in one list"});
    expect_message<ValueError>(
        [&] {
            optim::LBFGS<double> opt(std::vector<optim::ParamGroup<double>>{{{a}, 1.0, 0.1}});
        },
        {"LBFGS: the parameter group has a weight_decay; LBFGS has none"});
    expect_message<ValueError>([&] { optim::LBFGS<double> opt(std::vector<Tensor<double>>{}); },
                               {"LBFGS: the parameter list is empty"});
}

TEST(LBFGS, BadClosuresNameTheClosure) {
    Tensor<double> p = parameter<double>(Array<double>({1.0, -2.0}));
    optim::LBFGS<double> opt({p});
    Tape tape;
    expect_message<ValueError>([&] { opt.step(); },
                               {"LBFGS: step() needs a closure", "call step(closure)"});
    expect_message<ValueError>([&] { opt.step(nullptr); },
                               {"LBFGS: step(closure): the closure is empty"});
    expect_message<ValueError>(
        [&] {
            opt.step([&] {
                opt.zero_grad();
                Tensor<double> loss = square(p);  // two elements: not a loss
                tape.backward(sum(loss));
                return loss;
            });
        },
        {"LBFGS: step(closure): the closure returned a tensor of shape (2)",
         "it must return the loss, a one-element tensor"});
    expect_message<ValueError>([&] { opt.step([] { return Tensor<double>(); }); },
                               {"LBFGS: step(closure): the closure returned an undefined tensor"});
    expect_message<ValueError>(
        [&] {
            opt.step([&] {
                opt.zero_grad();
                return sum(square(p));  // backward forgotten
            });
        },
        {"LBFGS: step(closure): no parameter has a gradient after the closure ran",
         "the closure must call backward on the loss"});
    // None of these moved the parameter.
    EXPECT_EQ(p.value()(0), 1.0);
    EXPECT_EQ(p.value()(1), -2.0);
}

/// Steps of LBFGS (history 3, strong Wolfe) on the network from its initial weights,
/// `steps` at once, or `first` steps, then tg::optim::save and the rest in a new optimizer
/// over new tensors after tg::optim::load (changing `file` between the two when given).
std::vector<Array<double>> net_steps(int steps, int first = -1,
                                     const std::function<void(const std::string&)>& file = {}) {
    const Problem problem = least_squares_net();
    optim::LBFGSOptions options;
    options.history_size = 3;
    options.max_iter = 5;
    options.line_search_fn = "strong_wolfe";
    const auto make_params = [&](const std::vector<Array<double>>& values) {
        std::vector<Tensor<double>> ps;
        for (const Array<double>& v : values) ps.push_back(parameter<double>(v));
        return ps;
    };
    std::vector<Array<double>> values;
    for (std::size_t i = 0; i < problem.shapes.size(); ++i)
        values.push_back(
            lbfgs_array("lbfgs.net.p" + std::to_string(i) + ".init", problem.shapes[i]));
    std::vector<Tensor<double>> ps = make_params(values);
    auto opt = std::make_unique<optim::LBFGS<double>>(ps, 1.0, options);
    Tape tape;
    for (int step = 1; step <= steps; ++step) {
        opt->step([&] {
            opt->zero_grad();
            Tensor<double> loss = problem.loss(ps);
            tape.backward(loss);
            return loss;
        });
        if (step != first) continue;
        const std::string path = temp_path("lbfgs_state.npz");
        optim::save(*opt, path);
        if (file) file(path);
        values.clear();
        for (const Tensor<double>& p : ps) values.push_back(p.value());
        ps = make_params(values);
        opt = std::make_unique<optim::LBFGS<double>>(ps, 1.0, options);
        optim::load(*opt, path);
    }
    std::vector<Array<double>> out;
    for (const Tensor<double>& p : ps) out.push_back(p.value());
    return out;
}

TEST(LBFGS, SaveAndLoadResumeBitForBit) {
    const std::vector<Array<double>> straight = net_steps(4);
    const std::vector<Array<double>> resumed = net_steps(4, 2);
    ASSERT_EQ(straight.size(), resumed.size());
    for (std::size_t i = 0; i < straight.size(); ++i) EXPECT_EQ(straight[i], resumed[i]) << i;
    // Without the state (the history), the resumed run takes other steps.
    const std::vector<Array<double>> forgetful = net_steps(4, 2, [](const std::string& path) {
        io::NamedArrays<double> entries = io::load_npz<double>(path);
        for (auto it = entries.begin(); it != entries.end();)
            it = it->first.rfind("state.", 0) == 0 ? entries.erase(it) : std::next(it);
        io::save_npz(path, entries);
    });
    EXPECT_NE(straight[0], forgetful[0]);
}

TEST(LBFGS, StateFileHoldsPyTorchsNames) {
    net_steps(1, 1, [](const std::string& path) {
        const io::NamedArrays<double> entries = io::load_npz<double>(path);
        for (const char* name : {"func_evals", "n_iter", "d", "t", "old_dirs", "old_stps", "ro",
                                 "H_diag", "prev_flat_grad", "prev_loss"})
            EXPECT_EQ(entries.count(std::string("state.0.") + name), 1u) << name;
        EXPECT_EQ(Shape(entries.at("state.0.old_dirs").shape()), (Shape{3, 26}));
        EXPECT_EQ(entries.at("state.0.n_iter")(), 5.0);
        EXPECT_EQ(entries.at("options.history_size")(), 3.0);
    });
}

TEST(LBFGS, LoadRefusesAStateThatDoesNotFit) {
    const auto damaged = [](const std::function<void(io::NamedArrays<double>&)>& change) {
        return [change] {
            net_steps(2, 1, [&](const std::string& path) {
                io::NamedArrays<double> entries = io::load_npz<double>(path);
                change(entries);
                io::save_npz(path, entries);
            });
        };
    };
    expect_message<IoError>(
        damaged([](io::NamedArrays<double>& e) { e["state.0.d"] = Array<double>(Shape{5}); }),
        {"entry 'state.0.d' has shape (5), which this LBFGS's d cannot have",
         "Nothing was loaded"});
    expect_message<IoError>(
        damaged([](io::NamedArrays<double>& e) {
            e["state.0.old_dirs"] = Array<double>(Shape{4, 26});
        }),
        {"entry 'state.0.old_dirs' has shape (4, 26), which this LBFGS's old_dirs cannot have"});
    expect_message<IoError>(
        damaged([](io::NamedArrays<double>& e) { e["state.0.ro"] = Array<double>(Shape{2}); }),
        {"LBFGS: state.0.old_dirs, state.0.old_stps and state.0.ro hold histories of different "
         "lengths (3, 3, 2)",
         "Nothing was loaded"});
    expect_message<IoError>(
        damaged([](io::NamedArrays<double>& e) { e["state.0.n_iter"]() = 2.5; }),
        {"LBFGS: state.0.n_iter is not a count (a whole number >= 0)"});
    expect_message<IoError>(damaged([](io::NamedArrays<double>& e) { e.erase("state.0.t"); }),
                            {"LBFGS: the state holds 9 of its entries; after n_iter = 5 "
                             "iterations it has 10"});
}

}  // namespace
}  // namespace tg::test
