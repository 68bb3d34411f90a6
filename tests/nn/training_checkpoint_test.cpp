// Resuming a run exactly (tg::nn::TrainingCheckpoint, <tapegrad/nn/training_checkpoint.hpp>):
// the generators' and the data loader's state; a run with Dropout, a shuffled DataLoader,
// AdamW and a cosine schedule, interrupted in the middle of an epoch, saved, loaded into
// everything built anew from other seeds (so that only the file can make them agree) and
// finished, ends bit for bit where the uninterrupted run does; and a checkpoint that does
// not fit is refused with tg::IoError naming what, nothing changed.

#include "nn/expect_message.hpp"
#include "nn/nn_test_util.hpp"

#include <tapegrad/io/detail/arrays.hpp>
#include <tapegrad/nn/training_checkpoint.hpp>

#include <algorithm>
#include <cstring>

namespace tg::test {
namespace {

std::vector<std::uint64_t> draws(nn::Rng& rng, int n) {
    std::vector<std::uint64_t> out;
    for (int i = 0; i < n; ++i) out.push_back(rng());
    return out;
}

TEST(RngState, RestoredGeneratorDrawsWhatTheOriginalDraws) {
    nn::Rng rng(7);
    draws(rng, 1000);  // somewhere inside the 312-word block
    const std::vector<std::uint64_t> state = nn::rng_state(rng);
    EXPECT_EQ(state.size(), 313u);
    nn::Rng other(99);
    nn::set_rng_state(other, state);
    EXPECT_EQ(draws(other, 2000), draws(rng, 2000));
}

TEST(RngState, MalformedStatesAreRefusedAndChangeNothing) {
    nn::Rng rng(1);
    const nn::Rng before = rng;
    expect_message<ValueError>(
        [&] {
            nn::set_rng_state(rng, {1, 2, 3});
        },
        {"set_rng_state: a state of 3 numbers; a tg::nn::Rng's state has 313"});
    EXPECT_TRUE(rng == before);
}

/// The rows of every batch `loader` yields over `epochs` epochs.
std::vector<std::vector<std::size_t>> batches(nn::DataLoader<double>& loader, int epochs) {
    std::vector<std::vector<std::size_t>> out;
    for (int e = 0; e < epochs; ++e)
        for (const nn::Batch<double>& b : loader) out.push_back(b.indices);
    return out;
}

nn::DataLoader<double> make_loader(std::uint64_t seed) {
    Tensor<double> x(Array<double>(Shape{10, 2}, 1.0)), y(Array<double>(Shape{10, 1}, 0.0));
    return nn::DataLoader<double>(x, y, 3, {true, false, seed});
}

TEST(DataLoaderState, ResumedLoaderYieldsTheBatchesOfTheStraightRun) {
    nn::DataLoader<double> straight = make_loader(3);
    const auto want = batches(straight, 3);  // 4 batches an epoch

    nn::DataLoader<double> first = make_loader(3);
    std::vector<std::vector<std::size_t>> got = batches(first, 1);
    int taken = 0;
    for (const nn::Batch<double>& b : first) {  // half of epoch 2
        got.push_back(b.indices);
        if (++taken == 2) break;
    }
    const nn::DataLoaderState state = first.state();
    EXPECT_EQ(state.epoch, 2u);
    EXPECT_EQ(state.position, 2u);

    nn::DataLoader<double> resumed = make_loader(12345);  // another seed: only the state counts
    resumed.load_state(state);
    for (const nn::Batch<double>& b : resumed) got.push_back(b.indices);  // rest of epoch 2
    for (const auto& b : batches(resumed, 1)) got.push_back(b);           // epoch 3
    EXPECT_EQ(got, want);
    EXPECT_EQ(resumed.epoch(), 3u);
}

TEST(DataLoaderState, StateAtTheEndOfAnEpochStartsTheNext) {
    nn::DataLoader<double> straight = make_loader(4);
    const auto want = batches(straight, 2);
    nn::DataLoader<double> first = make_loader(4);
    auto got = batches(first, 1);
    nn::DataLoader<double> resumed = make_loader(5);
    resumed.load_state(first.state());
    for (const auto& b : batches(resumed, 1)) got.push_back(b);
    EXPECT_EQ(got, want);
}

TEST(DataLoaderState, MalformedStatesAreRefusedAndChangeNothing) {
    nn::DataLoader<double> loader = make_loader(1);
    batches(loader, 1);
    const nn::DataLoaderState good = loader.state();
    nn::DataLoaderState bad = good;
    bad.order.pop_back();
    expect_message<ValueError>([&] { loader.load_state(bad); },
                               {"DataLoader::load_state: an order of 9 rows for a loader of 10"});
    bad = good;
    bad.order[0] = bad.order[1];
    expect_message<ValueError>(
        [&] { loader.load_state(bad); },
        {"DataLoader::load_state: the order is not a permutation of the 10 rows"});
    bad = good;
    bad.position = 5;
    expect_message<ValueError>(
        [&] { loader.load_state(bad); },
        {"DataLoader::load_state: position 5 is past the 4 batches of an epoch"});
    bad = good;
    bad.epoch = 0;
    bad.position = 1;
    expect_message<ValueError>([&] { loader.load_state(bad); },
                               {"DataLoader::load_state: position 1 in epoch 0 (no epoch begun)"});
    bad = good;
    bad.rng = {1, 2};
    expect_message<ValueError>([&] { loader.load_state(bad); }, {"set_rng_state: a state of 2"});
    EXPECT_EQ(loader.state().order, good.order);
    EXPECT_EQ(loader.state().rng, good.rng);
}

/// A run with every kind of state: a network with Dropout drawing from its own Rng and a
/// second from default_rng(), a shuffled DataLoader, AdamW and a per-epoch cosine
/// schedule.
struct TrainingRun {
    nn::Rng init_rng, dropout_rng;
    nn::Sequential<double> net;
    std::unique_ptr<optim::AdamW<double>> opt;
    std::unique_ptr<optim::CosineAnnealingLR<double>> schedule;
    std::unique_ptr<nn::DataLoader<double>> loader;
    nn::TrainingCheckpoint<double> checkpoint;

    explicit TrainingRun(std::uint64_t seed) : init_rng(seed), dropout_rng(seed + 1) {
        net.add(nn::Dense<double>(1, 16, init_rng)).add(nn::Tanh<double>());
        net.add(nn::Dropout<double>(0.3, &dropout_rng));
        net.add(nn::Dense<double>(16, 16, init_rng)).add(nn::Tanh<double>());
        net.add(nn::Dropout<double>(0.2));  // default_rng()
        net.add(nn::Dense<double>(16, 1, init_rng));
        opt = std::make_unique<optim::AdamW<double>>(net.parameters(), 1e-2);
        schedule = std::make_unique<optim::CosineAnnealingLR<double>>(*opt, 6);
        nn::Rng data_rng(11);
        const BlogData<double> data = blog_data<double>(50, data_rng);
        loader = std::make_unique<nn::DataLoader<double>>(
            Tensor<double>(data.x), Tensor<double>(data.y), 8,
            nn::DataLoaderOptions{true, false, seed + 2});
        checkpoint.add_module("model", net)
            .add_optimizer("optimizer", *opt)
            .add_scheduler("cosine", *schedule)
            .add_rng("dropout", dropout_rng)
            .add_rng("default", nn::default_rng())
            .add_loader("train", *loader);
    }

    /// Trains until `epochs` epochs are done, or stops after `stop_after` batches of the
    /// epoch it is in (and saves to `path` then).
    void train(int epochs, int stop_after = -1, const std::string& path = "") {
        Tape tape;
        while (static_cast<int>(loader->epoch()) < epochs || loader->position() < loader->size()) {
            int taken = 0;
            for (const nn::Batch<double>& b : *loader) {
                opt->zero_grad();
                tape.backward(nn::mse_loss(net(b.x), b.y));
                opt->step();
                if (++taken == stop_after) {
                    checkpoint.step = static_cast<std::int64_t>(loader->epoch());
                    checkpoint.save(path);
                    return;
                }
            }
            schedule->step();
            if (static_cast<int>(loader->epoch()) >= epochs) break;
        }
    }
};

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

TEST(TrainingCheckpoint, ResumedRunIsBitIdenticalWithDropoutShufflingAdamWAndASchedule) {
    const std::string path = temp_path("resume_run.npz");
    nn::manual_seed(21);
    TrainingRun straight(1);
    straight.train(6);

    nn::manual_seed(21);
    {
        TrainingRun first(1);
        first.train(3);           // three whole epochs
        first.train(4, 3, path);  // and three batches of the fourth, then saved
    }
    nn::manual_seed(999);     // the default generator too comes from the file
    TrainingRun resumed(50);  // other weights, order and masks until loaded
    EXPECT_FALSE(bitwise_equal(resumed.net, straight.net));
    resumed.checkpoint.load(path);
    EXPECT_EQ(resumed.checkpoint.step, 4);
    EXPECT_EQ(resumed.loader->position(), 3u);
    resumed.train(6);
    EXPECT_TRUE(bitwise_equal(resumed.net, straight.net));
    EXPECT_EQ(resumed.opt->learning_rate(), straight.opt->learning_rate());
    EXPECT_EQ(resumed.schedule->last_epoch(), straight.schedule->last_epoch());
    EXPECT_EQ(nn::rng_state(resumed.dropout_rng), nn::rng_state(straight.dropout_rng));
}

TEST(TrainingCheckpoint, EachPartMattersForTheContinuation) {
    // The comparison above can fail: with any one part's state replaced after loading,
    // the resumed run ends elsewhere.
    const std::string path = temp_path("resume_parts.npz");
    nn::manual_seed(21);
    TrainingRun straight(1);
    straight.train(4);
    nn::manual_seed(21);
    {
        TrainingRun first(1);
        first.train(2, 2, path);
    }
    for (const std::string spoil : {"none", "dropout", "default", "loader", "schedule"}) {
        TrainingRun resumed(1);
        resumed.checkpoint.load(path);
        if (spoil == "dropout") resumed.dropout_rng.seed(12345);
        if (spoil == "default") nn::manual_seed(12345);
        if (spoil == "loader") {
            nn::DataLoaderState state = resumed.loader->state();
            std::reverse(state.order.begin(), state.order.end());
            resumed.loader->load_state(state);
        }
        if (spoil == "schedule") resumed.schedule->set_last_epoch(3);
        resumed.train(4);
        EXPECT_EQ(bitwise_equal(resumed.net, straight.net), spoil == "none") << spoil;
    }
}

/// The loss of a TrainingRun's model on fixed inputs, as a fingerprint of its parameters.
std::vector<double> parameters_of(const nn::Module<double>& net) {
    std::vector<double> out;
    for (const auto& p : net.parameters())
        out.insert(out.end(), p.value().data(), p.value().data() + p.size());
    return out;
}

TEST(TrainingCheckpoint, StepAndMetadataRoundTrip) {
    const std::string path = temp_path("metadata.npz");
    TrainingRun run(3);
    run.checkpoint.step = 123456789012;
    run.checkpoint.metadata = {
        {"accuracy", "98.6 %"}, {"note", std::string("a\0b\xff", 4)}, {"empty", ""}};
    run.checkpoint.save(path);
    TrainingRun other(4);
    other.checkpoint.load(path);
    EXPECT_EQ(other.checkpoint.step, 123456789012);
    EXPECT_EQ(other.checkpoint.metadata, run.checkpoint.metadata);
    // Every entry is a .npy array: tg::io's reader (as numpy.load) reads them.
    std::map<std::string, std::int64_t> counts;
    io::detail::read_npz_arrays<std::int64_t>(
        "test", path,
        [](const io::detail::ArrayInfo& info) {
            return info.name == "step" || info.name == "tapegrad_checkpoint";
        },
        [&](const io::detail::ArrayInfo& info, Array<std::int64_t>&& value) {
            counts[info.name] = value();
        });
    EXPECT_EQ(counts.at("step"), 123456789012);
    EXPECT_EQ(counts.at("tapegrad_checkpoint"), 1);
}

TEST(TrainingCheckpoint, ALoaderOfInt64TargetsResumes) {
    // A classification run's loader (int64 labels) is saved and restored as any other.
    const std::string path = temp_path("int64_loader.npz");
    const Tensor<double> x = zeros({10, 2});
    const Tensor<std::int64_t> labels = arange<std::int64_t>(10);
    nn::DataLoader<double, std::int64_t> first(x, labels, 3, {true, false, 7});
    auto it = first.begin();
    ++it;  // two batches of the first epoch taken
    nn::TrainingCheckpoint<double> saved;
    saved.add_loader("train", first);
    saved.save(path);
    std::vector<std::int64_t> expected;
    for (++it; it != first.end(); ++it)
        for (std::size_t i = 0; i < it->indices.size(); ++i) expected.push_back(it->y.at({i}));

    nn::DataLoader<double, std::int64_t> second(x, labels, 3, {true, false, 99});
    nn::TrainingCheckpoint<double> loaded;
    loaded.add_loader("train", second);
    loaded.load(path);
    std::vector<std::int64_t> resumed;
    for (const auto& b : second)
        for (std::size_t i = 0; i < b.indices.size(); ++i) resumed.push_back(b.y.at({i}));
    EXPECT_EQ(resumed, expected);
    EXPECT_EQ(resumed.size(), 4u);  // the rest of the epoch: batches 2 and 3 (3 + 1 rows)
}

TEST(TrainingCheckpoint, MismatchesAreRefusedNamingThemAndNothingChanges) {
    const std::string path = temp_path("mismatch.npz");
    TrainingRun saved(5);
    saved.checkpoint.step = 7;
    saved.checkpoint.save(path);

    // Another architecture, another schedule length: every problem is named.
    nn::Rng rng(1), dropout_rng(2);
    nn::Sequential<double> net;
    net.add(nn::Dense<double>(1, 8, rng));
    optim::AdamW<double> opt(net.parameters(), 1e-2);
    optim::CosineAnnealingLR<double> cosine(opt, 10);
    nn::DataLoader<double> loader = make_loader(1);
    nn::TrainingCheckpoint<double> other;
    other.add_module("model", net)
        .add_optimizer("optimizer", opt)
        .add_scheduler("cosine", cosine)
        .add_rng("dropout", dropout_rng)
        .add_loader("train", loader);
    other.step = 3;
    const std::vector<double> before = parameters_of(net);
    const nn::Rng rng_before = dropout_rng;
    const nn::DataLoaderState loader_before = loader.state();
    expect_message<IoError>(
        [&] { other.load(path); },
        {"load: '" + path + "': ",
         "parameter '0.weight' has shape (16, 1) in the file but (8, 1) in the model",
         "the file has an entry 'module.model.3.weight.npy' for which the model has no parameter "
         "or buffer",
         "entry 'scheduler.cosine.T_max' holds 6 but this CosineAnnealingLR has T_max = 10",
         "entry 'loader.train.order' has shape (50) in the file but (10) in the loader (its rows)",
         "the file has an entry 'rng.default.npy' for which nothing was added to the checkpoint",
         "Nothing was loaded; build the models, optimizers, schedulers, generators and loaders as "
         "the run that saved the checkpoint did, and add them under the same names"});
    EXPECT_EQ(parameters_of(net), before);
    EXPECT_TRUE(dropout_rng == rng_before);
    EXPECT_EQ(loader.state().order, loader_before.order);
    EXPECT_EQ(other.step, 3);
    EXPECT_EQ(cosine.last_epoch(), 0);
}

TEST(TrainingCheckpoint, OtherFilesAreRefused) {
    TrainingRun run(6);
    const std::string model_only = temp_path("model_only.npz");
    nn::save(run.net, model_only);
    expect_message<IoError>(
        [&] { run.checkpoint.load(model_only); },
        {"load: '" + model_only + "': ",
         "entry 'tapegrad_checkpoint.npy' is missing: not a tapegrad training "
         "checkpoint (tg::nn::save and tg::optim::save write other files)",
         "the file has nothing for module.model (no entry 'module.model.*.npy')"});
    const std::string missing = temp_path("no_such_checkpoint.npz");
    expect_message<IoError>(
        [&] { run.checkpoint.load(missing); },
        {"load: '" + missing + "': cannot be opened (no such file, or not readable)"});
    const std::string newer = temp_path("newer.npz");
    io::save_npz<std::int64_t>(
        newer, {{"tapegrad_checkpoint", Array<std::int64_t>(2)}, {"step", Array<std::int64_t>(0)}});
    nn::TrainingCheckpoint<double> empty;
    expect_message<IoError>([&] { empty.load(newer); },
                            {"entry 'tapegrad_checkpoint.npy' says version 2; this tapegrad reads "
                             "version 1"});
}

TEST(TrainingCheckpoint, MalformedEntriesAreNamed) {
    // A file written by hand: a negative epoch, an entry a loader does not have, three
    // that it lacks, a metadata value that is not bytes, no step.
    const std::string path = temp_path("malformed.npz");
    io::save_npz<std::int64_t>(path, {{"tapegrad_checkpoint", Array<std::int64_t>(1)},
                                      {"loader.train.epoch", Array<std::int64_t>(-1)},
                                      {"loader.train.extra", Array<std::int64_t>(0)},
                                      {"metadata.note", Array<std::int64_t>(5)}});
    nn::DataLoader<double> loader = make_loader(1);
    nn::TrainingCheckpoint<double> checkpoint;
    checkpoint.add_loader("train", loader);
    expect_message<IoError>(
        [&] { checkpoint.load(path); },
        {"entry 'loader.train.epoch.npy' holds -1, not a count",
         "the file has an entry 'loader.train.extra.npy' that a loader's state does not have",
         "entry 'loader.train.position.npy' is missing (the loader's state)",
         "entry 'metadata.note' has dtype int64 ('<i8') and shape () in the file; a metadata "
         "value is uint8 ('|u1') of shape (n,)",
         "entry 'step.npy' is missing"});
    // An order that is no permutation: the loader's own check, named with the part.
    nn::TrainingCheckpoint<double> good;
    good.add_loader("train", loader);
    good.save(path);
    std::map<std::string, Array<std::int64_t>> arrays;
    io::detail::read_npz_arrays<std::int64_t>(
        "test", path, [](const io::detail::ArrayInfo&) { return true; },
        [&](const io::detail::ArrayInfo& info, Array<std::int64_t>&& value) {
            arrays[info.name] = std::move(value);
        });
    arrays.at("loader.train.order")(0) = arrays.at("loader.train.order")(1);
    io::save_npz<std::int64_t>(path, arrays);
    expect_message<IoError>([&] { checkpoint.load(path); },
                            {"loader 'loader.train.': DataLoader::load_state: the order is not a "
                             "permutation of the 10 rows"});
}

TEST(TrainingCheckpoint, MetadataKeysAreChecked) {
    nn::TrainingCheckpoint<double> checkpoint;
    checkpoint.metadata[std::string("a\0b", 3)] = "x";
    const std::string path = temp_path("bad_key.npz");
    expect_message<ValueError>([&] { checkpoint.save(path); },
                               {"TrainingCheckpoint::save: '" + path + "': the metadata key",
                                "is empty or holds a NUL byte"});
}

TEST(TrainingCheckpoint, NamesAreCheckedWhenPartsAreAdded) {
    nn::TrainingCheckpoint<double> checkpoint;
    nn::Rng a, b;
    checkpoint.add_rng("a", a);
    expect_message<ValueError>([&] { checkpoint.add_rng("a", b); },
                               {"TrainingCheckpoint::add_rng: there is already a rng named 'a'; "
                                "give each its own name"});
    expect_message<ValueError>([&] { checkpoint.add_rng("x.y", b); },
                               {"TrainingCheckpoint::add_rng: the name 'x.y' is empty or holds a "
                                "'.'; give each part a plain name"});
}

TEST(TrainingCheckpoint, SaveReplacesALeftoverTemporaryFileAndLeavesNone) {
    const std::string path = temp_path("atomic_checkpoint.npz");
    {
        std::ofstream leftover(path + ".tmp");
        leftover << "left by a killed save";
    }
    TrainingRun run(8);
    run.checkpoint.save(path);
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
    TrainingRun other(9);
    other.checkpoint.load(path);
    EXPECT_TRUE(bitwise_equal(other.net, run.net));
}

}  // namespace
}  // namespace tg::test
