// The blog network's training step (tape, SGD, double) at batch N, `steps` times after
// 200 warm-up steps; prints wall-clock and thread-CPU microseconds per step.
//     hot_path_probe N steps [thread]
// "thread": start and join a std::thread first, so that libstdc++ makes shared_ptr counts
// atomic (__libc_single_threaded becomes false). Not built by CMake: it is compiled
// against two commits' static libraries with the same flags, to compare them
// (benchmarks/README.md, "Threads"):
//     g++ -O3 -DNDEBUG -march=native -DXTENSOR_USE_XSIMD -std=c++17 -I$T/include \
//         -I$T/core/include -I$T/io/include -I$T/ops/include -I$T/optim/include \
//         -I$T/reference/include -I$T/nn/include hot_path_probe.cpp \
//         $T/build/nn/libtapegrad_nn.a $T/build/optim/libtapegrad_optim.a \
//         $T/build/reference/libtapegrad_reference.a $T/build/io/libtapegrad_io.a \
//         $T/build/ops/libtapegrad_ops.a $T/build/core/libtapegrad_core.a \
//         -lopenblas -lzip -lgomp -lpthread
//     (before the parts were split, core/ was lib/ and nn held optim and io)
#include <tapegrad/tapegrad.hpp>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
namespace nn = tg::nn;
int main(int argc, char** argv) {
    const std::size_t n = std::strtoul(argv[1], nullptr, 10);
    const long steps = std::strtol(argv[2], nullptr, 10);
    if (argc > 3 && !std::strcmp(argv[3], "thread")) std::thread([] {}).join();
    nn::Rng rng(1);
    nn::Sequential<double> model{nn::Dense<double>(1, 32, rng),  nn::Sigmoid<double>(),
                                 nn::Dense<double>(32, 32, rng), nn::Sigmoid<double>(),
                                 nn::Dense<double>(32, 16, rng), nn::Sigmoid<double>(),
                                 nn::Dense<double>(16, 16, rng), nn::Sigmoid<double>(),
                                 nn::Dense<double>(16, 1, rng),  nn::Tanh<double>()};
    tg::optim::SGD<double> sgd(model.parameters(), 1e-3);
    const tg::Tensor<double> x(tg::Array<double>(nn::uniform<double>({n, 1}, -1.0, 1.0, rng)));
    const tg::Tensor<double> y(tg::Array<double>(nn::uniform<double>({n, 1}, 0.0, 1.0, rng)));
    tg::Tape tape;
    auto step = [&] {
        tape.backward(nn::half_sse_per_example(model(x), y));
        sgd.step();
        sgd.zero_grad();
    };
    for (int i = 0; i < 200; ++i) step();
    timespec c0{}, c1{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    const auto t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < steps; ++i) step();
    const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    const double cpu_us = (c1.tv_sec - c0.tv_sec) * 1e6 + (c1.tv_nsec - c0.tv_nsec) * 1e-3;
    std::printf("%.4f %.4f\n", us / double(steps), cpu_us / double(steps));
}
