// The indexing and shape ops (<tapegrad/ops/index.hpp>): forward values against plain
// loops over x = 0, 1, 2, ... (so every value names its own position), float and double,
// and the errors, which record nothing. (Their gradchecks are rows of op_table.cpp.)

#include "op_test_util.hpp"

#include <numeric>
#include <xtensor/xadapt.hpp>

namespace tg::test {
namespace {

/// 0, 1, 2, ... in `shape`.
template <class T = double>
Tensor<T> counting(const Shape& shape, bool requires_grad = false) {
    Array<T> a = Array<T>::from_shape(shape);
    std::iota(a.begin(), a.end(), T(0));
    return Tensor<T>(std::move(a), requires_grad);
}

/// A column (n, 1) of `values`.
Tensor<> column(std::vector<double> values) {
    const std::size_t n = values.size();
    return reshape(Tensor<>(xt::adapt(values, {n})), {n, 1});
}

template <class T>
std::vector<T> flat(const Tensor<T>& t) {
    return std::vector<T>(t.value().data(), t.value().data() + t.size());
}

TEST(IndexOps, SliceAndSelectAsNumpy) {
    const Tensor<> x = counting({3, 5});  // row r, column c holds 5r + c
    EXPECT_EQ(flat(slice(x, 1, 1, 4)), (std::vector<double>{1, 2, 3, 6, 7, 8, 11, 12, 13}));
    EXPECT_EQ(flat(slice(x, -1, 0, kEnd, 2)), (std::vector<double>{0, 2, 4, 5, 7, 9, 10, 12, 14}));
    EXPECT_EQ(flat(slice(x, 1, -2)), (std::vector<double>{3, 4, 8, 9, 13, 14}));
    EXPECT_EQ(slice(x, 0, 5, 9).shape(), (Shape{0, 5}));  // clipped, as numpy
    EXPECT_EQ(slice(x, 0, -99, 1).shape(), (Shape{1, 5}));
    EXPECT_EQ(flat(select(x, 0, -1)), (std::vector<double>{10, 11, 12, 13, 14}));
    EXPECT_EQ(select(x, 1, 2).shape(), (Shape{3}));
    EXPECT_EQ(flat(select(x, 1, 2)), (std::vector<double>{2, 7, 12}));
    EXPECT_EQ(flat(index_select(x, 1, {4, 0, 4})),
              (std::vector<double>{4, 0, 4, 9, 5, 9, 14, 10, 14}));
}

TEST(IndexOps, GatherAndScatterAddAsTakeAlongAxis) {
    const Tensor<> x = counting({2, 3});
    const Tensor<> index{{2, 0}, {1, 1}};
    // take_along_axis(x, index, axis=1): row r takes x[r, index[r, j]].
    EXPECT_EQ(flat(gather(x, 1, index)), (std::vector<double>{2, 0, 4, 4}));
    const Tensor<> index0{{1, 0, 1}};
    EXPECT_EQ(flat(gather(x, 0, index0)), (std::vector<double>{3, 1, 5}));
    // scatter_add: x[r, index[r, j]] += src[r, j].
    const Tensor<> src{{10, 20}, {30, 40}};
    EXPECT_EQ(flat(scatter_add(x, 1, index, src)), (std::vector<double>{20, 1, 12, 3, 74, 5}));
}

TEST(IndexOps, StackSplitChunkSqueezeFlatten) {
    const Tensor<> a = counting({2, 2}), b = counting({2, 2}) + 10.0;
    const Tensor<> s0 = stack({a, b}), s1 = stack({a, b}, -1);
    EXPECT_EQ(s0.shape(), (Shape{2, 2, 2}));
    EXPECT_EQ(flat(s0), (std::vector<double>{0, 1, 2, 3, 10, 11, 12, 13}));
    EXPECT_EQ(s1.shape(), (Shape{2, 2, 2}));
    EXPECT_EQ(flat(s1), (std::vector<double>{0, 10, 1, 11, 2, 12, 3, 13}));
    const Tensor<> x = counting({2, 5});
    const auto parts = split(x, {2, 3}, 1);
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(flat(parts[1]), (std::vector<double>{2, 3, 4, 7, 8, 9}));
    const auto chunks = chunk(x, 3, 1);  // torch: sizes 2, 2, 1
    ASSERT_EQ(chunks.size(), 3u);
    EXPECT_EQ(chunks[2].shape(), (Shape{2, 1}));
    EXPECT_EQ(chunk(counting({4}), 3).size(), 2u);  // torch.chunk(arange(4), 3): sizes 2, 2
    const Tensor<> y = counting({1, 3, 1, 2});
    EXPECT_EQ(squeeze(y).shape(), (Shape{3, 2}));
    EXPECT_EQ(squeeze(y, 2).shape(), (Shape{1, 3, 2}));
    EXPECT_EQ(unsqueeze(counting({3}), -1).shape(), (Shape{3, 1}));
    EXPECT_EQ(unsqueeze(counting({3}), 0).shape(), (Shape{1, 3}));
    EXPECT_EQ(flatten(y).shape(), (Shape{6}));
    EXPECT_EQ(flatten(y, 1, 2).shape(), (Shape{1, 3, 2}));
    EXPECT_EQ(flatten(counting({2, 3, 4}), 1).shape(), (Shape{2, 12}));
}

TEST(IndexOps, PadFlipRepeatTileTriangles) {
    const Tensor<> x = counting({2, 2});
    const Tensor<> p = pad(x, {{1, 0}, {0, 2}}, -1.0);
    EXPECT_EQ(p.shape(), (Shape{3, 4}));
    EXPECT_EQ(flat(p), (std::vector<double>{-1, -1, -1, -1, 0, 1, -1, -1, 2, 3, -1, -1}));
    EXPECT_EQ(flat(pad(x, {{0, 1}, {1, 0}})), (std::vector<double>{0, 0, 1, 0, 2, 3, 0, 0, 0}));
    EXPECT_EQ(flat(flip(x, {0})), (std::vector<double>{2, 3, 0, 1}));
    EXPECT_EQ(flat(flip(x, {0, -1})), (std::vector<double>{3, 2, 1, 0}));
    const Tensor<> r = repeat(counting({2}), {2, 3});  // torch: shape (2, 6)
    EXPECT_EQ(r.shape(), (Shape{2, 6}));
    EXPECT_EQ(flat(r), (std::vector<double>{0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1}));
    EXPECT_EQ(tile(x, {2}).shape(), (Shape{2, 4}));  // numpy: reps get leading 1s
    EXPECT_EQ(flat(tile(x, {2})), (std::vector<double>{0, 1, 0, 1, 2, 3, 2, 3}));
    const Tensor<> m = counting({3, 3}) + 1.0;
    EXPECT_EQ(flat(tril(m)), (std::vector<double>{1, 0, 0, 4, 5, 0, 7, 8, 9}));
    EXPECT_EQ(flat(triu(m, 1)), (std::vector<double>{0, 2, 3, 0, 0, 6, 0, 0, 0}));
    EXPECT_EQ(flat(tril(m, -1)), (std::vector<double>{0, 0, 0, 4, 0, 0, 7, 8, 0}));
    EXPECT_EQ(flat(tril(counting<float>({2, 2, 2}))), (std::vector<float>{0, 0, 2, 3, 4, 0, 6, 7}));
}

TEST(IndexOps, ErrorsNameTheOpAndRecordNothing) {
    const Tensor<> x = counting({2, 3}, true);
    expect_error<ValueError>([&] { slice(x, 1, 0, 2, 0); }, "slice: step 0 is not positive");
    expect_error<ValueError>([&] { slice(x, 2, 0); }, "slice");
    expect_error<ValueError>([&] { select(x, 1, 3); },
                             "select: index 3 is out of range for axis 1 of size 3");
    expect_error<ValueError>(
        [&] {
            index_select(x, 0, {0, 2});
        },
        "index_select: index 2 is past the end of axis 0");
    expect_error<ValueError>([&] { gather(x, 1, column({0.5, 1})); }, "gather: index holds 0.5");
    expect_error<ValueError>([&] { gather(x, 1, column({3, 1})); }, "not a whole number in [0, 3)");
    expect_error<ShapeError>(
        [&] {
            gather(x, 1, Tensor<>{0, 1});
        },
        "gather: index of shape (2) needs as many axes");
    expect_error<ShapeError>(
        [&] {
            gather(x, 1, column({0, 1, 0}));
        },
        "larger than the tensor of shape (2, 3) on axis 0");
    expect_error<ShapeError>(
        [&] {
            scatter_add(x, 1, column({0, 1}), Tensor<>{1, 2});
        },
        "scatter_add: src of shape (2) and index of shape (2, 1)");
    expect_error<ShapeError>(
        [&] {
            stack({x, counting({3, 2})});
        },
        "stack: tensor #1 has shape (3, 2) but tensor #0 has (2, 3)");
    expect_error<ShapeError>([&] { split(x, {1, 1}, 1); }, "split: sizes (1, 1) add up to 2");
    expect_error<ValueError>([&] { chunk(x, 0); },
                             "chunk: the number of chunks must be at least 1");
    expect_error<ShapeError>([&] { squeeze(x, 0); },
                             "squeeze: axis 0 of shape (2, 3) has size 2, not 1");
    expect_error<ValueError>([&] { flatten(x, 1, 0); },
                             "flatten: start axis 1 comes after end axis 0");
    expect_error<ShapeError>(
        [&] {
            pad(x, {{1, 1}});
        },
        "pad: 1 (before, after) pairs for a tensor of shape (2, 3)");
    expect_error<ValueError>([&] { flip(x, {1, -1}); }, "flip: axis 1 is listed twice");
    expect_error<ShapeError>([&] { repeat(x, {2}); },
                             "repeat: 1 repeats for a tensor of shape (2, 3)");
    expect_error<ShapeError>([&] { tril(counting({3}, true)); }, "tril: needs at least 2 axes");
}

}  // namespace
}  // namespace tg::test
