// Threads viewing one tensor at once (DataParallel's workers reshape the same weights): the
// first alias of a buffer installs its control block with a compare-and-swap, so every
// view counts and the memory is freed once, by whichever view goes last.

#include <tapegrad/ops/shape.hpp>
#include <tapegrad/tensor.hpp>

#include <gtest/gtest.h>

#include <thread>
#include <vector>
#include <xtensor/xarray.hpp>
#include <xtensor/xbuilder.hpp>

namespace {

TEST(SharedBufferThreadTest, ThreadsViewOneParameterAtOnce) {
    for (int round = 0; round < 20; ++round) {
        const auto w = tg::parameter<double>(xt::xarray<double>(xt::arange<double>(64.0)));
        std::vector<std::vector<tg::Tensor<double>>> views(4);
        std::vector<std::thread> threads;
        for (auto& mine : views)
            threads.emplace_back([&w, &mine] {
                for (int i = 0; i < 50; ++i) mine.push_back(tg::reshape(w, {8, 8}));
            });
        for (auto& t : threads) t.join();
        EXPECT_TRUE(w.node()->storage_shared());
        for (const auto& mine : views)
            for (const auto& v : mine) ASSERT_EQ(v.value().data(), w.value().data());
        views.clear();  // every view gone: the parameter holds its memory alone again
        EXPECT_FALSE(w.node()->storage_shared());
    }
}

}  // namespace
