// Writes the seed corpus of the checkpoint fuzzers (fuzz/corpus/<target>/) that
// tapegrad itself produces: archives written by tg::nn::save and TrainingCheckpoint::save,
// hand-made archives and .npy entries, and truncated copies. (make_numpy_corpus.py adds numpy's.) The files
// are committed; run this again only to regenerate them:
//
//   build-fuzz/make_corpus fuzz/corpus && /usr/bin/python3 fuzz/make_numpy_corpus.py fuzz/corpus

#include "fuzz_model.hpp"
#include "training_run.hpp"
#include "nn/stored_zip.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

namespace {

namespace fs = std::filesystem;
using tg::test::npy_f8;
using tg::test::npy_with_header;
using tg::test::stored_zip;

void write(const fs::path& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    std::cout << path.string() << " (" << bytes.size() << " bytes)\n";
}

std::string read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// 0.weight (3, 4) holding 0, 1, ..., 11 as float64 .npy, with a header of `order`.
std::string weight_npy(bool fortran) {
    std::string data(12 * sizeof(double), '\0');
    for (int i = 0; i < 12; ++i) {
        const double v = i;
        std::memcpy(&data[i * sizeof(double)], &v, sizeof v);
    }
    return npy_with_header(std::string("{'descr': '<f8', 'fortran_order': ") +
                               (fortran ? "True" : "False") + ", 'shape': (3, 4), }",
                           data);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: make_corpus CORPUS_DIR (e.g. fuzz/corpus)\n";
        return 2;
    }
    const fs::path npz = fs::path(argv[1]) / "npz_load_fuzzer";
    const fs::path npy = fs::path(argv[1]) / "npy_entry_fuzzer";
    fs::create_directories(npz);
    fs::create_directories(npy);

    // Archives tg::nn::save writes (libzip's layout), and cut-off copies of one.
    tg::nn::save(tg::fuzz::model(), (npz / "save_double.npz").string());
    std::cout << (npz / "save_double.npz").string() << "\n";
    {
        tg::nn::Rng rng(1);
        tg::nn::Sequential<float> net{tg::nn::Dense<float>(4, 3, rng), tg::nn::Tanh<float>(),
                                      tg::nn::Dense<float>(3, 2, rng)};
        tg::nn::save(net, (npz / "save_float.npz").string());
        tg::nn::Sequential<double> no_parameters{tg::nn::Tanh<double>()};
        tg::nn::save(no_parameters, (npz / "save_no_parameters.npz").string());
    }
    const std::string saved = read(npz / "save_double.npz");
    write(npz / "truncated_half.npz", saved.substr(0, saved.size() / 2));
    write(npz / "truncated_tail.npz", saved.substr(0, saved.size() - 5));

    // Hand-made archives (numpy's layout): good, Fortran-ordered, with a missing entry.
    const std::vector<tg::test::ZipEntry> rest = {
        {"0.bias.npy", npy_f8({3}, {0.1, 0.2, 0.3})},
        {"2.weight.npy", npy_f8({2, 3}, {1, 2, 3, 4, 5, 6})},
        {"2.bias.npy", npy_f8({2}, {-1, -2})}};
    auto with_weight = [&](const std::string& weight) {
        std::vector<tg::test::ZipEntry> all = {{"0.weight.npy", weight}};
        all.insert(all.end(), rest.begin(), rest.end());
        return stored_zip(all);
    };
    write(npz / "handmade_c_order.npz", with_weight(weight_npy(false)));
    write(npz / "handmade_fortran.npz", with_weight(weight_npy(true)));
    write(npz / "handmade_missing_entry.npz", stored_zip(rest));

    // .npy entries for 0.weight: good ones, and ones each check should reject.
    write(npy / "c_order.npy", weight_npy(false));
    write(npy / "fortran.npy", weight_npy(true));
    write(npy / "float32.npy",
          npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }",
                          std::string(48, '\0')));
    write(npy / "wrong_shape.npy", npy_f8({4, 3}, std::vector<double>(12, 1.0)));
    const std::string good = weight_npy(false);
    write(npy / "short_data.npy", good.substr(0, good.size() - 40));
    write(npy / "truncated_header.npy", weight_npy(false).substr(0, 40));
    std::string v2 = weight_npy(false);  // version 2.0: a 4-byte header length
    v2[6] = '\x02';
    v2.insert(10, 2, '\0');
    write(npy / "version2.npy", v2);

    // Training checkpoints of the run of training_run.hpp: whole, without the schedule
    // and the generators (parts missing), and cut off.
    const fs::path ckpt = fs::path(argv[1]) / "training_checkpoint_fuzzer";
    fs::create_directories(ckpt);
    tg::fuzz::TrainingRun& run = tg::fuzz::training_run();
    run.checkpoint.save((ckpt / "whole.npz").string());
    tg::nn::TrainingCheckpoint<double> fewer;
    fewer.add_module("model", run.net).add_optimizer("adamw", run.optimizer);
    fewer.save((ckpt / "model_and_optimizer.npz").string());
    const std::string whole = read(ckpt / "whole.npz");
    write(ckpt / "cut_in_half.npz", whole.substr(0, whole.size() / 2));
    return 0;
}
