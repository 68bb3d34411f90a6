// Checkpoint inputs that crashed tg::nn::load, or made it read outside a string, kept as
// regression tests: files in tests/data/checkpoint/ (fuzz_*.npy as the fuzzers found
// them, the .npz files made by make_inputs.py there).
// load promises an IoError naming the file and an unchanged model, never a crash.
//
// Each load runs in a child process (a gtest death test used the other way round: the
// child must exit normally), so that an input that still crashes fails its own test
// instead of killing the whole suite. Some of these inputs only read a byte outside a
// string, silently, in a plain build: they fail under `make sanitize` (ASan, UBSan and
// libstdc++'s assertions) and in the clang fuzz build.

#include "nn/nn_test_util.hpp"
#include "nn/stored_zip.hpp"

#include <pthread.h>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

namespace tg::test {
namespace {

/// The fuzzers' model (fuzz/fuzz_model.hpp): Dense(4, 3), Tanh, Dense(3, 2).
nn::Sequential<double> fuzz_model() {
    nn::Rng rng(1);
    return nn::Sequential<double>{nn::Dense<double>(4, 3, rng), nn::Tanh<double>(),
                                  nn::Dense<double>(3, 2, rng)};
}

std::string data_file(const std::string& name) {
    return std::string(TAPEGRAD_TEST_DATA_DIR) + "/checkpoint/" + name;
}

/// Loads `path`: 0 when load raised an IoError that names the file and contains
/// `problem`, with the model unchanged; 1..4 otherwise (and a crash is a signal).
int load_status(const std::string& path, const std::string& problem) {
    nn::Sequential<double> net = fuzz_model();
    std::vector<Array<double>> before;
    for (const auto& p : net.parameters()) before.push_back(p.value());
    int code = 0;
    try {
        nn::load(net, path);
        std::fprintf(stderr, "load accepted %s\n", path.c_str());
        code = 1;
    } catch (const IoError& e) {
        const std::string msg = e.what();
        if (msg.find(path) == std::string::npos || msg.find(problem) == std::string::npos) {
            std::fprintf(stderr, "unexpected message: %s\n", msg.c_str());
            code = 2;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "not an IoError: %s\n", e.what());
        code = 3;
    }
    const auto after = net.parameters();
    for (std::size_t i = 0; i < before.size(); ++i)
        if (std::memcmp(after[i].value().data(), before[i].data(),
                        before[i].size() * sizeof(double)))
            code = 4;
    std::fflush(stderr);
    return code;
}

/// In the child: exits with load_status(path, problem).
[[noreturn]] void load_expecting_io_error(const std::string& path, const std::string& problem) {
    std::exit(load_status(path, problem));
}

/// In the child: the same on a thread whose stack is `stack_bytes` long.
[[noreturn]] void load_on_a_thread_with_stack(const std::string& path, const std::string& problem,
                                              std::size_t stack_bytes) {
    struct Job {
        std::string path, problem;
        int code = -1;
    } job{path, problem};
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, stack_bytes);
    pthread_t thread;
    const auto run = [](void* p) -> void* {
        auto* j = static_cast<Job*>(p);
        j->code = load_status(j->path, j->problem);
        return nullptr;
    };
    if (pthread_create(&thread, &attr, run, &job) != 0) std::exit(5);
    pthread_join(thread, nullptr);
    pthread_attr_destroy(&attr);
    std::exit(job.code);
}

/// An archive as npy_entry_fuzzer builds it around its input: data file `npy_name` as
/// 0.weight.npy, and good 0.bias, 2.weight and 2.bias. Returns its path.
std::string npy_entry_archive(const std::string& npy_name) {
    std::ifstream in(data_file(npy_name), std::ios::binary);
    const std::string npy((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_FALSE(npy.empty()) << "cannot read " << data_file(npy_name);
    const std::string archive = stored_zip({{"0.weight.npy", npy},
                                            {"0.bias.npy", npy_f8({3}, {0.1, 0.2, 0.3})},
                                            {"2.weight.npy", npy_f8({2, 3}, {1, 2, 3, 4, 5, 6})},
                                            {"2.bias.npy", npy_f8({2}, {-1, -2})}});
    const std::string path = temp_path(npy_name + ".npz");
    std::ofstream(path, std::ios::binary)
        .write(archive.data(), static_cast<std::streamsize>(archive.size()));
    return path;
}

class CheckpointFuzzRegression : public ::testing::Test {
protected:
    void SetUp() override {
        // Re-executes the test binary for the child: safe with OpenBLAS's threads.
        GTEST_FLAG_SET(death_test_style, "threadsafe");
    }
};

TEST_F(CheckpointFuzzRegression, VeryLongDtypeDoesNotOverflowTheStack) {
    // 'descr' holds 40,000 characters. xtensor checks it with std::regex, whose
    // libstdc++ matcher recurses once per character: SIGSEGV (stack overflow) from
    // about 30,000 characters. numpy.load refuses headers over 10,000 bytes.
    EXPECT_EXIT(load_expecting_io_error(data_file("long_descr.npz"), "entry '0.weight.npy'"),
                ::testing::ExitedWithCode(0), "");
}

TEST_F(CheckpointFuzzRegression, LongDtypeUnderTheHeaderLimitOnAOneMebibyteStack) {
    // The same with 9,850 characters, inside load's 10,000-byte header limit, loaded on a
    // thread with a 1 MiB stack (Windows' default; musl and macOS give secondary threads
    // less): the regex recursion needs about 2.5 KiB per 10 characters.
    EXPECT_EXIT(load_on_a_thread_with_stack(data_file("long_descr_under_limit.npz"),
                                            "entry '0.weight.npy'", std::size_t{1} << 20),
                ::testing::ExitedWithCode(0), "");
}

// Found by npy_entry_fuzzer: a .npy header length of 0. xtensor's parser then calls
// back() on the empty header (UBSan: "addition of unsigned offset ... overflowed").
TEST_F(CheckpointFuzzRegression, FuzzerEmptyNpyHeaderIsAnIoError) {
    const std::string path = npy_entry_archive("fuzz_empty_header.npy");
    EXPECT_EXIT(load_expecting_io_error(path, "entry '0.weight.npy'"), ::testing::ExitedWithCode(0),
                "");
}

// Found by npy_entry_fuzzer: a 'shape' key with no ':' after it, so its value is the
// empty string, which xtensor's parser unwraps with back() and front().
TEST_F(CheckpointFuzzRegression, FuzzerShapeKeyWithoutValueIsAnIoError) {
    const std::string path = npy_entry_archive("fuzz_shape_without_value.npy");
    EXPECT_EXIT(load_expecting_io_error(path, "entry '0.weight.npy'"), ::testing::ExitedWithCode(0),
                "");
}

// The same class, made by hand: a header of only its newline, and 'shape': with nothing
// after the colon.
TEST_F(CheckpointFuzzRegression, NewlineOnlyNpyHeaderIsAnIoError) {
    EXPECT_EXIT(load_expecting_io_error(data_file("newline_header.npz"), "entry '0.weight.npy'"),
                ::testing::ExitedWithCode(0), "");
}

TEST_F(CheckpointFuzzRegression, ShapeKeyWithoutAValueIsAnIoError) {
    EXPECT_EXIT(load_expecting_io_error(data_file("empty_shape_value.npz"), "entry '0.weight.npy'"),
                ::testing::ExitedWithCode(0), "");
}

// Found by npy_entry_fuzzer in a 10-minute run (issue 14): 'fortran_order': Fa  lse and a
// 'shape' key followed by '(' instead of ':'. xtensor 0.24.3's parser called back() on
// an empty string inside unwrap_s (UBSan: pointer overflow). tapegrad's own parser
// (io/src/npy.cpp) reads no further than the first wrong character.
TEST_F(CheckpointFuzzRegression, FuzzerBrokenFortranOrderAndShapeIsAnIoError) {
    const std::string path = npy_entry_archive("fuzz_unwrap_empty_string.npy");
    EXPECT_EXIT(load_expecting_io_error(path,
                                        "entry '0.weight.npy' has a malformed .npy header "
                                        "(expected True or False for 'fortran_order'"),
                ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace tg::test
