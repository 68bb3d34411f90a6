// tg::nn::load_state_dict / save_state_dict (<tapegrad/nn/state_dict.hpp>): a PyTorch
// state dict (float32 weights, int64 num_batches_tracked) written by numpy and by the
// safetensors spec writer (tests/data/formats/make_formats.py) loads into the same
// architecture and gives numpy's output; strict and non-strict as PyTorch's; renaming;
// both formats round-trip.

#include <tapegrad/io/npz.hpp>
#include <tapegrad/io/safetensors.hpp>
#include <tapegrad/nn/state_dict.hpp>

#include <fstream>

#include "nn/expect_message.hpp"
#include "nn/nn_test_util.hpp"

namespace tg::test {
namespace {

/// Options with PyTorch's `strict` set, the rest default.
nn::LoadStateDictOptions strictness(bool strict) {
    nn::LoadStateDictOptions options;
    options.strict = strict;
    return options;
}

using nn::LoadStateDictOptions;
using nn::LoadStateDictResult;
using nn::SaveStateDictOptions;

std::string data_file(const std::string& name) {
    return std::string(TAPEGRAD_TEST_DATA_DIR) + "/formats/" + name;
}

/// PyTorch's nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Linear(3, 2)).
template <class T>
nn::Sequential<T> mlp() {
    nn::manual_seed(7);
    return nn::Sequential<T>{nn::Linear<T>(4, 3), nn::BatchNorm1d<T>(3), nn::ReLU<T>(),
                             nn::Linear<T>(3, 2)};
}

/// Every parameter's and buffer's values, by name.
template <class T>
std::map<std::string, Array<T>> state(const nn::Module<T>& module) {
    std::map<std::string, Array<T>> out;
    for (const auto& [name, t] : module.named_parameters()) out[name] = t.value();
    for (const auto& [name, t] : module.named_buffers()) out[name] = t.value();
    return out;
}

template <class T>
void expect_numpy_output(nn::Sequential<T>& net, double tolerance) {
    const auto io_arrays = io::load_npz<double>(data_file("mlp_io.npz"));
    net.eval();
    const Tensor<T> y = net(Tensor<T>(xt::cast<T>(io_arrays.at("x"))));
    EXPECT_LT(relative_error(y.value(), io_arrays.at("y")), tolerance);
}

template <class T>
void expect_loads_pytorch_state_dict(double tolerance) {
    for (const char* file : {"mlp.npz", "mlp.safetensors"}) {
        SCOPED_TRACE(file);
        nn::Sequential<T> net = mlp<T>();
        const LoadStateDictResult result = nn::load_state_dict(net, data_file(file));
        EXPECT_TRUE(result.missing_keys.empty());
        EXPECT_TRUE(result.unexpected_keys.empty());
        EXPECT_EQ(state(net).at("1.num_batches_tracked")(), T(17));  // int64 in the file
        expect_numpy_output(net, tolerance);
    }
}

TEST(StateDict, LoadsAPytorchStateDictFromEitherFormat) {
    expect_loads_pytorch_state_dict<double>(1e-14);  // float32 weights are exact in double
    expect_loads_pytorch_state_dict<float>(1e-6);
}

TEST(StateDict, StrictRefusesMissingAndUnexpectedKeysAndChangesNothing) {
    // One layer more than the file: 4.weight and 4.bias are missing.
    nn::manual_seed(7);
    nn::Sequential<double> wider{nn::Linear<double>(4, 3), nn::BatchNorm1d<double>(3),
                                 nn::ReLU<double>(), nn::Linear<double>(3, 2),
                                 nn::Linear<double>(2, 2)};
    const auto before = state(wider);
    const std::string path = data_file("mlp.safetensors");
    expect_message<IoError>([&] { nn::load_state_dict(wider, path); },
                            {"load_state_dict: '" + path +
                                 "': missing keys (in the model, not in the file): '4.weight', "
                                 "'4.bias'. Nothing was loaded",
                             "or pass strict = false to load the names that match"});
    EXPECT_EQ(state(wider), before);
    // DistributedDataParallel's names: every one unexpected, every one missing.
    nn::Sequential<double> net = mlp<double>();
    const std::string ddp = data_file("mlp_ddp.npz");
    expect_message<IoError>([&] { nn::load_state_dict(net, ddp); },
                            {"missing keys (in the model, not in the file): '0.weight', '0.bias', "
                             "'1.weight'",
                             "unexpected keys (in the file, not in the model): "
                             "'module.0.weight', 'module.0.bias'"});
}

TEST(StateDict, NonStrictLoadsWhatMatchesAndReturnsTheRest) {
    nn::manual_seed(7);
    nn::Sequential<double> wider{nn::Linear<double>(4, 3), nn::BatchNorm1d<double>(3),
                                 nn::ReLU<double>(), nn::Linear<double>(3, 2),
                                 nn::Linear<double>(2, 2)};
    const auto before = state(wider);
    const LoadStateDictResult result =
        nn::load_state_dict(wider, data_file("mlp.npz"), strictness(false));
    EXPECT_EQ(result.missing_keys, (std::vector<std::string>{"4.weight", "4.bias"}));
    EXPECT_TRUE(result.unexpected_keys.empty());
    const auto after = state(wider);
    EXPECT_EQ(after.at("4.weight"), before.at("4.weight"));  // missing: left as it was
    EXPECT_EQ(after.at("0.weight"), io::load_npz<double>(data_file("mlp.npz")).at("0.weight"));
    // The other way round: the file has layers the model lacks.
    nn::manual_seed(7);
    nn::Sequential<double> first{nn::Linear<double>(4, 3)};
    const auto keys = nn::load_state_dict(first, data_file("mlp.safetensors"), strictness(false));
    EXPECT_TRUE(keys.missing_keys.empty());
    EXPECT_EQ(keys.unexpected_keys.size(), 7u);  // in the order of the file's data
    EXPECT_EQ(state(first).at("0.bias"), io::load_npz<double>(data_file("mlp.npz")).at("0.bias"));
}

TEST(StateDict, RenamesByFunctionOrMap) {
    // Strip DistributedDataParallel's "module." prefix.
    nn::Sequential<double> net = mlp<double>();
    LoadStateDictOptions strip;
    strip.rename = [](const std::string& name) {
        return name.rfind("module.", 0) == 0 ? name.substr(7) : name;
    };
    nn::load_state_dict(net, data_file("mlp_ddp.npz"), strip);
    expect_numpy_output(net, 1e-14);
    // A map for some names; an empty name drops an array (neither loaded nor reported).
    nn::manual_seed(7);
    nn::Sequential<double> two{nn::Linear<double>(4, 3), nn::Linear<double>(3, 2)};
    LoadStateDictOptions pick;
    pick.strict = false;
    pick.names = {{"3.weight", "1.weight"}, {"3.bias", "1.bias"}};
    pick.rename = [](const std::string& name) { return name.rfind("1.", 0) == 0 ? "" : name; };
    const auto keys = nn::load_state_dict(two, data_file("mlp.npz"), pick);
    EXPECT_TRUE(keys.missing_keys.empty());
    EXPECT_TRUE(keys.unexpected_keys.empty());
    EXPECT_EQ(state(two).at("1.weight"), io::load_npz<double>(data_file("mlp.npz")).at("3.weight"));
    // Two file names onto one model name.
    LoadStateDictOptions clash;
    clash.rename = [](const std::string& name) { return name.substr(0, 2) + "weight"; };
    clash.strict = false;
    expect_message<IoError>([&] { nn::load_state_dict(net, data_file("mlp.npz"), clash); },
                            {"the file's '0.weight' and '0.bias' are both renamed to '0.weight'"});
}

TEST(StateDict, ShapeMismatchIsAnErrorStrictOrNot) {
    nn::manual_seed(7);
    nn::Sequential<float> net{nn::Linear<float>(4, 5), nn::BatchNorm1d<float>(5), nn::ReLU<float>(),
                              nn::Linear<float>(5, 2)};
    const auto before = state(net);
    const std::string path = data_file("mlp.npz");
    for (bool strict : {true, false})
        expect_message<IoError>(
            [&] { nn::load_state_dict(net, path, strictness(strict)); },
            {"load_state_dict: '" + path +
                 "': parameter '0.weight' has shape (3, 4) in the file but (5, 4) in the model",
             "buffer '1.running_mean' has shape (3) in the file but (5) in the model",
             "Nothing was loaded"});
    EXPECT_EQ(state(net), before);
    // Renamed names are shown with the file's name.
    LoadStateDictOptions rename;
    rename.strict = false;
    rename.rename = [](const std::string& name) { return name == "3.weight" ? "0.weight" : ""; };
    expect_message<IoError>([&] { nn::load_state_dict(net, path, rename); },
                            {"parameter '0.weight' ('3.weight' in the file) has shape (2, 3)"});
}

TEST(StateDict, TellsTheFormatByItsFirstBytes) {
    // The content decides, whatever the name says.
    const auto copy = [](const std::string& from, const std::string& to) {
        std::filesystem::copy_file(data_file(from), temp_path(to),
                                   std::filesystem::copy_options::overwrite_existing);
        return temp_path(to);
    };
    for (const auto& [from, to] :
         {std::pair{"mlp.npz", "weights.safetensors"}, std::pair{"mlp.safetensors", "weights.bin"},
          std::pair{"mlp.npz", "weights"}}) {
        SCOPED_TRACE(to);
        nn::Sequential<double> net = mlp<double>();
        nn::load_state_dict(net, copy(from, to));
        expect_numpy_output(net, 1e-14);
    }
    const auto write = [](const std::string& name, const std::string& bytes) {
        std::ofstream(temp_path(name), std::ios::binary) << bytes;
        return temp_path(name);
    };
    nn::Sequential<double> net = mlp<double>();
    const std::string text = write("notes.txt", "hello, world");
    expect_message<IoError>([&] { nn::load_state_dict(net, text); },
                            {"load_state_dict: '" + text + "': is neither a .npz archive",
                             "pass LoadStateDictOptions::format"});
    // Too short to tell: the extension's reader says what is wrong.
    const std::string empty_st = write("empty.safetensors", "");
    expect_message<IoError>([&] { nn::load_state_dict(net, empty_st); },
                            {"load_state_dict: '" + empty_st +
                             "': is empty (0 bytes): truncated "
                             "or not a safetensors file"});
    const std::string empty_npz = write("empty.npz", "");
    expect_message<IoError>([&] { nn::load_state_dict(net, empty_npz); },
                            {"is empty (0 bytes): truncated or not a .npz archive"});
    LoadStateDictOptions as_npz;
    as_npz.format = nn::WeightsFormat::npz;
    const std::string st = data_file("mlp.safetensors");
    expect_message<IoError>([&] { nn::load_state_dict(net, st, as_npz); },
                            {"is truncated or not a .npz archive"});
    const std::string missing = temp_path("missing.npz");
    expect_message<IoError>([&] { nn::load_state_dict(net, missing); },
                            {"load_state_dict: '" + missing + "': cannot be opened"});
}

TEST(StateDict, SavesEitherFormatAndLoadsBack) {
    nn::Sequential<double> net = mlp<double>();
    nn::load_state_dict(net, data_file("mlp.npz"));
    for (const char* file : {"sd.npz", "sd.safetensors"}) {
        SCOPED_TRACE(file);
        const std::string path = temp_path(file);
        nn::save_state_dict(net, path);
        nn::manual_seed(99);
        nn::Sequential<double> other = mlp<double>();
        nn::load_state_dict(other, path);
        EXPECT_EQ(state(other), state(net));
    }
    // The .npz is what tg::nn::save writes: tg::nn::load reads it.
    nn::Sequential<double> loaded = mlp<double>();
    nn::load(loaded, temp_path("sd.npz"));
    EXPECT_EQ(state(loaded), state(net));
    // bfloat16 with metadata, read back into float.
    SaveStateDictOptions half;
    half.dtype = io::DType::bfloat16;
    half.metadata = {{"format", "pt"}};
    const std::string path = temp_path("sd_bf16.safetensors");
    nn::save_state_dict(net, path, half);
    const auto file = io::load_safetensors<double>(path);
    EXPECT_EQ(file.metadata, (std::map<std::string, std::string>{{"format", "pt"}}));
    nn::Sequential<float> small = [] {
        nn::manual_seed(7);
        return nn::Sequential<float>{nn::Linear<float>(4, 3), nn::BatchNorm1d<float>(3),
                                     nn::ReLU<float>(), nn::Linear<float>(3, 2)};
    }();
    nn::load_state_dict(small, path);
    const Array<double> w = state(net).at("0.weight");
    const Array<float> w16 = state(small).at("0.weight");
    for (std::size_t i = 0; i < w.size(); ++i)
        EXPECT_NEAR(w16.data()[i], w.data()[i], std::abs(w.data()[i]) / 256) << i;  // 8 bits
    EXPECT_EQ(state(small).at("1.num_batches_tracked")(), 17.0f);
    // What the formats cannot do.
    const std::string odd = temp_path("weights.pt");
    expect_message<ValueError>([&] { nn::save_state_dict(net, odd); },
                               {"save_state_dict: '" + odd +
                                "': cannot tell the format from the "
                                "name; end it in .npz or .safetensors"});
    expect_message<ValueError>([&] { nn::save_state_dict(net, temp_path("w.npz"), half); },
                               {"a .npz file stores the model's own dtype and no metadata"});
    EXPECT_FALSE(std::filesystem::exists(odd));
}

}  // namespace
}  // namespace tg::test
