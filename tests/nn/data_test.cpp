// DataLoader: seeded shuffled minibatches of (x, y) rows, or of x rows alone.

#include "nn/expect_message.hpp"
#include "nn/nn_test_util.hpp"

#include <cstdint>
#include <set>
#include <type_traits>

namespace tg::test {
namespace {

/// x row i is (i, 10 i), y row i is −i: a batch shows which rows it holds.
struct Rows {
    Tensor<double> x, y;
};
Rows numbered_rows(std::size_t n) {
    Array<double> x(Shape{n, 2}), y(Shape{n});
    for (std::size_t i = 0; i < n; ++i) {
        x(i, 0) = static_cast<double>(i);
        x(i, 1) = 10.0 * static_cast<double>(i);
        y(i) = -static_cast<double>(i);
    }
    return {Tensor<double>(std::move(x)), Tensor<double>(std::move(y))};
}

std::vector<std::size_t> epoch_rows(nn::DataLoader<double>& loader) {
    std::vector<std::size_t> rows;
    for (const nn::Batch<double>& b : loader) {
        for (std::size_t i = 0; i < b.indices.size(); ++i) {
            const std::size_t row = static_cast<std::size_t>(b.x.value()(i, 0));
            EXPECT_EQ(row, b.indices[i]);
            EXPECT_EQ(b.x.value()(i, 1), 10.0 * static_cast<double>(row));
            EXPECT_EQ(b.y.value()(i), -static_cast<double>(row));  // x and y stay paired
            rows.push_back(row);
        }
    }
    return rows;
}

TEST(DataLoader, EveryRowOncePerEpochInBatchesOfTheGivenSize) {
    Rows d = numbered_rows(10);
    nn::DataLoader<double> loader(d.x, d.y, 4, {true, false, 1});
    EXPECT_EQ(loader.size(), 3u);
    std::vector<std::size_t> sizes;
    for (const auto& b : loader) sizes.push_back(b.x.shape()[0]);
    EXPECT_EQ(sizes, (std::vector<std::size_t>{4, 4, 2}));
    std::vector<std::size_t> rows = epoch_rows(loader);
    std::sort(rows.begin(), rows.end());
    for (std::size_t i = 0; i < 10; ++i) EXPECT_EQ(rows[i], i);
}

TEST(DataLoader, DropLastDropsTheShortBatch) {
    Rows d = numbered_rows(10);
    nn::DataLoader<double> loader(d.x, d.y, 4, {true, true, 1});
    EXPECT_EQ(loader.size(), 2u);
    EXPECT_EQ(epoch_rows(loader).size(), 8u);
}

TEST(DataLoader, SameSeedSameOrderAndEpochsDiffer) {
    Rows d = numbered_rows(50);
    nn::DataLoader<double> a(d.x, d.y, 8, {true, false, 3}), b(d.x, d.y, 8, {true, false, 3}),
        c(d.x, d.y, 8, {true, false, 4});
    const auto a1 = epoch_rows(a), a2 = epoch_rows(a);
    const auto b1 = epoch_rows(b), b2 = epoch_rows(b);
    EXPECT_EQ(a1, b1);
    EXPECT_EQ(a2, b2);
    EXPECT_NE(a1, a2);
    EXPECT_NE(a1, epoch_rows(c));
}

TEST(DataLoader, WithoutShuffleRowsComeInOrder) {
    Rows d = numbered_rows(5);
    nn::DataLoader<double> loader(d.x, d.y, 2, {false});
    EXPECT_EQ(epoch_rows(loader), (std::vector<std::size_t>{0, 1, 2, 3, 4}));
}

TEST(DataLoader, BatchesAreConstantsAndFloatWorks) {
    Tensor<float> x(Array<float>(Shape{6, 3}, 1.0f)), y(Array<float>(Shape{6, 1}, 2.0f));
    nn::DataLoader<float> loader(x, y, 4);
    for (const auto& b : loader) {
        EXPECT_FALSE(b.x.requires_grad());
        EXPECT_EQ(b.x.shape()[1], 3u);
        EXPECT_EQ(b.y.shape()[1], 1u);
    }
}

TEST(DataLoader, RejectsMismatchedRowsAndZeroBatch) {
    Rows d = numbered_rows(5);
    Tensor<double> short_y(Array<double>(Shape{4}, 0.0));
    EXPECT_THROW(nn::DataLoader<double>(d.x, short_y, 2), ShapeError);
    EXPECT_THROW(nn::DataLoader<double>(d.x, d.y, 0), ValueError);
}

TEST(DataLoader, WithoutTargetsGivesTheRowsOfXInTheSameOrder) {
    Rows d = numbered_rows(10);
    nn::DataLoader<double> paired(d.x, d.y, 4, {true, false, 5});
    nn::DataLoader<double> inputs(d.x, 4, {true, false, 5});
    EXPECT_TRUE(paired.has_targets());
    EXPECT_FALSE(inputs.has_targets());
    EXPECT_EQ(inputs.size(), 3u);
    for (int epoch = 0; epoch < 2; ++epoch) {  // the same seed, the same rows, epoch by epoch
        std::vector<std::vector<std::size_t>> with, without;
        for (const auto& b : paired) with.push_back(b.indices);
        for (const auto& b : inputs) {
            EXPECT_FALSE(b.y.defined());
            for (std::size_t i = 0; i < b.indices.size(); ++i)
                EXPECT_EQ(b.x.value()(i, 0), static_cast<double>(b.indices[i]));
            without.push_back(b.indices);
        }
        EXPECT_EQ(with, without);
    }
}

TEST(DataLoader, WithoutTargetsResumesFromItsState) {
    Rows d = numbered_rows(9);
    nn::DataLoader<double> first(d.x, 2, {true, false, 8});
    std::vector<std::size_t> expected;
    auto it = first.begin();
    ++it;  // two batches of the first epoch taken
    const nn::DataLoaderState state = first.state();
    for (++it; it != first.end(); ++it)
        expected.insert(expected.end(), it->indices.begin(), it->indices.end());
    nn::DataLoader<double> second(d.x, 2, {true, false, 99});
    second.load_state(state);
    std::vector<std::size_t> resumed;
    for (const auto& b : second) resumed.insert(resumed.end(), b.indices.begin(), b.indices.end());
    EXPECT_EQ(resumed, expected);
    EXPECT_EQ(resumed.size(), 5u);  // rows 4..8 of the order: batches 2, 3 and the short 4
}

TEST(DataLoader, Int64ClassTargetsComeInInt64Batches) {
    // PyTorch's DataLoader(TensorDataset(x, labels)) with labels of dtype long: the same
    // rows in the same order as a loader of float targets, y an int64 index tensor.
    Rows d = numbered_rows(10);
    Tensor<std::int64_t> labels = arange<std::int64_t>(10);    // label of row i: i
    nn::DataLoader classes(d.x, labels, 4, {true, false, 6});  // deduced: <double, int64>
    static_assert(std::is_same_v<decltype(classes), nn::DataLoader<double, std::int64_t>>);
    nn::DataLoader<double> floats(d.x, d.y, 4, {true, false, 6});
    EXPECT_TRUE(classes.has_targets());
    for (int epoch = 0; epoch < 2; ++epoch) {
        std::vector<std::vector<std::size_t>> with_int64, with_float;
        for (const nn::Batch<double, std::int64_t>& b : classes) {
            for (std::size_t i = 0; i < b.indices.size(); ++i) {
                EXPECT_EQ(b.y.at({i}), static_cast<std::int64_t>(b.indices[i]));
                EXPECT_EQ(b.x.value()(i, 0), static_cast<double>(b.indices[i]));
            }
            EXPECT_FALSE(b.y.requires_grad());
            with_int64.push_back(b.indices);
        }
        for (const auto& b : floats) with_float.push_back(b.indices);
        EXPECT_EQ(with_int64, with_float);
    }
    // The batches go to the class losses as they are, giving the float targets' loss.
    nn::DataLoader<float, std::int64_t> unshuffled(
        Tensor<float>{{2.0f, 0.5f, -1.0f}, {0.1f, 0.2f, 3.0f}}, Tensor<std::int64_t>{0, 2}, 2,
        {false, false, 0});
    const nn::Batch<float, std::int64_t> b = *unshuffled.begin();
    EXPECT_EQ(nn::cross_entropy(b.x, b.y).item(),
              nn::cross_entropy(b.x, Tensor<float>{0.0f, 2.0f}).item());
    // Rows must match, as with float targets.
    expect_message<ShapeError>(
        [&] { nn::DataLoader(d.x, arange<std::int64_t>(3), 2); },
        {"DataLoader: x of shape (10, 2) and y of shape (3) must have the same number of rows"});
}

}  // namespace
}  // namespace tg::test
