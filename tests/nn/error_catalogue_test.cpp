// The errors of the README's error catalogue (nn) whose messages no other test
// asserts: each one is raised here and its message checked for what it promises.
// (module_test, optim_test, data_test, init_test, loss_test and reference_test check
// the exception types; checkpoint_test checks the file-level checkpoint errors.)

#include "nn/expect_message.hpp"
#include "nn/nn_test_util.hpp"
#include "nn/stored_zip.hpp"

#include <fstream>
#include <initializer_list>

namespace tg::test {
namespace {

// ---- modules -----------------------------------------------------------------------------

/// A module that registers whatever a test asks it to.
class Registering : public nn::Module<double> {
public:
    Tensor<double> forward(const Tensor<double>& x) override { return x; }
    std::string describe() const override { return "Registering"; }
    void parameter(const std::string& name, Tensor<double> t) { register_parameter(name, t); }
    void module(const std::string& name, std::shared_ptr<nn::Module<double>> m) {
        register_module(name, std::move(m));
    }
};

TEST(ErrorCatalogue, ModuleRegistration) {
    auto m = std::make_shared<Registering>();
    m->parameter("w", Tensor<double>(1.0));
    expect_message<ValueError>([&] { m->parameter("a.b", Tensor<double>(1.0)); },
                               {"register_parameter: the name 'a.b' is empty or contains a '.'"});
    expect_message<ValueError>([&] { m->parameter("", Tensor<double>(1.0)); },
                               {"the name '' is empty"});
    expect_message<ValueError>([&] { m->parameter("w", Tensor<double>(1.0)); },
                               {"already has a parameter named 'w'"});
    m->module("child", std::make_shared<Registering>());
    expect_message<ValueError>(
        [&] { m->module("child", std::make_shared<Registering>()); },
        {"register_module: this module already has a submodule named 'child'"});
    expect_message<ValueError>([&] { m->parameter("u", Tensor<double>()); },
                               {"register_parameter: the tensor for 'u' is undefined"});
    {
        Tape tape;
        Tensor<double> computed = parameter<double>(Array<double>{1.0}) * 2.0;
        expect_message<ValueError>(
            [&] { m->parameter("c", computed); },
            {"the tensor for 'c' was computed by a recorded op", "x.detach()"});
    }
    expect_message<ValueError>([&] { m->module("null", nullptr); },
                               {"register_module: the submodule 'null' is a null pointer"});
    expect_message<ValueError>([&] { m->module("self", m); },
                               {"a module cannot be its own submodule ('self')"});
}

TEST(ErrorCatalogue, DenseAndSequential) {
    expect_message<ValueError>([] { nn::Dense<double>(0, 3); },
                               {"Dense(0, 3): a layer needs at least one input and one output"});
    expect_message<ShapeError>(
        [] {
            nn::Dense<double>(Array<double>(Shape{2, 3}), Array<double>(Shape{3}));
        },
        {"Dense(weight, bias): got weight (2, 3) and bias (3)", "weight (out, in) and bias (out)"});
    expect_message<ShapeError>(
        [] {
            nn::Dense<double>(Array<double>(Shape{0, 3}));
        },
        {"Dense(weight): got weight (0, 3); a layer with `in` inputs and "
         "`out` outputs needs a non-empty weight (out, in)"});
    expect_message<ShapeError>([] { nn::Dense<double>(Array<double>(Shape{3})); },
                               {"Dense(weight): got weight (3)"});
    nn::Rng rng(1);
    nn::Sequential<double> net{nn::Dense<double>(2, 3, rng), nn::Tanh<double>()};
    expect_message<ValueError>([&] { (void)net[7]; },
                               {"Sequential: index 7 is out of range; it holds 2 modules"});
    expect_message<ValueError>(
        [&] { net.get<nn::Dense<double>>(1); },
        {"Sequential::get<M>(1): module 1 is Tanh", "not the requested type"});
}

// ---- initializers and random numbers ----------------------------------------------------

TEST(ErrorCatalogue, Initializers) {
    nn::Rng rng(1);
    expect_message<ValueError>(
        [&] {
            nn::xavier_uniform<double>({0, 3}, rng);
        },
        {"xavier_uniform: the weight has no elements (a zero fan)"});
    expect_message<ValueError>([&] { nn::uniform<double>({2}, 1.0, -1.0, rng); },
                               {"uniform: the bounds are reversed or NaN", "pass lo <= hi"});
    expect_message<ValueError>([&] { nn::normal<double>({2}, 0.0, -1.0, rng); },
                               {"normal: the standard deviation must be >= 0"});
    expect_message<ValueError>(
        [&] {
            nn::initialize<double>(static_cast<nn::Init>(42), {2, 2}, rng);
        },
        {"initialize: unknown tg::nn::Init value 42"});
    expect_message<ValueError>([&] { nn::uniform_index(rng, 0); },
                               {"uniform_index: the range [0, n) is empty"});
}

// ---- losses ------------------------------------------------------------------------------

TEST(ErrorCatalogue, Losses) {
    const Tensor<double> empty(Array<double>(Shape{0, 1}));
    expect_message<ShapeError>([&] { nn::mse_loss(empty, empty); },
                               {"mse_loss: prediction of shape (0, 1) has no elements"});
    expect_message<ShapeError>(
        [] { nn::half_sse_per_example(Tensor<double>(1.0), Tensor<double>(1.0)); },
        {"half_sse_per_example: the prediction is 0-d", "(N, ...)"});
    const Tensor<double> logits(Array<double>(Shape{2, 3}, 0.0));
    expect_message<ShapeError>([&] { nn::cross_entropy(logits, {0}); },
                               {"cross_entropy: logits of shape (2, 3) with 1 targets"});
    expect_message<ShapeError>([&] { nn::nll_loss(logits, Tensor<double>{0.0}); },
                               {"nll_loss: input of shape (2, 3) with 1 targets of shape (1)"});
    expect_message<ValueError>(
        [&] {
            nn::cross_entropy(logits, {0, 3});
        },
        {"cross_entropy: target 1 is class 3 but the logits have 3 classes"});
}

// ---- optimizers --------------------------------------------------------------------------

TEST(ErrorCatalogue, Optimizers) {
    Tensor<double> p = parameter<double>(Array<double>{1.0});
    expect_message<ValueError>([&] { optim::SGD<double>({p}, -1.0); },
                               {"optimizer: learning rate -1", "not a finite number >= 0"});
    expect_message<ValueError>([&] { optim::SGD<double>({Tensor<double>(1.0)}, 0.1); },
                               {"optimizer: parameter #0 is not a leaf that requires a gradient"});
    expect_message<ValueError>([&] { optim::SGD<double>({p}, 0.1, {-0.5}); },
                               {"SGD: momentum (-0.5", "must be >= 0"});
    expect_message<ValueError>(
        [&] {
            optim::SGD<double>({p}, 0.1, {0.0, 0.0, true});
        },
        {"SGD: nesterov needs a momentum > 0"});
    expect_message<ValueError>([&] { optim::Adam<double>({p}, 0.1, {1.0}); },
                               {"Adam: beta1 (1", "must lie in [0, 1)"});
    expect_message<ValueError>(
        [&] {
            optim::Adam<double>({p}, 0.1, {0.9, 0.999, -1.0});
        },
        {"Adam: eps (-1", "must be >= 0"});
}

// ---- data --------------------------------------------------------------------------------

TEST(ErrorCatalogue, DataLoader) {
    const Tensor<double> x(Array<double>(Shape{4, 1})), y3(Array<double>(Shape{3, 1}));
    expect_message<ShapeError>([&] { nn::DataLoader<double>(Tensor<double>(1.0), x, 2); },
                               {"DataLoader: x and y need at least one dimension"});
    expect_message<ShapeError>(
        [&] { nn::DataLoader<double>(x, y3, 2); },
        {"DataLoader: x of shape (4, 1) and y of shape (3, 1)", "same number of rows"});
    expect_message<ValueError>([&] { nn::DataLoader<double>(x, x, 0); },
                               {"DataLoader: batch_size must be at least 1"});
    expect_message<ShapeError>(
        [&] {
            nn::DataLoader<double>(Tensor<double>(Array<double>(Shape{0, 3})), 2);
        },
        {"DataLoader: x of shape (0, 3) has no rows; pass examples in rows (axis 0), at least "
         "one"});
    expect_message<ShapeError>([&] { nn::DataLoader<double>(Tensor<double>(1.0), 2); },
                               {"DataLoader: x of shape () has no rows"});
    expect_message<ValueError>([&] { nn::DataLoader<double>(x, 0); },
                               {"DataLoader: batch_size must be at least 1"});
    nn::DataLoader<double> loader(x, x, 2);
    expect_message<ValueError>([&] { loader.batch(2); },
                               {"DataLoader::batch(2): an epoch has 2 batches"});
}

// ---- the manual-backprop reference -------------------------------------------------------

TEST(ErrorCatalogue, ReferenceNetwork) {
    using nn::reference::Network;
    nn::Rng rng(3);
    nn::Sequential<double> empty;
    expect_message<ValueError>([&] { nn::to_reference(empty); },
                               {"reference::Network"});
    nn::Sequential<double> two{nn::Dense<double>(2, 3, rng), nn::Sigmoid<double>(),
                               nn::Tanh<double>()};
    expect_message<ValueError>([&] { nn::to_reference(two); },
                               {"nn::to_reference: module 2", "does not fit"});
    nn::Sequential<double> net{nn::Dense<double>(2, 3, rng), nn::Tanh<double>(),
                               nn::Dense<double>(3, 1, rng)};
    Network<double> ref = nn::to_reference(net);
    expect_message<ValueError>([&] { ref.output(); },
                               {"reference::Network::output: run forward first"});
    expect_message<ValueError>([&] { ref.grad_weight(0); }, {"no gradients yet"});
    expect_message<ShapeError>(
        [&] {
            ref.forward(Array<double>(Shape{4, 3}));
        },
        {"reference::Network::forward: X has shape (4, 3)", "(N, 2)"});
    ref.forward(Array<double>(Shape{4, 2}, 0.5));
    expect_message<ShapeError>(
        [&] {
            ref.loss(Array<double>(Shape{4, 2}));
        },
        {"reference::Network::loss: Y has shape (4, 2)"});
    expect_message<ShapeError>(
        [&] {
            ref.backward(Array<double>(Shape{4, 2}));
        },
        {"reference::Network::backward: Y has shape (4, 2)"});
    nn::Sequential<double> other{nn::Dense<double>(2, 4, rng), nn::Tanh<double>(),
                                 nn::Dense<double>(4, 1, rng)};
    expect_message<ShapeError>([&] { nn::copy_weights(ref, other); },
                               {"nn::copy_weights", "dense layers of the same shapes"});
    std::vector<nn::reference::Layer<double>> unchained(2);
    unchained[0] = {Array<double>(Shape{3, 2}), Array<double>(Shape{3})};
    unchained[1] = {Array<double>(Shape{1, 4}), Array<double>(Shape{1})};
    expect_message<ShapeError>([&] { Network<double>{unchained}; },
                               {"reference::Network: layer 1 takes 4 inputs but layer 0 gives 3 "
                                "outputs"});
}

// ---- checkpoints: what a hand-made archive can hold --------------------------------------

/// Dense(2, 1): parameters 0.weight (1, 2) and 0.bias (1).
nn::Sequential<double> tiny_net() {
    nn::Rng rng(1);
    return nn::Sequential<double>{nn::Dense<double>(2, 1, rng)};
}

/// Writes an archive of `entries` plus a good 0.bias, loads it into tiny_net() and
/// expects an IoError naming the file and every one of `parts`, with the model unchanged.
void expect_rejected(const std::vector<ZipEntry>& entries,
                     std::initializer_list<std::string> parts) {
    static int count = 0;
    const std::string path = temp_path("catalogue_" + std::to_string(++count) + ".npz");
    std::vector<ZipEntry> all = entries;
    all.push_back({"0.bias.npy", npy_f8({1}, {0.5})});
    {
        const std::string bytes = stored_zip(all);
        std::ofstream(path, std::ios::binary)
            .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    nn::Sequential<double> net = tiny_net();
    const Array<double> before = net.parameters()[0].value();
    std::vector<std::string> with_path(parts);
    with_path.push_back("load: '" + path + "': ");
    try {
        nn::load(net, path);
        ADD_FAILURE() << "load accepted the archive";
    } catch (const IoError& e) {
        const std::string msg = e.what();
        for (const std::string& part : with_path)
            EXPECT_NE(msg.find(part), std::string::npos) << "\"" << part << "\" not in: " << msg;
    }
    EXPECT_EQ(relative_error(net.parameters()[0].value(), before), 0.0);
    std::remove(path.c_str());
}

TEST(ErrorCatalogue, CheckpointArchiveItselfIsGood) {
    // The hand-made archive loads when its entries are right (so that the rejections
    // below are about the entries, not about the archive).
    const std::string path = temp_path("catalogue_good.npz");
    const std::string bytes = stored_zip(
        {{"0.weight.npy", npy_f8({1, 2}, {1.5, -2.5})}, {"0.bias.npy", npy_f8({1}, {0.25})}});
    std::ofstream(path, std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    nn::Sequential<double> net = tiny_net();
    nn::load(net, path);
    EXPECT_EQ(net.parameters()[0].value()(0, 1), -2.5);
    EXPECT_EQ(net.parameters()[1].value()(0), 0.25);
    std::remove(path.c_str());
}

TEST(ErrorCatalogue, CheckpointEntryIsNotAnNpyArray) {
    expect_rejected({{"0.weight.npy", "just some text, no magic"}},
                    {"entry '0.weight.npy' is not a .npy array (no \\x93NUMPY magic at its start)",
                     "Nothing was loaded"});
}

TEST(ErrorCatalogue, CheckpointEntryHasAnUnknownNpyVersion) {
    std::string npy = npy_f8({1, 2}, {1.0, 2.0});
    npy[6] = '\x09';
    expect_rejected({{"0.weight.npy", npy}},
                    {"entry '0.weight.npy' has .npy format version 9.0, which is not supported"});
}

TEST(ErrorCatalogue, CheckpointEntryIsTruncatedInItsHeader) {
    const std::string npy = npy_f8({1, 2}, {1.0, 2.0});
    expect_rejected({{"0.weight.npy", npy.substr(0, 30)}},
                    {"entry '0.weight.npy' is truncated inside its .npy header"});
}

TEST(ErrorCatalogue, CheckpointEntryHasAMalformedHeader) {
    expect_rejected(
        {{"0.weight.npy",
          npy_with_header("{'descr': '<f8', 'shape': (1, 2), }", std::string(16, '\0'))}},
        {"entry '0.weight.npy' has a malformed .npy header (the key 'fortran_order' is missing)"});
}

TEST(ErrorCatalogue, CheckpointEntryHasTooFewDataBytes) {
    expect_rejected({{"0.weight.npy", npy_f8({1, 2}, {1.0})}},
                    {"entry '0.weight.npy' holds 8 data bytes where shape (1, 2) needs 16"});
}

TEST(ErrorCatalogue, CheckpointEntryUsesAnUnsupportedCompression) {
    expect_rejected({{"0.weight.npy", npy_f8({1, 2}, {1.0, 2.0}), /*method=*/77}},
                    {"entry '0.weight.npy' is compressed with zip method 77; only stored and "
                     "deflated entries (numpy.savez, numpy.savez_compressed) are read"});
}

TEST(ErrorCatalogue, CheckpointEntryAppearsTwice) {
    // libzip refuses such an archive as a whole (ZIP_ER_EXISTS), before tapegrad's own
    // "the file has entry ... twice" check can see it.
    const std::string npy = npy_f8({1, 2}, {1.0, 2.0});
    expect_rejected({{"0.weight.npy", npy}, {"0.weight.npy", npy}},
                    {"has two entries with the same name (File already exists); save it again"});
}

TEST(ErrorCatalogue, CheckpointEntryWithoutTheNpySuffix) {
    const std::string npy = npy_f8({1, 2}, {1.0, 2.0});
    expect_rejected({{"0.weight.npy", npy}, {"notes.txt", "hello"}},
                    {"the file has an entry 'notes.txt' for which the model has no parameter"});
}

TEST(ErrorCatalogue, CheckpointArchiveThatLibzipRefusesForAnotherReason) {
    // The end-of-central-directory record says the archive spans several disks: libzip
    // supports one, and says so (ZIP_ER_MULTIDISK).
    const std::string path = temp_path("catalogue_multidisk.npz");
    std::string bytes = stored_zip(
        {{"0.weight.npy", npy_f8({1, 2}, {1.5, -2.5})}, {"0.bias.npy", npy_f8({1}, {0.25})}});
    const std::size_t eocd = bytes.rfind("PK\x05\x06");
    ASSERT_NE(eocd, std::string::npos);
    bytes[eocd + 4] = 1;  // "number of this disk"
    std::ofstream(path, std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    nn::Sequential<double> net = tiny_net();
    expect_message<IoError>([&] { nn::load(net, path); },
                            {"load: '" + path + "': cannot be opened as a .npz archive (",
                             "Multi-disk zip archives not supported"});
    std::remove(path.c_str());
}

TEST(ErrorCatalogue, CheckpointPathIsADirectory) {
    const std::string dir = temp_path("a_directory.npz");
    std::filesystem::create_directories(dir);
    nn::Sequential<double> net = tiny_net();
    expect_message<IoError>([&] { nn::load(net, dir); },
                            {"load: '" + dir + "': is a directory; pass the path of a .npz file"});
}

TEST(ErrorCatalogue, CheckpointSaveIntoAMissingDirectory) {
    const std::string path = temp_path("missing_dir") + "/net.npz";
    expect_message<IoError>([&] { nn::save(tiny_net(), path); },
                            {"save: '" + path + "': ", "cannot be"});
    nn::Sequential<double> no_parameters{nn::Tanh<double>()};
    expect_message<IoError>([&] { nn::save(no_parameters, path); },
                            {"save: '" + path + "': cannot be created (",
                             "); check that the directory exists and is writable"});
}

}  // namespace
}  // namespace tg::test
