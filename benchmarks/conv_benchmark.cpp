// conv2d forward + backward: 3x3 kernel, 32 input and 32 output channels, 28x28, padding 1,
// bias, float, in two variants measured in the same run:
//   floor  the same convolution by hand: the batch unrolled into one (C·9, N·784) column
//          buffer (im2col), one cblas_sgemm for y = W cols + b; backward one sgemm for
//          dW = G colsᵀ, one for dcols = Wᵀ G, col2im of dcols into dx, and db = row sums
//          of G. y and G stay in the GEMM's (C_out, N·784) layout (no transposes) and the
//          buffers are kept across steps: the least work this algorithm does.
//   tape   tg::conv2d on a tg::Tape (x, weight and bias require gradients), then
//          tape.backward(y, seed) with a fixed seed gradient: one tape step per iteration.
//
// Names are conv2d/<variant>/float/<N>; the table at the end gives tape / floor.

#include <benchmark/benchmark.h>
#include <cblas.h>

#include <algorithm>
#include <tapegrad/nn.hpp>
#include <tapegrad/ops/conv.hpp>
#include <tapegrad/tapegrad.hpp>
#include <vector>

#include "benchmark_main.hpp"

namespace {

using tg::Array;

constexpr std::size_t kChannels = 32, kSide = 28, kKernel = 3, kPadding = 1;
constexpr std::size_t kPositions = kSide * kSide;  // stride 1, padding 1: 28x28 out
constexpr std::size_t kRows = kChannels * kKernel * kKernel;

Array<float> random_array(const tg::Shape& shape, std::uint64_t seed) {
    tg::nn::Rng rng(seed);
    Array<float> a = Array<float>::from_shape(shape);
    for (float& e : a) e = static_cast<float>(tg::nn::uniform(rng, -1, 1));
    return a;
}

/// Calls f(dst, src, count) for each run of the columns (kRows, n·784) that reads the
/// input, and zero(dst, count) for each run that reads padding: entry (c·9 + i·3 + j,
/// image·784 + oh·28 + ow) is x[image, c, oh − 1 + i, ow − 1 + j]. One traversal for
/// im2col (copy the runs) and col2im (add them back), each run a contiguous row piece.
template <class Run, class Zero>
void for_each_run(std::size_t n, Run&& run, Zero&& zero) {
    const long p = static_cast<long>(kPadding), side = static_cast<long>(kSide);
    for (std::size_t c = 0; c < kChannels; ++c)
        for (std::size_t i = 0; i < kKernel; ++i)
            for (std::size_t j = 0; j < kKernel; ++j) {
                const std::size_t row = ((c * kKernel + i) * kKernel + j) * n * kPositions;
                // Positions ow in [lo, hi) read inside: 0 <= ow + j − p < 28.
                const long shift = static_cast<long>(j) - p;
                const std::size_t lo = static_cast<std::size_t>(std::max(0L, -shift));
                const std::size_t hi = static_cast<std::size_t>(std::min(side, side - shift));
                for (std::size_t image = 0; image < n; ++image)
                    for (std::size_t oh = 0; oh < kSide; ++oh) {
                        const std::size_t dst = row + image * kPositions + oh * kSide;
                        const long ih = static_cast<long>(oh + i) - p;
                        if (ih < 0 || ih >= side) {
                            zero(dst, kSide);
                            continue;
                        }
                        const std::size_t src =
                            (image * kChannels + c) * kPositions +
                            static_cast<std::size_t>(ih) * kSide +
                            static_cast<std::size_t>(static_cast<long>(lo) + shift);
                        zero(dst, lo);
                        run(dst + lo, src, hi - lo);
                        zero(dst + hi, kSide - hi);
                    }
            }
}

void floor_step(benchmark::State& state) {
    const std::size_t n = static_cast<std::size_t>(state.range(0)), cols_n = n * kPositions;
    const Array<float> x = random_array({n, kChannels, kSide, kSide}, 1);
    const Array<float> w = random_array({kChannels, kRows}, 2);
    const Array<float> b = random_array({kChannels}, 3);
    const Array<float> g = random_array({kChannels, cols_n}, 4);
    std::vector<float> cols(kRows * cols_n), y(kChannels * cols_n), dcols(kRows * cols_n);
    std::vector<float> dx(x.size()), dw(w.size()), db(kChannels);
    const int m = static_cast<int>(cols_n), rows = static_cast<int>(kRows),
              ch = static_cast<int>(kChannels);
    for (auto _ : state) {
        // Forward: cols = im2col(x); y = b + W cols.
        for_each_run(
            n,
            [&](std::size_t dst, std::size_t src, std::size_t count) {
                std::copy_n(x.data() + src, count, cols.data() + dst);
            },
            [&](std::size_t dst, std::size_t count) {
                std::fill_n(cols.data() + dst, count, 0.0f);
            });
        for (std::size_t o = 0; o < kChannels; ++o)
            std::fill_n(y.data() + o * cols_n, cols_n, b(o));
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, ch, m, rows, 1.0f, w.data(), rows,
                    cols.data(), m, 1.0f, y.data(), m);
        // Backward: dW = G colsᵀ, dcols = Wᵀ G, dx = col2im(dcols), db = Σ_columns G.
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, ch, rows, m, 1.0f, g.data(), m,
                    cols.data(), m, 0.0f, dw.data(), rows);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, rows, m, ch, 1.0f, w.data(), rows,
                    g.data(), m, 0.0f, dcols.data(), m);
        std::fill(dx.begin(), dx.end(), 0.0f);
        for_each_run(
            n,
            [&](std::size_t dst, std::size_t src, std::size_t count) {
                for (std::size_t k = 0; k < count; ++k) dx[src + k] += dcols[dst + k];
            },
            [](std::size_t, std::size_t) {});
        for (std::size_t o = 0; o < kChannels; ++o) {
            float sum = 0;
            for (std::size_t k = 0; k < cols_n; ++k) sum += g.data()[o * cols_n + k];
            db[o] = sum;
        }
        benchmark::DoNotOptimize(dx.data());
        benchmark::DoNotOptimize(dw.data());
        benchmark::DoNotOptimize(db.data());
        benchmark::ClobberMemory();
    }
}

void tape_step(benchmark::State& state) {
    const std::size_t n = static_cast<std::size_t>(state.range(0));
    tg::Tensor<float> x(random_array({n, kChannels, kSide, kSide}, 1), true);
    tg::Tensor<float> w(random_array({kChannels, kChannels, kKernel, kKernel}, 2), true);
    tg::Tensor<float> b(random_array({kChannels}, 3), true);
    const tg::Tensor<float> seed(random_array({n, kChannels, kSide, kSide}, 4));
    tg::Tape tape;  // one tape for the whole loop: backward releases each step's entries
    auto step = [&] {
        const tg::Tensor<float> y = tg::conv2d(x, w, b, 1, kPadding);
        tape.backward(y, seed);
        x.reset_grad();
        w.reset_grad();
        b.reset_grad();
    };
    {
        tg::conv2d(x, w, b, 1, kPadding);
        state.counters["tape_entries"] = static_cast<double>(tape.size());
        state.counters["tape_bytes"] = static_cast<double>(tape.bytes());
        tape.clear();
    }
    for (int i = 0; i < 3; ++i) step();  // warm the buffer pool
    for (auto _ : state) step();
}

}  // namespace

int main(int argc, char** argv) {
    for (long n : {8L, 64L}) {
        benchmark::RegisterBenchmark("conv2d/floor/float", floor_step)
            ->Arg(n)
            ->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark("conv2d/tape/float", tape_step)
            ->Arg(n)
            ->Unit(benchmark::kMillisecond);
    }
    tg::bench::RatioTable table("floor");
    return tg::bench::run_benchmarks(argc, argv, &table);
}
