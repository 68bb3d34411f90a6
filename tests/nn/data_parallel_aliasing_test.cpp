// DataParallel hands a one-worker gradient over to grad() only when nothing else can see it
// change: with views (docs/design.md "Storage and views") two parameters' gradients can be
// one buffer, and the next backward adds into grad() in place.

#include "nn/nn_test_util.hpp"

#include <tapegrad/nn/data_parallel.hpp>

namespace tg::test {
namespace {

/// y = x (a + reshape(b)): add sends one gradient to a and, through reshape's backward,
/// a view of it to b.
class ViewedWeights : public nn::Module<double> {
public:
    ViewedWeights() {
        a_ = register_parameter("a", tg::parameter<double>(xt::xarray<double>{1, 2, 3, 4}));
        b_ = register_parameter("b", tg::parameter<double>(xt::xarray<double>{{1, 2}, {3, 4}}));
    }
    Tensor<double> forward(const Tensor<double>& x) override {
        return tg::matmul(x, tg::reshape(a_ + tg::reshape(b_, {4}), {4, 1}));
    }

private:
    Tensor<double> a_, b_;
};

TEST(DataParallelAliasing, OneWorkerGradientsThatShareABufferAreNotHandedOver) {
    ViewedWeights net;
    const Tensor<double> x(xt::xarray<double>{{1, 0, 2, 0}, {0, 1, 0, 3}});
    const Tensor<double> y = tg::reshape(Tensor<double>(xt::xarray<double>{1, 2}), {2, 1});
    const auto loss = [](const Tensor<double>& p, const Tensor<double>& t) {
        return nn::half_sse_per_example(p, t);
    };
    std::vector<Array<double>> want;
    {
        Tape tape;
        tape.backward(loss(net(x), y));
        for (const auto& p : net.parameters()) want.push_back(p.grad().value());
        net.zero_grad();
    }
    nn::DataParallelOptions options;
    options.workers = 2;
    options.split = nn::Split::batch;
    options.min_rows_per_worker = 16;  // 2 rows: a team of one
    nn::DataParallel<double> parallel(net, loss, options);
    ASSERT_EQ(parallel.workers_for(2), 1u);
    parallel.backward(x, y);
    parallel.backward(x, y);  // adds into grad() in place
    const auto params = net.parameters();
    EXPECT_FALSE(detail::shares_storage(params[0].grad(), params[1].grad()));
    for (std::size_t i = 0; i < params.size(); ++i)
        EXPECT_LT(relative_error(params[i].grad().value(), Array<double>(2.0 * want[i])), 1e-12)
            << "parameter #" << i;
}

}  // namespace
}  // namespace tg::test
