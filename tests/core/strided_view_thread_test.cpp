// Several threads read one strided view's value() at once (DataParallel's workers reading a
// transposed weight): the contiguous copy is filled once, under the view's lock, and
// refilled after the base changes in place. `make tsan` runs it under ThreadSanitizer.

#include <tapegrad/ops/shape.hpp>
#include <tapegrad/tensor.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>
#include <xtensor/xarray.hpp>
#include <xtensor/xbuilder.hpp>
#include <xtensor/xmanipulation.hpp>

namespace {

using tg::Tensor;

TEST(StridedViewThreadTest, ManyThreadsReadOneViewAtOnce) {
    Tensor<double> x(xt::xarray<double>(xt::arange<double>(4096.0).reshape({64, 64})));
    const Tensor<double> t = tg::transpose(x);
    const xt::xarray<double> expected = xt::transpose(x.value());
    for (int round = 0; round < 2; ++round) {
        std::atomic<int> wrong{0};
        std::vector<std::thread> threads;
        for (int k = 0; k < 8; ++k)
            threads.emplace_back([&] {
                for (int i = 0; i < 20; ++i)
                    if (t.value()(5, 7) != x.value()(7, 5) || t.value()(63, 0) != expected(63, 0))
                        ++wrong;
            });
        for (std::thread& th : threads) th.join();
        EXPECT_EQ(wrong.load(), 0);
        x.mutable_value()(7, 5) += 1000.0;  // the next round reads a refilled copy
    }
    EXPECT_EQ(t.value()(5, 7), 7 * 64 + 5 + 2000.0);
}

}  // namespace
