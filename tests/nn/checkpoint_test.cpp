// .npz checkpoints: round trips, numpy compatibility both ways, and every kind of bad
// file rejected with the file and the problem named and the model left unchanged.

#include "nn/nn_test_util.hpp"

#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>

namespace tg::test {
namespace {

template <class T>
nn::Sequential<T> small_net(std::uint64_t seed, std::size_t hidden = 3) {
    nn::Rng rng(seed);
    nn::Sequential<T> net;
    net.add(nn::Dense<T>(4, hidden, rng)).add(nn::Tanh<T>()).add(nn::Dense<T>(hidden, 2, rng));
    // Non-zero biases, so that a bias that is not loaded shows.
    for (auto& [name, p] : net.named_parameters())
        if (name.find("bias") != std::string::npos)
            p.assign(nn::normal<T>(p.shape(), 0.0, 1.0, rng));
    return net;
}

template <class T>
std::vector<Array<T>> values_of(const nn::Module<T>& m) {
    std::vector<Array<T>> out;
    for (const auto& p : m.parameters()) out.push_back(p.value());
    return out;
}

template <class T>
void expect_same_values(const nn::Module<T>& m, const std::vector<Array<T>>& values) {
    const auto params = m.parameters();
    ASSERT_EQ(params.size(), values.size());
    for (std::size_t i = 0; i < params.size(); ++i)
        EXPECT_EQ(relative_error(params[i].value(), values[i]), 0.0) << "parameter #" << i;
}

std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// Loading `path` into `net` raises tg::IoError whose message names the file and
/// contains `problem`, and leaves every parameter's values and version unchanged.
template <class T>
void expect_rejected(nn::Module<T>& net, const std::string& path, const std::string& problem) {
    const auto before = values_of(net);
    std::vector<std::uint64_t> versions;
    for (const auto& p : net.parameters()) versions.push_back(p.version());
    try {
        nn::load(net, path);
        ADD_FAILURE() << "load accepted " << path << " (expected: " << problem << ")";
    } catch (const IoError& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find(path), std::string::npos)
            << "message does not name the file: " << message;
        EXPECT_NE(message.find(problem), std::string::npos)
            << "message does not say '" << problem << "': " << message;
    }
    expect_same_values(net, before);
    const auto params = net.parameters();
    for (std::size_t i = 0; i < params.size(); ++i) EXPECT_EQ(params[i].version(), versions[i]);
}

TEST(Checkpoint, RoundTripDouble) {
    const std::string path = temp_path("round_trip_double.npz");
    nn::Sequential<double> saved = small_net<double>(1);
    nn::save(saved, path);
    nn::Sequential<double> loaded = small_net<double>(2);
    ASSERT_GT(relative_error(loaded.parameters()[0].value(), saved.parameters()[0].value()), 0.0);
    nn::load(loaded, path);
    expect_same_values(loaded, values_of(saved));
    std::remove(path.c_str());
}

TEST(Checkpoint, RoundTripFloat) {
    const std::string path = temp_path("round_trip_float.npz");
    nn::Sequential<float> saved = small_net<float>(1);
    nn::save(saved, path);
    nn::Sequential<float> loaded = small_net<float>(2);
    nn::load(loaded, path);
    expect_same_values(loaded, values_of(saved));
    std::remove(path.c_str());
}

TEST(Checkpoint, ModuleWithoutParametersRoundTrips) {
    const std::string path = temp_path("empty.npz");
    nn::Sequential<double> net{nn::Tanh(), nn::Sigmoid()};
    nn::save(net, path);
    EXPECT_NO_THROW(nn::load(net, path));
    std::remove(path.c_str());
}

/// A python3 that can import numpy, or "" (PATH may hold one without numpy, such as
/// a pyenv shim, while the system's has it). Looked up once.
std::string python_with_numpy() {
    static const std::string found = [] {
        for (const char* candidate : {"python3", "/usr/bin/python3"}) {
            const std::string command =
                std::string(candidate) + " -c 'import numpy' > /dev/null 2>&1";
            if (std::system(command.c_str()) == 0) return std::string(candidate);
        }
        return std::string();
    }();
    return found;
}

/// Runs `python -c script args` and returns its standard output; fails the test on a
/// non-zero exit.
std::string run_python(const std::string& python, const std::string& script,
                       const std::string& args) {
    const std::string command = python + " -c '" + script + "' " + args;
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe) {
        ADD_FAILURE() << "cannot run " << command;
        return "";
    }
    std::string out;
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;)
        out.append(buffer, n);
    const int status = pclose(pipe);
    EXPECT_EQ(status, 0) << "python failed: " << command << "\n" << out;
    return out;
}

#define SKIP_WITHOUT_NUMPY(python)                                                             \
    const std::string python = python_with_numpy();                                            \
    if (python.empty()) {                                                                      \
        std::fprintf(stderr,                                                                   \
                     "*** SKIPPED: numpy is not installed (apt-get install python3-numpy)\n"); \
        GTEST_SKIP()                                                                           \
            << "numpy is not installed: the numpy compatibility of .npz files is unchecked";   \
    }

// For every entry, sorted by name: "name dtype d0,d1 hexvalue hexvalue ...".
constexpr const char* kDumpScript =
    "import sys, numpy\n"
    "f = numpy.load(sys.argv[1])\n"
    "for k in sorted(f.files):\n"
    "    a = f[k]\n"
    "    print(k, a.dtype.str, \",\".join(str(d) for d in a.shape), \" \".join(float(v).hex() for "
    "v in a.ravel()))\n";

template <class T>
void expect_numpy_reads(const std::string& python, const std::string& dtype) {
    const std::string path = temp_path("numpy_reads_" + dtype.substr(1) + ".npz");
    nn::Sequential<T> net = small_net<T>(5);
    nn::save(net, path);
    std::istringstream lines(run_python(python, kDumpScript, path));
    auto named = net.named_parameters();
    std::sort(named.begin(), named.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [name, p] : named) {
        std::string line;
        ASSERT_TRUE(std::getline(lines, line))
            << "numpy listed fewer entries than " << named.size();
        std::istringstream fields(line);
        std::string got_name, got_dtype, got_shape;
        fields >> got_name >> got_dtype >> got_shape;
        EXPECT_EQ(got_name, name);
        EXPECT_EQ(got_dtype, dtype);
        std::string shape;
        for (std::size_t d : p.shape()) shape += (shape.empty() ? "" : ",") + std::to_string(d);
        EXPECT_EQ(got_shape, shape) << name;
        for (std::size_t i = 0; i < p.size(); ++i) {
            std::string hex;
            ASSERT_TRUE(fields >> hex) << name << " has fewer values in numpy";
            EXPECT_EQ(std::strtod(hex.c_str(), nullptr), static_cast<double>(p.value().data()[i]))
                << name << "[" << i << "]";
        }
    }
    std::string extra;
    EXPECT_FALSE(std::getline(lines, extra)) << "numpy listed an extra entry: " << extra;
    std::remove(path.c_str());
}

TEST(Checkpoint, NumpyLoadReadsEveryParameter) {
    SKIP_WITHOUT_NUMPY(python);
    expect_numpy_reads<double>(python, "<f8");
    expect_numpy_reads<float>(python, "<f4");
}

TEST(Checkpoint, LoadsWhatNumpySavezWrites) {
    SKIP_WITHOUT_NUMPY(python);
    nn::Sequential<double> net = small_net<double>(6);
    // Weights 0.weight (3, 4) filled with 0..11, stored in Fortran order; the rest by
    // savez (stored) or savez_compressed (deflated).
    const std::string script =
        "import sys, numpy\n"
        "w0 = numpy.asfortranarray(numpy.arange(12.0).reshape(3, 4))\n"
        "d = {\"0.weight\": w0, \"0.bias\": numpy.array([1.0, 2.0, 3.0]),\n"
        "     \"2.weight\": numpy.full((2, 3), 0.5), \"2.bias\": numpy.array([-1.0, -2.0])}\n"
        "numpy.savez(sys.argv[1], **d)\n"
        "numpy.savez_compressed(sys.argv[2], **d)\n";
    const std::string stored = temp_path("from_numpy.npz"),
                      compressed = temp_path("from_numpy_compressed.npz");
    run_python(python, script, stored + " " + compressed);
    for (const std::string& path : {stored, compressed}) {
        SCOPED_TRACE(path);
        nn::Sequential<double> fresh = small_net<double>(7);
        nn::load(fresh, path);
        const auto p = fresh.parameters();
        for (std::size_t i = 0; i < 12; ++i)
            EXPECT_EQ(p[0].value().data()[i], static_cast<double>(i));
        EXPECT_EQ(relative_error(p[1].value(), Array<double>{1.0, 2.0, 3.0}), 0.0);
        EXPECT_EQ(relative_error(p[2].value(), Array<double>(Shape{2, 3}, 0.5)), 0.0);
        EXPECT_EQ(relative_error(p[3].value(), Array<double>{-1.0, -2.0}), 0.0);
        std::remove(path.c_str());
    }
}

TEST(Checkpoint, TruncatedFileIsRejected) {
    const std::string path = temp_path("truncated.npz");
    nn::save(small_net<double>(1), path);
    const std::string bytes = read_bytes(path);
    nn::Sequential<double> net = small_net<double>(2);
    write_bytes(path, bytes.substr(0, bytes.size() / 2));
    expect_rejected(net, path,
                    "is truncated or not a .npz archive (Not a zip archive); save it again with "
                    "tg::nn::save or numpy.savez");
    write_bytes(path, bytes.substr(0, bytes.size() - 5));
    expect_rejected(net, path, "truncated");
    std::remove(path.c_str());
}

TEST(Checkpoint, MalformedFilesAreRejected) {
    nn::Sequential<double> net = small_net<double>(2);
    const std::string path = temp_path("malformed.npz");
    write_bytes(path, "this is not a zip archive at all, just some text");
    expect_rejected(net, path, "not a .npz archive");
    write_bytes(path, "");
    expect_rejected(net, path, "not a .npz archive");
    expect_rejected(net, temp_path("does_not_exist.npz"), "cannot be opened");

    // A flipped byte inside the first entry's data: its CRC no longer matches.
    nn::save(small_net<double>(1), path);
    std::string bytes = read_bytes(path);
    const std::size_t npy = bytes.find("\x93NUMPY");
    ASSERT_NE(npy, std::string::npos);
    bytes[npy + 140] = static_cast<char>(bytes[npy + 140] ^ 0x55);
    write_bytes(path, bytes);
    expect_rejected(net, path, "entry '0.weight.npy' is corrupted (CRC error)");

    // A broken .npy header inside a valid archive.
    nn::save(small_net<double>(1), path);
    bytes = read_bytes(path);
    bytes.replace(bytes.find("'descr'"), 7, "'dxxxr'");
    write_bytes(path, bytes);
    expect_rejected(net, path, "entry");
    std::remove(path.c_str());
}

TEST(Checkpoint, MissingParameterIsRejected) {
    const std::string path = temp_path("missing.npz");
    nn::Rng rng(1);
    nn::Sequential<double> smaller{nn::Dense(4, 3, rng)};
    nn::save(smaller, path);
    nn::Sequential<double> net = small_net<double>(2);
    expect_rejected(net, path, "parameter '2.weight' is missing");
    std::remove(path.c_str());
}

TEST(Checkpoint, ExtraEntryIsRejected) {
    const std::string path = temp_path("extra.npz");
    nn::save(small_net<double>(1), path);
    nn::Rng rng(1);
    nn::Sequential<double> smaller{nn::Dense(4, 3, rng)};
    expect_rejected(smaller, path, "entry '2.weight.npy' for which the model has no parameter");
    std::remove(path.c_str());
}

TEST(Checkpoint, ShapeMismatchIsRejected) {
    const std::string path = temp_path("shape.npz");
    nn::save(small_net<double>(1, /*hidden=*/3), path);
    nn::Sequential<double> wider = small_net<double>(2, /*hidden=*/5);
    expect_rejected(wider, path, "'0.weight' has shape (3, 4) in the file but (5, 4) in the model");
    std::remove(path.c_str());
}

TEST(Checkpoint, DtypeMismatchIsRejected) {
    const std::string path = temp_path("dtype.npz");
    nn::save(small_net<float>(1), path);
    nn::Sequential<double> net = small_net<double>(2);
    expect_rejected(net, path,
                    "dtype float32 ('<f4') in the file but the model stores float64 ('<f8')");
    nn::save(small_net<double>(1), path);
    nn::Sequential<float> float_net = small_net<float>(2);
    expect_rejected(float_net, path, "float64");
    std::remove(path.c_str());
}

TEST(Checkpoint, SaveIntoMissingDirectoryFails) {
    const std::string path = temp_path("no_such_dir") + "/sub/net.npz";
    try {
        nn::save(small_net<double>(1), path);
        ADD_FAILURE() << "save into a missing directory succeeded";
    } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace tg::test
