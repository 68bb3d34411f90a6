// Resuming exactly: 100 steps, the model and the optimizer's state saved, both loaded
// into a model and an optimizer built anew (with other initial weights, so that only the
// files can make them agree), then 100 more steps give bit for bit the parameters of 200
// uninterrupted steps, for SGD with momentum, Adam, AdamW (with a cosine schedule) and
// RMSprop. And every kind of bad optimizer state file is refused with tg::IoError naming
// the entry, the optimizer left exactly as it was.

#include "nn/expect_message.hpp"
#include "nn/nn_test_util.hpp"
#include "nn/stored_zip.hpp"

#include <tapegrad/io/npz.hpp>

#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <xtensor/xbuilder.hpp>

namespace tg::test {
namespace {

std::string temp_path(const std::string& name) {
    return (std::filesystem::temp_directory_path() /
            ("tapegrad_resume_" + std::to_string(::getpid()) + "_" + name))
        .string();
}

void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

const BlogData<double>& training_data() {
    static const BlogData<double> data = [] {
        nn::Rng rng(3);
        return blog_data(64, rng);
    }();
    return data;
}

using MakeOptimizer =
    std::function<std::unique_ptr<optim::Optimizer<double>>(std::vector<Tensor<double>>)>;
using MakeSchedule = std::function<std::unique_ptr<optim::LRScheduler<double>>(
    optim::Optimizer<double>&)>;

/// `steps` full-batch steps on the blog data; the schedule (if any) steps after each.
void train(nn::Module<double>& net, optim::Optimizer<double>& opt, int steps,
           optim::LRScheduler<double>* schedule = nullptr) {
    const Tensor<double> x(training_data().x), y(training_data().y);
    Tape tape;
    for (int i = 0; i < steps; ++i) {
        opt.zero_grad();
        tape.backward(nn::half_sse_per_example(net(x), y));
        opt.step();
        if (schedule) schedule->step();
    }
}

/// Whether the two modules' parameters are equal bit for bit.
bool bitwise_equal(const nn::Module<double>& a, const nn::Module<double>& b) {
    const auto pa = a.parameters(), pb = b.parameters();
    if (pa.size() != pb.size()) return false;
    for (std::size_t i = 0; i < pa.size(); ++i)
        if (pa[i].shape() != pb[i].shape() ||
            std::memcmp(pa[i].value().data(), pb[i].value().data(),
                        pa[i].size() * sizeof(double)) != 0)
            return false;
    return true;
}

void expect_resumes_exactly(const std::string& name, const MakeOptimizer& make_optimizer,
                            const MakeSchedule& make_schedule = nullptr) {
    const std::string model_path = temp_path(name + "_model.npz");
    const std::string state_path = temp_path(name + "_optimizer.npz");
    const auto schedule_of = [&](optim::Optimizer<double>& opt) {
        return make_schedule ? make_schedule(opt) : nullptr;
    };

    nn::Rng rng(5);
    nn::Sequential<double> uninterrupted = blog_network(rng);
    {
        auto opt = make_optimizer(uninterrupted.parameters());
        auto schedule = schedule_of(*opt);
        train(uninterrupted, *opt, 200, schedule.get());
    }
    {
        nn::Rng same(5);
        nn::Sequential<double> first_half = blog_network(same);
        auto opt = make_optimizer(first_half.parameters());
        auto schedule = schedule_of(*opt);
        train(first_half, *opt, 100, schedule.get());
        nn::save(first_half, model_path);
        optim::save(*opt, state_path);
    }  // everything of the first run is gone

    // The second half as a new program would run it: everything built anew, other initial
    // weights, then the model and the optimizer (and the schedule's epoch) loaded.
    nn::Rng other(77);
    nn::Sequential<double> resumed = blog_network(other);
    auto opt = make_optimizer(resumed.parameters());
    auto schedule = schedule_of(*opt);
    nn::load(resumed, model_path);
    optim::load(*opt, state_path);
    if (schedule) schedule->set_last_epoch(100);
    train(resumed, *opt, 100, schedule.get());
    EXPECT_TRUE(bitwise_equal(resumed, uninterrupted))
        << name << ": 100 + 100 steps differ from 200 steps";

    // Without the optimizer's state the second half differs: the test can fail.
    nn::Rng again(77);
    nn::Sequential<double> forgetful = blog_network(again);
    auto fresh = make_optimizer(forgetful.parameters());
    auto fresh_schedule = schedule_of(*fresh);
    nn::load(forgetful, model_path);
    train(forgetful, *fresh, 100, fresh_schedule.get());
    EXPECT_FALSE(bitwise_equal(forgetful, uninterrupted)) << name;

    std::remove(model_path.c_str());
    std::remove(state_path.c_str());
}

TEST(Resume, SgdWithMomentumContinuesExactly) {
    expect_resumes_exactly("sgd", [](std::vector<Tensor<double>> ps) {
        return std::make_unique<optim::SGD<double>>(std::move(ps), 0.3,
                                                    optim::SGDOptions{0.9, 1e-4, false});
    });
}

TEST(Resume, AdamContinuesExactly) {
    expect_resumes_exactly("adam", [](std::vector<Tensor<double>> ps) {
        return std::make_unique<optim::Adam<double>>(std::move(ps), 0.01);
    });
}

TEST(Resume, AdamWWithCosineScheduleContinuesExactly) {
    expect_resumes_exactly(
        "adamw",
        [](std::vector<Tensor<double>> ps) {
            return std::make_unique<optim::AdamW<double>>(std::move(ps), 0.01);
        },
        [](optim::Optimizer<double>& opt) {
            return std::make_unique<optim::CosineAnnealingLR<double>>(opt, 200, 1e-4);
        });
}

TEST(Resume, OneCycleWithCycledMomentumContinuesExactly) {
    // The group's momentum (set by OneCycleLR on an SGD built without one) is in the
    // state file (param_groups.0.momentum), as its learning rate is.
    expect_resumes_exactly(
        "onecycle",
        [](std::vector<Tensor<double>> ps) {
            return std::make_unique<optim::SGD<double>>(std::move(ps), 0.1);
        },
        [](optim::Optimizer<double>& opt) {
            return std::make_unique<optim::OneCycleLR<double>>(opt, 0.5, 200);
        });
}

TEST(Resume, RMSpropContinuesExactly) {
    expect_resumes_exactly("rmsprop", [](std::vector<Tensor<double>> ps) {
        return std::make_unique<optim::RMSprop<double>>(
            std::move(ps), 0.001, optim::RMSpropOptions{0.99, 1e-8, 0.0, 0.5, true});
    });
}

TEST(Resume, ParameterGroupsAndAmsgradContinueExactly) {
    expect_resumes_exactly("groups", [](std::vector<Tensor<double>> ps) {
        std::vector<Tensor<double>> head(ps.end() - 2, ps.end());
        ps.resize(ps.size() - 2);
        std::vector<optim::ParamGroup<double>> groups{{ps}, {head, 0.003, 0.0}};
        return std::make_unique<optim::AdamW<double>>(
            groups, 0.01, optim::AdamWOptions{0.9, 0.999, 1e-8, 0.01, true});
    });
}

// ---- bad state files ------------------------------------------------------------------------

/// Everything an optimizer holds, to check that a refused load changed nothing.
struct Snapshot {
    std::vector<optim::GroupSettings> groups;
    std::vector<std::uint64_t> steps;
    std::vector<std::vector<Array<double>>> buffers;

    explicit Snapshot(const optim::Optimizer<double>& opt) : groups(opt.param_groups()) {
        for (std::size_t k = 0; k < opt.parameters().size(); ++k) {
            steps.push_back(opt.state(k).step);
            buffers.push_back(opt.state(k).buffers);
        }
    }
    bool operator==(const Snapshot& o) const {
        if (groups.size() != o.groups.size()) return false;
        for (std::size_t g = 0; g < groups.size(); ++g)
            if (groups[g].learning_rate != o.groups[g].learning_rate ||
                groups[g].weight_decay != o.groups[g].weight_decay ||
                groups[g].initial_learning_rate != o.groups[g].initial_learning_rate ||
                groups[g].momentum != o.groups[g].momentum)
                return false;
        return steps == o.steps && buffers == o.buffers;
    }
};

/// Loading `path` into `opt` raises tg::IoError naming the file and holding every one of
/// `parts`, and leaves `opt` as it was.
void expect_refused(optim::Optimizer<double>& opt, const std::string& path,
                    std::initializer_list<std::string> parts) {
    const Snapshot before(opt);
    std::vector<std::string> with_path{"load: '" + path + "'"};
    with_path.insert(with_path.end(), parts.begin(), parts.end());
    try {
        optim::load(opt, path);
        ADD_FAILURE() << "load accepted " << path;
    } catch (const IoError& e) {
        const std::string msg = e.what();
        for (const std::string& part : with_path)
            EXPECT_NE(msg.find(part), std::string::npos) << "\"" << part << "\" not in: " << msg;
    }
    EXPECT_TRUE(Snapshot(opt) == before) << "a refused load changed the optimizer";
}

/// Dense(2, hidden), Tanh, Dense(hidden, 1).
nn::Sequential<double> small_net(std::size_t hidden) {
    nn::Rng rng(1);
    nn::Sequential<double> net;
    net.add(nn::Dense<double>(2, hidden, rng)).add(nn::Tanh<double>());
    net.add(nn::Dense<double>(hidden, 1, rng));
    return net;
}

/// A few steps on a fixed batch, so that the optimizer has state.
void take_steps(nn::Module<double>& net, optim::Optimizer<double>& opt, int steps) {
    Array<double> x = xt::ones<double>({3, 2});
    x(1, 0) = -0.5;
    const Tensor<double> input(x), target(Array<double>(xt::zeros<double>({3, 1})));
    Tape tape;
    for (int i = 0; i < steps; ++i) {
        opt.zero_grad();
        tape.backward(nn::half_sse_per_example(net(input), target));
        opt.step();
    }
}

TEST(OptimizerState, FileHoldsTheDocumentedEntries) {
    nn::Sequential<double> net = small_net(3);
    std::vector<Tensor<double>> ps = net.parameters();
    Tensor<double> unused = parameter<double>(Array<double>{1.0});
    ps.push_back(unused);  // never has a gradient: no state
    optim::Adam<double> adam(ps, 0.01);
    take_steps(net, adam, 2);
    const std::string path = temp_path("entries.npz");
    optim::save(adam, path);
    // Read back as a plain archive: the directory names every entry.
    std::ifstream in(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (const char* entry :
         {"options.beta1.npy", "options.beta2.npy", "options.eps.npy", "options.amsgrad.npy",
          "options.decoupled_weight_decay.npy", "param_groups.0.lr.npy",
          "param_groups.0.weight_decay.npy", "param_groups.0.params.npy", "state.0.step.npy",
          "state.0.exp_avg.npy", "state.0.exp_avg_sq.npy", "state.3.exp_avg_sq.npy"})
        EXPECT_NE(bytes.find(entry), std::string::npos) << entry;
    EXPECT_EQ(bytes.find("state.4."), std::string::npos);  // the unused parameter
    EXPECT_EQ(bytes.find("initial_lr"), std::string::npos);  // no scheduler yet
    EXPECT_EQ(bytes.find("param_groups.0.beta1"), std::string::npos);  // nor a cycled β₁

    // Loads back into a fresh Adam: same state, bit for bit.
    nn::Sequential<double> other = small_net(3);
    std::vector<Tensor<double>> qs = other.parameters();
    qs.push_back(parameter<double>(Array<double>{1.0}));
    optim::Adam<double> fresh(qs, 0.5);
    optim::load(fresh, path);
    EXPECT_TRUE(Snapshot(fresh) == Snapshot(adam));
    EXPECT_EQ(fresh.learning_rate(), 0.01);  // the file's
    EXPECT_EQ(fresh.state(4).step, 0u);
    std::remove(path.c_str());
}

TEST(OptimizerState, OneCycleLRsLastRateAndMomentumLoad) {
    // At step total_steps OneCycleLR's linear strategy sets a negative rate (as PyTorch's);
    // the state file keeps it, with the cycled β₁, and loads back.
    nn::Sequential<double> net = small_net(3);
    optim::Adam<double> adam(net.parameters(), 0.01);
    optim::OneCycleOptions linear;
    linear.anneal_strategy = optim::Anneal::linear;
    optim::OneCycleLR<double> schedule(adam, 0.1, 4, linear);
    for (int i = 0; i < 4; ++i) {
        take_steps(net, adam, 1);
        schedule.step();
    }
    ASSERT_LT(adam.param_groups()[0].learning_rate, 0.0);
    const std::string path = temp_path("onecycle_end.npz");
    optim::save(adam, path);
    nn::Sequential<double> other = small_net(3);
    optim::Adam<double> fresh(other.parameters(), 0.01);
    optim::load(fresh, path);
    EXPECT_EQ(fresh.param_groups()[0].learning_rate, adam.param_groups()[0].learning_rate);
    EXPECT_EQ(fresh.param_groups()[0].momentum, adam.param_groups()[0].momentum);
    EXPECT_TRUE(Snapshot(fresh) == Snapshot(adam));
    std::remove(path.c_str());
}

TEST(OptimizerState, StateOfAnotherOptimizerIsRefused) {
    nn::Sequential<double> net = small_net(3);
    optim::Adam<double> adam(net.parameters(), 0.01);
    take_steps(net, adam, 2);
    const std::string path = temp_path("adam.npz");
    optim::save(adam, path);

    optim::SGD<double> sgd(net.parameters(), 0.1, {0.9});
    take_steps(net, sgd, 1);
    expect_refused(sgd, path,
                   {"the file has an entry 'options.beta1.npy' that the state of this SGD",
                    "entry 'options.momentum.npy' is missing", "Nothing was loaded"});
    // AdamW's weight decay is not Adam's.
    optim::AdamW<double> adamw(net.parameters(), 0.01);
    expect_refused(adamw, path,
                   {"entry 'options.decoupled_weight_decay' holds 0 but this AdamW has "
                    "decoupled_weight_decay = 1"});
    // Other hyper-parameters.
    optim::Adam<double> other_beta(net.parameters(), 0.01, {0.9, 0.99});
    expect_refused(other_beta, path,
                   {"entry 'options.beta2' holds 0.999 but this Adam has beta2 = 0.99"});
    std::remove(path.c_str());
}

TEST(OptimizerState, AFileFromBeforeMaximizeAndDampeningLoads) {
    // Files written before `maximize` and `dampening` existed lack their entries; as
    // PyTorch fills in defaults, they load into an optimizer with the values they imply
    // (false and 0), and are refused, naming the entry, by one with other values.
    nn::Sequential<double> net = small_net(3);
    optim::SGD<double> sgd(net.parameters(), 0.1, {0.9});
    take_steps(net, sgd, 2);
    const std::string path = temp_path("old_sgd.npz");
    optim::save(sgd, path);
    io::NamedArrays<double> arrays = io::load_npz<double>(path);
    ASSERT_EQ(arrays.erase("options.maximize") + arrays.erase("options.dampening"), 2u);
    io::save_npz(path, arrays);

    optim::SGD<double> fresh(net.parameters(), 0.5, {0.9});
    optim::load(fresh, path);
    EXPECT_TRUE(Snapshot(fresh) == Snapshot(sgd));
    optim::SGDOptions maximizing;
    maximizing.momentum = 0.9;
    maximizing.maximize = true;
    optim::SGD<double> other(net.parameters(), 0.5, maximizing);
    expect_refused(other, path,
                   {"entry 'options.maximize.npy' is missing (SGD's option; a file without it "
                    "has maximize = 0, this SGD has maximize = 1)"});
    std::remove(path.c_str());
}

TEST(OptimizerState, OtherShapesOrDtypeAreRefused) {
    nn::Sequential<double> net = small_net(3);
    optim::Adam<double> adam(net.parameters(), 0.01);
    take_steps(net, adam, 1);
    const std::string path = temp_path("shapes.npz");
    optim::save(adam, path);

    nn::Sequential<double> wider = small_net(5);
    optim::Adam<double> wide(wider.parameters(), 0.01);
    take_steps(wider, wide, 1);
    expect_refused(wide, path,
                   {"entry 'state.0.exp_avg' has shape (3, 2) in the file but (5, 2) in the "
                    "optimizer",
                    "entry 'state.1.exp_avg_sq' has shape (3) in the file but (5) in the "
                    "optimizer"});

    // Another grouping of the same parameters.
    const auto ps = net.parameters();
    std::vector<optim::ParamGroup<double>> groups{{{ps[0], ps[1]}}, {{ps[2], ps[3]}}};
    optim::Adam<double> grouped(groups, 0.01);
    expect_refused(grouped, path,
                   {"entry 'param_groups.0.params' has shape (4) in the file but (2)",
                    "entry 'param_groups.1.lr.npy' is missing"});

    // A float optimizer: the moments are float64 in the file.
    nn::Rng rng(1);
    nn::Sequential<float> float_net;
    float_net.add(nn::Dense<float>(2, 3, rng)).add(nn::Tanh<float>());
    float_net.add(nn::Dense<float>(3, 1, rng));
    optim::Adam<float> float_adam(float_net.parameters(), 0.01f);
    try {
        optim::load(float_adam, path);
        ADD_FAILURE() << "a float optimizer loaded float64 moments";
    } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find("entry 'state.0.exp_avg' has dtype float64 ('<f8') "
                                             "in the file but the optimizer stores float32"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_EQ(float_adam.state(0).step, 0u);
    std::remove(path.c_str());
}

/// The entries of a state file of an SGD with momentum 0.9 over one parameter of shape
/// (2,), at step 3, written by hand; `change` edits them first.
std::string sgd_state_file(const std::function<void(std::vector<ZipEntry>&)>& change) {
    std::vector<ZipEntry> entries{
        {"options.momentum.npy", npy_f8({}, {0.9})},
        {"options.nesterov.npy", npy_f8({}, {0.0})},
        {"options.dampening.npy", npy_f8({}, {0.0})},
        {"options.maximize.npy", npy_f8({}, {0.0})},
        {"param_groups.0.lr.npy", npy_f8({}, {0.05})},
        {"param_groups.0.weight_decay.npy", npy_f8({}, {0.0})},
        {"param_groups.0.params.npy", npy_f8({1}, {0.0})},
        {"state.0.step.npy", npy_f8({}, {3.0})},
        {"state.0.momentum_buffer.npy", npy_f8({2}, {0.25, -0.5})},
    };
    change(entries);
    const std::string path = temp_path("hand_made.npz");
    write_bytes(path, stored_zip(entries));
    return path;
}

void remove_entry(std::vector<ZipEntry>& entries, const std::string& name) {
    entries.erase(std::remove_if(entries.begin(), entries.end(),
                                 [&](const ZipEntry& e) { return e.name == name; }),
                  entries.end());
}

void replace_entry(std::vector<ZipEntry>& entries, const std::string& name,
                   const std::string& bytes) {
    for (ZipEntry& e : entries)
        if (e.name == name) e.bytes = bytes;
}

TEST(OptimizerState, HandMadeFileLoads) {
    Tensor<double> p = parameter<double>(Array<double>{1.0, 2.0});
    optim::SGD<double> sgd({p}, 0.1, {0.9});
    optim::load(sgd, sgd_state_file([](auto&) {}));
    EXPECT_EQ(sgd.state(0).step, 3u);
    EXPECT_EQ(sgd.state(0).buffers.at(0), (Array<double>{0.25, -0.5}));
    EXPECT_EQ(sgd.learning_rate(), 0.05);
    // The next step uses the loaded velocity: v = 0.9 v + g, p −= 0.05 v.
    Tape tape;
    tape.backward(sum(p));  // g = 1
    sgd.step();
    EXPECT_DOUBLE_EQ(p.value()(0), 1.0 - 0.05 * (0.9 * 0.25 + 1));
    EXPECT_DOUBLE_EQ(p.value()(1), 2.0 - 0.05 * (0.9 * -0.5 + 1));
}

TEST(OptimizerState, MalformedFilesAreRefusedNamingTheEntry) {
    Tensor<double> p = parameter<double>(Array<double>{1.0, 2.0});
    optim::SGD<double> sgd({p}, 0.1, {0.9});
    {
        Tape tape;
        tape.backward(sum(p));
        sgd.step();  // some state, to be kept
    }
    expect_refused(sgd,
                   sgd_state_file([](auto& e) { remove_entry(e, "state.0.momentum_buffer.npy"); }),
                   {"entry 'state.0.momentum_buffer.npy' is missing (the file has state for "
                    "parameter 0)"});
    expect_refused(sgd, sgd_state_file([](auto& e) { remove_entry(e, "param_groups.0.lr.npy"); }),
                   {"entry 'param_groups.0.lr.npy' is missing (group 0's learning rate)"});
    expect_refused(sgd, sgd_state_file([](auto& e) {
                       replace_entry(e, "state.0.step.npy", npy_f8({}, {2.5}));
                   }),
                   {"entry 'state.0.step' holds 2.5, not a step count"});
    expect_refused(sgd, sgd_state_file([](auto& e) {
                       replace_entry(e, "param_groups.0.lr.npy", npy_f8({}, {INFINITY}));
                   }),
                   {"entry 'param_groups.0.lr' holds inf, not a finite number"});
    expect_refused(sgd, sgd_state_file([](auto& e) {
                       replace_entry(e, "param_groups.0.weight_decay.npy", npy_f8({}, {-1.0}));
                   }),
                   {"entry 'param_groups.0.weight_decay' holds -1, not a finite number >= 0"});
    expect_refused(sgd, sgd_state_file([](auto& e) {
                       replace_entry(e, "param_groups.0.params.npy", npy_f8({1}, {1.0}));
                   }),
                   {"entry 'param_groups.0.params' lists other parameters than group 0"});
    expect_refused(sgd, sgd_state_file([](auto& e) {
                       e.push_back({"state.1.step.npy", npy_f8({}, {1.0})});
                   }),
                   {"the file has an entry 'state.1.step.npy' that the state of this SGD "
                    "(parameters: 1, groups: 1) does not have"});
    expect_refused(sgd, sgd_state_file([](auto& e) {
                       // 8 data bytes where (2,) needs 16: the header says (2,).
                       std::string bytes = npy_f8({2}, {0.25, -0.5});
                       bytes.resize(bytes.size() - 8);
                       replace_entry(e, "state.0.momentum_buffer.npy", bytes);
                   }),
                   {"entry 'state.0.momentum_buffer.npy' holds 8 data bytes where shape (2) "
                    "needs 16"});
    expect_refused(sgd, sgd_state_file([](auto& e) {
                       replace_entry(e, "state.0.momentum_buffer.npy", "not a .npy array");
                   }),
                   {"entry 'state.0.momentum_buffer.npy' is not a .npy array"});

    // Whole-file problems.
    const std::string path = sgd_state_file([](auto&) {});
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    write_bytes(path, bytes.substr(0, bytes.size() / 2));
    expect_refused(sgd, path, {"is truncated or not a .npz archive"});
    expect_refused(sgd, temp_path("no_such_file.npz"), {"cannot be opened"});
    std::remove(path.c_str());
}

}  // namespace
}  // namespace tg::test
