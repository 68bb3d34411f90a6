// libFuzzer target: the input is a whole training checkpoint, loaded with
// tg::nn::TrainingCheckpoint::load into the run of training_run.hpp (a model, AdamW, StepLR,
// a generator and a DataLoader). Its promise: any file loads or raises tg::IoError naming
// the file, and after an IoError nothing has changed. Before each input the run is reset
// from a good checkpoint (saved once, in a temporary folder); after an IoError its
// fingerprint must be that good checkpoint's. Any other exception escapes (a crash).

#include "training_run.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace {

/// The good checkpoint's path, removed when the process ends.
std::string good;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    tg::fuzz::TrainingRun& run = tg::fuzz::training_run();
    if (good.empty()) {
        good = (std::filesystem::temp_directory_path() /
                ("tapegrad_fuzz_checkpoint_" + std::to_string(::getpid()) + ".npz"))
                   .string();
        run.checkpoint.save(good);
        std::atexit([] { std::filesystem::remove(good); });
    }
    static const std::string good_state = run.fingerprint();
    static tg::fuzz::MemoryFile file;

    run.checkpoint.load(good);
    file.write(data, size);
    try {
        run.checkpoint.load(file.path());
    } catch (const tg::IoError& e) {
        if (run.fingerprint() != good_state) {
            std::fprintf(stderr, "load raised IoError but changed the run's state: %s\n", e.what());
            std::abort();
        }
        if (std::string(e.what()).find(file.path()) == std::string::npos) {
            std::fprintf(stderr, "IoError does not name the file: %s\n", e.what());
            std::abort();
        }
    }
    return 0;
}
