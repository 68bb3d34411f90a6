// Peak memory of one training step's backward sweep: a tanh MLP of `depth` Dense(width,
// width) layers on `n` rows, float64, one forward and one tape.backward in a fresh
// process. Prints tape.bytes() before the sweep, tape.bytes() seen by the backward of a
// probe entry recorded first (so it runs last), and the peak resident set (getrusage).
//     sweep_peak n width depth
// Not built by CMake: compiled against two commits' static libraries with the same
// flags, to compare them (docs/design.md, "The tape and the sweep"), as
// hot_path_probe.cpp says.
#include <tapegrad/tapegrad.hpp>

#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>

namespace nn = tg::nn;

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: sweep_peak n width depth\n");
        return 2;
    }
    const std::size_t n = std::strtoul(argv[1], nullptr, 10);
    const std::size_t width = std::strtoul(argv[2], nullptr, 10);
    const int depth = std::atoi(argv[3]);
    nn::Rng rng(1);
    nn::Sequential<double> model;
    for (int i = 0; i < depth; ++i) {
        model.add(nn::Dense<double>(width, width, rng));
        model.add(nn::Tanh<double>());
    }
    const tg::Tensor<double> x = tg::randn<double>({n, width}, rng);

    tg::Tape tape;
    std::size_t seen_last = 0;
    // y = x0, recorded first: its backward runs last and notes what the tape still holds.
    const tg::Tensor<double> x0 = tg::parameter<double>(x.value());
    tg::Tensor<double> probed(tg::Array<double>(x0.value()));
    tg::record("probe", {x0}, probed, {}, [&](tg::BackwardContext<double>& c) {
        seen_last = tape.bytes();
        c.add(0, c.grad());
    });
    const tg::Tensor<double> loss = tg::mean(tg::square(model(probed)));
    const std::size_t before = tape.bytes();
    tape.backward(loss);
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    std::printf(
        "n %zu width %zu depth %d: tape.bytes() %.1f MB before the sweep, %.1f MB at its "
        "last entry; peak RSS %.1f MB\n",
        n, width, depth, before / 1e6, seen_last / 1e6, usage.ru_maxrss / 1e3);
}
