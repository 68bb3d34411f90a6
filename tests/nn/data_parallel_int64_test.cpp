// tg::nn::DataParallel with int64 class targets (DataParallel<T, std::int64_t>) and int64
// token inputs: the gradients of one thread with the same labels, and of the float-label
// form; rows that do not match are a ShapeError.

#include "nn/expect_message.hpp"
#include "nn/nn_test_util.hpp"

#include <tapegrad/nn/data_parallel.hpp>
#include <tapegrad/nn/embedding.hpp>

#include <cstdint>
#include <type_traits>

namespace tg::test {
namespace {

using Labels = Tensor<std::int64_t>;

nn::DataParallelOptions two_workers(nn::Split split) {
    nn::DataParallelOptions o;
    o.workers = 2;
    o.split = split;
    o.min_rows_per_worker = 8;
    o.min_work_per_worker = 0;
    return o;
}

std::vector<Array<double>> take_grads(nn::Module<double>& net) {
    std::vector<Array<double>> out;
    for (const auto& p : net.parameters()) out.push_back(p.grad().value());
    net.zero_grad();
    return out;
}

void expect_near(const std::vector<Array<double>>& got, const std::vector<Array<double>>& want,
                 const std::string& label) {
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i)
        EXPECT_LT(relative_error(got[i], want[i]), 1e-12) << label << ", parameter #" << i;
}

/// 4 inputs -> 3 classes; 101 rows (split unevenly), labels i·7 mod 3.
struct Classifier {
    nn::Rng rng{11};
    nn::Sequential<double> net{nn::Dense<double>(4, 8, rng), nn::Tanh<double>(),
                               nn::Dense<double>(8, 3, rng)};
    Tensor<double> x = randn<double>({101, 4}, rng);
    Labels labels = Labels::uninitialized({101});
    Classifier() {
        for (std::size_t i = 0; i < 101; ++i)
            labels.node()->value(i) = static_cast<std::int64_t>(i * 7 % 3);
    }
};

TEST(DataParallelInt64, Int64LabelsGiveTheOneThreadAndTheFloatLabelGradients) {
    for (nn::Split split : {nn::Split::batch, nn::Split::automatic}) {
        SCOPED_TRACE(split == nn::Split::batch ? "batch" : "automatic");
        Classifier c;
        Tape tape;
        const double whole = nn::cross_entropy(c.net(c.x), c.labels).item();
        tape.backward(nn::cross_entropy(c.net(c.x), c.labels));
        const auto want = take_grads(c.net);

        // The loss's typed second parameter gives Y (class template argument deduction).
        nn::DataParallel parallel(
            c.net,
            [](const Tensor<double>& logits, const Labels& y) {
                return nn::cross_entropy(logits, y);
            },
            two_workers(split));
        static_assert(std::is_same_v<decltype(parallel), nn::DataParallel<double, std::int64_t>>);
        // Split::automatic counts its work on the first step (one thread), then plans.
        const double loss = parallel.backward(c.x, c.labels);
        EXPECT_NEAR(loss, whole, 1e-12 * whole);
        if (split == nn::Split::batch) {
            ASSERT_EQ(parallel.workers_for(101), 2u);
        }
        expect_near(take_grads(c.net), want, "int64 labels");
        parallel.backward(c.x, c.labels);
        expect_near(take_grads(c.net), want, "int64 labels, second step");

        nn::DataParallel<double> as_float(
            c.net,
            [](const Tensor<double>& p, const Tensor<double>& y) {
                return nn::cross_entropy(p, y);
            },
            two_workers(split));
        const Tensor<double> float_labels = to_floating<double>(c.labels);
        as_float.backward(c.x, float_labels);
        as_float.backward(c.x, float_labels);
        const auto float_grads = take_grads(c.net);
        parallel.backward(c.x, c.labels);
        parallel.backward(c.x, c.labels);
        expect_near(take_grads(c.net), float_grads, "int64 vs float labels, two steps");
    }
}

TEST(DataParallelInt64, TokenInputsAndLabels) {
    nn::Rng rng(12);
    nn::Sequential<double> net{nn::Embedding<double>(10, 5, rng), nn::Dense<double>(5, 3, rng)};
    Labels tokens = Labels::uninitialized({64}), labels = Labels::uninitialized({64});
    for (std::size_t i = 0; i < 64; ++i) {
        tokens.node()->value(i) = static_cast<std::int64_t>(i * 3 % 10);
        labels.node()->value(i) = static_cast<std::int64_t>(i % 3);
    }
    Tape tape;
    tape.backward(nn::cross_entropy(net(tokens), labels));
    const auto want = take_grads(net);
    nn::DataParallel<double, std::int64_t> parallel(
        net, [](const Tensor<double>& p, const Labels& y) { return nn::cross_entropy(p, y); },
        two_workers(nn::Split::batch));
    ASSERT_EQ(parallel.workers_for(64), 2u);
    parallel.backward(tokens, labels);
    expect_near(take_grads(net), want, "int64 tokens");
}

TEST(DataParallelInt64, RowsThatDoNotMatchAreAShapeError) {
    Classifier c;
    nn::DataParallel<double, std::int64_t> parallel(
        c.net, [](const Tensor<double>& p, const Labels& y) { return nn::cross_entropy(p, y); },
        two_workers(nn::Split::batch));
    const Labels short_labels = Labels::uninitialized({100});
    expect_message<ShapeError>(
        [&] { parallel.backward(c.x, short_labels); },
        {"DataParallel::backward", "(101, 4)", "(100)", "same number of rows"});
    expect_message<ShapeError>([&] { parallel.backward(c.labels, short_labels); },
                               {"DataParallel::backward", "(101)", "(100)", "same number of rows"});
    // A model that does not take indices, given int64 inputs: the worker's ValueError.
    expect_message<nn::WorkerError>([&] { parallel.backward(c.labels, c.labels); },
                                    {"worker 0", "not int64 indices"});
    for (const auto& p : c.net.parameters()) EXPECT_FALSE(p.has_grad());
}

}  // namespace
}  // namespace tg::test
