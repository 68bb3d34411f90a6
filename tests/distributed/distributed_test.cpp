// tapegrad::distributed under `mpirun -np 2`: 100 data-parallel steps across ranks give the
// parameters of one process on the same global batches (to 1e-12), a parameter without a
// gradient on every rank keeps none, and ranks whose models differ all get a
// MismatchError naming the first differing parameter and the ranks that differ, before
// any gradient is exchanged. (Ranks that fail or end early: faults_test.cpp.)

#include "nn/nn_test_util.hpp"
#include "skip_policy.hpp"

#include <tapegrad/distributed.hpp>

#include <mpi.h>

namespace tg::test {
namespace {
namespace dist = tg::distributed;  // as torch.distributed is imported as dist

constexpr int kSteps = 100;
constexpr std::size_t kGlobalBatch = 64;

/// Rows [begin, end) of a.
Array<double> rows(const Array<double>& a, std::size_t begin, std::size_t end) {
    Array<double> out = Array<double>::from_shape({end - begin, a.shape()[1]});
    for (std::size_t i = begin; i < end; ++i)
        for (std::size_t j = 0; j < a.shape()[1]; ++j) out(i - begin, j) = a(i, j);
    return out;
}

std::vector<Array<double>> train(bool distributed) {
    const int r = distributed ? dist::rank() : 0, n = distributed ? dist::size() : 1;
    nn::Rng data_rng(3);
    const BlogData<double> data = blog_data<double>(4 * kGlobalBatch, data_rng);
    nn::Rng init_rng(100 + r);  // different weights per rank: the broadcast must fix that
    nn::Sequential<double> net = blog_network<double>(init_rng);
    if (distributed) dist::broadcast_parameters(net);
    optim::SGD<double> sgd(net.parameters(), 0.5);
    Tape tape;
    for (int s = 0; s < kSteps; ++s) {
        const std::size_t batch = (s % 4) * kGlobalBatch;  // the global batch of this step
        const std::size_t begin = batch + r * kGlobalBatch / n;
        const std::size_t end = batch + (r + 1) * kGlobalBatch / n;
        sgd.zero_grad();
        tape.backward(nn::half_sse_per_example(net(Tensor<double>(rows(data.x, begin, end))),
                                               Tensor<double>(rows(data.y, begin, end))));
        if (distributed) dist::allreduce_gradients(net);
        sgd.step();
    }
    std::vector<Array<double>> out;
    for (const auto& p : net.parameters()) out.push_back(p.value());
    return out;
}

TEST(Dist, RanksTrainLikeOneProcess) {
    ASSERT_GE(dist::size(), 2) << "run under mpirun -np 2";
    const auto together = train(true);
    const auto alone = train(false);  // every rank computes the one-process run itself
    nn::Rng init_rng(100);
    const auto initial = blog_network<double>(init_rng).parameters();
    for (std::size_t i = 0; i < alone.size(); ++i) {
        ASSERT_GT(relative_error(alone[i], initial[i].value()), 1e-6) << "parameter #" << i;
        EXPECT_LT(relative_error(together[i], alone[i]), 1e-12)
            << "rank " << dist::rank() << ", parameter #" << i;
    }
}

nn::Sequential<double> model_for_rank(int variant, nn::Rng& rng) {
    nn::Sequential<double> net;
    net.add(nn::Dense<double>(1, 32, rng)).add(nn::Sigmoid<double>());
    net.add(nn::Dense<double>(32, variant == 1 ? 31 : 32, rng)).add(nn::Sigmoid<double>());
    net.add(nn::Dense<double>(variant == 1 ? 31 : 32, 1, rng));
    if (variant == 2) net.add(nn::Dense<double>(1, 1, rng));
    return net;
}

TEST(Dist, AParameterWithoutAGradientOnEveryRankKeepsNone) {
    nn::Rng rng(6);
    nn::Sequential<double> net{nn::Dense<double>(2, 2, rng), nn::Dense<double>(2, 1, rng)};
    const auto params = net.parameters();  // 0.weight, 0.bias, 1.weight, 1.bias
    Tape tape;
    // Only the first layer is used; on rank 1 its bias is not used either.
    const Tensor<double> x(xt::xarray<double>{{1.0, 2.0}});
    const Tensor<double> h = dist::rank() == 1 ? matmul(x, transpose(params[0])) : net[0](x);
    tape.backward(sum(h));
    dist::allreduce_gradients(net);
    EXPECT_TRUE(params[0].has_grad());
    EXPECT_TRUE(params[1].has_grad());  // rank 0 has one: zeros count for rank 1
    EXPECT_FALSE(params[2].has_grad());
    EXPECT_FALSE(params[3].has_grad());
    EXPECT_EQ(params[1].grad().value(), (xt::xarray<double>{0.5, 0.5}));  // (1 + 0) / 2
}

TEST(Dist, MismatchedModelsRaiseOnEveryRankNamingTheParameter) {
    nn::Rng rng(5);
    const bool odd = dist::rank() % 2 == 1;
    // Shapes differ at parameter #2 ('2.weight'): every rank throws, none hangs.
    try {
        dist::broadcast_parameters(model_for_rank(odd ? 1 : 0, rng));
        ADD_FAILURE() << "rank " << dist::rank() << ": expected a MismatchError";
    } catch (const dist::MismatchError& e) {
        EXPECT_EQ(std::string(e.what()),
                  "tg::distributed: the ranks' models differ at parameter #2: rank 0 has "
                  "'2.weight' float64 (32, 32), rank 1 has '2.weight' float64 (31, 32); build "
                  "the same model on every rank (names, shapes and dtypes as in "
                  "named_parameters())");
    }
    // One more parameter on odd ranks: the first missing one is named.
    try {
        dist::check_same_parameters(model_for_rank(odd ? 2 : 0, rng));
        ADD_FAILURE() << "rank " << dist::rank() << ": expected a MismatchError";
    } catch (const dist::MismatchError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("parameter #6: rank 0 has no parameter #6 (6 in all), rank 1 has "
                            "'5.weight' float64 (1, 1)"),
                  std::string::npos)
            << what;
    }
    // Other shapes of equal sizes, (8, 4) and (4, 8), caught by allreduce_gradients alone,
    // before any gradient is exchanged.
    try {
        dist::allreduce_gradients(
            nn::Sequential<double>{nn::Linear<double>(odd ? 8 : 4, odd ? 4 : 8, rng, false)});
        ADD_FAILURE() << "rank " << dist::rank() << ": expected a MismatchError";
    } catch (const dist::MismatchError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("rank 0 has '0.weight' float64 (8, 4), rank 1 has '0.weight' "
                            "float64 (4, 8)"),
                  std::string::npos)
            << what;
    }
    // Equal models: no error, and the broadcast makes the values equal too.
    nn::Rng other(50 + dist::rank());
    auto net = model_for_rank(0, other);
    EXPECT_NO_THROW(dist::broadcast_parameters(net));
    nn::Rng zero(50);
    const auto rank0 = model_for_rank(0, zero).parameters();
    for (std::size_t i = 0; i < rank0.size(); ++i)
        EXPECT_EQ(relative_error(net.parameters()[i].value(), rank0[i].value()), 0.0);
}

}  // namespace
}  // namespace tg::test

int main(int argc, char** argv) {
    tg::distributed::Environment mpi(argc, argv);
    ::testing::InitGoogleTest(&argc, argv);
    tg::test::install_skip_policy();
    return RUN_ALL_TESTS();
}
