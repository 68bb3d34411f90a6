#pragma once
// What the checkpoint fuzzers load into: a small fixed model, the input bytes as a file,
// and the checks that turn a broken promise of tg::nn::load (or load_state_dict) into a
// crash libFuzzer sees.
//
// load promises (nn/include/tapegrad/nn/checkpoint.hpp), and load_state_dict too
// (nn/include/tapegrad/nn/state_dict.hpp): any file either loads or raises tg::IoError,
// and on an error the model is left unchanged. So:
//   - any other exception escapes the fuzz target (libFuzzer reports it as a crash);
//   - after an IoError, every parameter must hold its old bits, else we abort;
//   - memory errors, leaks and undefined behaviour are the sanitizers' part.

#include <tapegrad/nn.hpp>

#include <sys/mman.h>
#include <unistd.h>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace tg::fuzz {

/// The model: Dense(4, 3), Tanh, Dense(3, 2): parameters 0.weight (3, 4), 0.bias (3),
/// 2.weight (2, 3), 2.bias (2), float64, with fixed values.
inline nn::Sequential<double>& model() {
    static nn::Sequential<double> net = [] {
        nn::Rng rng(1);
        return nn::Sequential<double>{nn::Dense<double>(4, 3, rng), nn::Tanh<double>(),
                                      nn::Dense<double>(3, 2, rng)};
    }();
    return net;
}

/// A file in memory (memfd) that load() reads through its /proc/self/fd path: no disk
/// writes, and each fuzz iteration just rewrites it.
class MemoryFile {
public:
    MemoryFile() {
        fd_ = ::memfd_create("tapegrad_fuzz.npz", 0);
        if (fd_ < 0) {
            std::perror("memfd_create");
            std::abort();
        }
        path_ = "/proc/self/fd/" + std::to_string(fd_);
    }
    void write(const std::uint8_t* data, std::size_t size) {
        if (::ftruncate(fd_, 0) != 0) std::abort();
        std::size_t done = 0;
        while (done < size) {
            const ssize_t n = ::pwrite(fd_, data + done, size - done, static_cast<off_t>(done));
            if (n <= 0) std::abort();
            done += static_cast<std::size_t>(n);
        }
    }
    const std::string& path() const { return path_; }

private:
    int fd_ = -1;
    std::string path_;
};

/// Loads the file `bytes` into model() with `load(model(), path)`; checks the promises above.
template <class Load>
void load_and_check(const std::uint8_t* data, std::size_t size, Load load) {
    static MemoryFile file;
    static const std::vector<Array<double>> original = [] {
        std::vector<Array<double>> values;
        for (const auto& p : model().parameters()) values.push_back(p.value());
        return values;
    }();
    auto parameters = model().parameters();
    for (std::size_t i = 0; i < parameters.size(); ++i) parameters[i].mutable_value() = original[i];

    file.write(data, size);
    try {
        load(model(), file.path());
        for (std::size_t i = 0; i < parameters.size(); ++i)
            if (parameters[i].value().shape() != original[i].shape()) {
                std::fprintf(stderr, "load changed the shape of parameter #%zu\n", i);
                std::abort();
            }
    } catch (const IoError& e) {
        for (std::size_t i = 0; i < parameters.size(); ++i) {
            const Array<double>& now = parameters[i].value();
            if (now.shape() != original[i].shape() ||
                std::memcmp(now.data(), original[i].data(), now.size() * sizeof(double)) != 0) {
                std::fprintf(stderr, "load raised IoError but changed parameter #%zu: %s\n", i,
                             e.what());
                std::abort();
            }
        }
        // The message names the file, as promised.
        if (std::string(e.what()).find(file.path()) == std::string::npos) {
            std::fprintf(stderr, "IoError does not name the file: %s\n", e.what());
            std::abort();
        }
    }
}

/// Loads the file `bytes` into model() with tg::nn::load; checks the promises above.
inline void load_and_check(const std::uint8_t* data, std::size_t size) {
    load_and_check(data, size,
                   [](nn::Module<double>& m, const std::string& path) { nn::load(m, path); });
}

}  // namespace tg::fuzz
