// matmul for every pair of ranks numpy takes (1-D, 2-D, batched with broadcast batch axes),
// dot and outer (<tapegrad/ops/matmul.hpp>): values against nested loops in float and
// double on sizes on both sides of the GEMM kernels' thresholds, empty sizes, and the
// errors, which record nothing. (The gradchecks of every rank combination are rows of
// op_table.cpp.)

#include "op_test_util.hpp"

#include <functional>
#include <string>
#include <vector>

namespace tg::test {
namespace {

/// numpy.matmul by nested loops, in double: a vector a is the row (1, k) and a vector b
/// the column (k, 1), whose axes are removed from the result; batch axes (all but the last
/// two) broadcast, aligned from the right.
xt::xarray<double> loop_matmul(const xt::xarray<double>& a_in, const xt::xarray<double>& b_in) {
    const bool row = a_in.dimension() == 1, column = b_in.dimension() == 1;
    Shape sa, sb;  // the operands as matrices (or batches of them)
    if (row) sa.push_back(1);
    for (std::size_t size : a_in.shape()) sa.push_back(size);
    for (std::size_t size : b_in.shape()) sb.push_back(size);
    if (column) sb.push_back(1);
    const std::size_t n = sa[sa.size() - 2], k = sa.back(), m = sb.back();
    const std::size_t rank = std::max(sa.size(), sb.size());
    // Batch shapes padded with leading 1s to the same rank.
    Shape ba(rank - 2, 1), bb(rank - 2, 1), batch(rank - 2, 1);
    for (std::size_t i = 0; i + 2 < sa.size(); ++i) ba[rank - sa.size() + i] = sa[i];
    for (std::size_t i = 0; i + 2 < sb.size(); ++i) bb[rank - sb.size() + i] = sb[i];
    std::size_t count = 1;
    for (std::size_t d = 0; d + 2 < rank; ++d) {
        batch[d] = ba[d] == 1 ? bb[d] : ba[d];
        count *= batch[d];
    }
    std::vector<double> out(count * n * m, 0.0);
    for (std::size_t i = 0; i < count; ++i) {
        // The batch index of item i, then the matching item of a and of b.
        std::size_t rest = i, ia = 0, ib = 0, stride_a = 1, stride_b = 1;
        for (std::size_t d = batch.size(); d-- > 0;) {
            const std::size_t pos = rest % batch[d];
            rest /= batch[d];
            ia += (ba[d] == 1 ? 0 : pos) * stride_a;
            ib += (bb[d] == 1 ? 0 : pos) * stride_b;
            stride_a *= ba[d];
            stride_b *= bb[d];
        }
        for (std::size_t r = 0; r < n; ++r)
            for (std::size_t c = 0; c < m; ++c) {
                double sum = 0;
                for (std::size_t p = 0; p < k; ++p)
                    sum += a_in.data()[(ia * n + r) * k + p] * b_in.data()[(ib * k + p) * m + c];
                out[(i * m * n) + r * m + c] = sum;
            }
    }
    Shape shape = batch;
    if (!row) shape.push_back(n);
    if (!column) shape.push_back(m);
    xt::xarray<double> result = xt::xarray<double>::from_shape(shape);
    std::copy(out.begin(), out.end(), result.begin());
    return result;
}

/// A pair of operand shapes.
struct Ranks {
    std::string name;
    Shape a, b;
};

/// Every rank combination, with (n, k, m) placed in the matrix axes: a vector a is (k), a
/// vector b is (k).
std::vector<Ranks> rank_pairs(std::size_t n, std::size_t k, std::size_t m) {
    return {
        {"1d_1d", {k}, {k}},
        {"1d_2d", {k}, {k, m}},
        {"2d_1d", {n, k}, {k}},
        {"2d_2d", {n, k}, {k, m}},
        {"3d_2d", {2, n, k}, {k, m}},
        {"4d_2d", {2, 3, n, k}, {k, m}},
        {"3d_1d", {2, n, k}, {k}},
        {"1d_3d", {k}, {2, k, m}},
        {"1d_4d", {k}, {2, 3, k, m}},
        {"3d_3d", {3, n, k}, {3, k, m}},
        {"2d_3d", {n, k}, {3, k, m}},
        {"1xpq_3d", {1, n, k}, {3, k, m}},
        {"3d_1xqr", {3, n, k}, {1, k, m}},
        {"a1pq_3d", {2, 1, n, k}, {3, k, m}},
        {"3d_a1qr", {3, n, k}, {2, 1, k, m}},
        {"a1pq_1bqr", {2, 1, n, k}, {1, 3, k, m}},
        {"4d_4d", {2, 3, n, k}, {2, 3, k, m}},
        {"4d_3d", {2, 3, n, k}, {3, k, m}},
    };
}

template <class T>
class MatmulRanksTyped : public ::testing::Test {};
using Types = ::testing::Types<float, double>;
TYPED_TEST_SUITE(MatmulRanksTyped, Types);

TYPED_TEST(MatmulRanksTyped, ValuesMatchNestedLoops) {
    using T = TypeParam;
    const double tol = std::is_same_v<T, float> ? 5e-5 : 1e-13;
    // (n, k, m): products of at most 16 multiply-adds (plain loops), single rows below
    // 4,096 multiply-adds (register tiles), and BLAS, with remainders after the SIMD widths.
    const std::size_t sizes[][3] = {{1, 1, 1}, {2, 2, 3}, {1, 20, 9}, {3, 5, 4},
                                    {5, 1, 7}, {9, 33, 17}, {1, 40, 70}};
    for (const auto& size : sizes)
        for (const Ranks& r : rank_pairs(size[0], size[1], size[2])) {
            SCOPED_TRACE(r.name + " " + shape_str(r.a) + " @ " + shape_str(r.b));
            std::mt19937_64 rng(seed_of(r.name));
            const xt::xarray<T> a = random_array<T>(r.a, rng), b = random_array<T>(r.b, rng);
            const xt::xarray<double> expected =
                loop_matmul(xt::xarray<double>(a), xt::xarray<double>(b));
            EXPECT_TRUE(all_close(matmul(Tensor<T>(a), Tensor<T>(b)), expected, tol, tol));
        }
}

TYPED_TEST(MatmulRanksTyped, DotAndOuterMatchLoops) {
    using T = TypeParam;
    const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-13;
    for (std::size_t n : {1, 3, 70}) {
        std::mt19937_64 rng(n);
        const xt::xarray<T> a = random_array<T>({n}, rng), b = random_array<T>({n}, rng),
                            c = random_array<T>({n + 2}, rng);
        double sum = 0;
        for (std::size_t i = 0; i < n; ++i) sum += double(a(i)) * double(b(i));
        const Tensor<T> d = dot(Tensor<T>(a), Tensor<T>(b));
        EXPECT_EQ(d.dim(), 0u);
        EXPECT_NEAR(d.item(), sum, tol * n);
        xt::xarray<double> expected = xt::zeros<double>({n, n + 2});
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < n + 2; ++j) expected(i, j) = double(a(i)) * double(c(j));
        EXPECT_TRUE(all_close(outer(Tensor<T>(a), Tensor<T>(c)), expected, tol, tol));
    }
}

TEST(MatmulRanks, ResultShapesAsNumpy) {
    const auto shape_of = [](Shape a, Shape b) {
        return matmul(Tensor<>(xt::xarray<double>(xt::ones<double>(a))),
                      Tensor<>(xt::xarray<double>(xt::ones<double>(b))))
            .shape();
    };
    EXPECT_EQ(shape_of({4}, {4}), Shape{});
    EXPECT_EQ(shape_of({4}, {4, 2}), (Shape{2}));
    EXPECT_EQ(shape_of({3, 4}, {4}), (Shape{3}));
    EXPECT_EQ(shape_of({5, 3, 4}, {4}), (Shape{5, 3}));
    EXPECT_EQ(shape_of({4}, {5, 4, 2}), (Shape{5, 2}));
    EXPECT_EQ(shape_of({3, 4}, {5, 4, 2}), (Shape{5, 3, 2}));
    EXPECT_EQ(shape_of({6, 1, 3, 4}, {5, 4, 2}), (Shape{6, 5, 3, 2}));
    EXPECT_EQ(shape_of({1, 3, 4}, {1, 5, 4, 2}), (Shape{1, 5, 3, 2}));
}

TEST(MatmulRanks, BatchedTimesMatrixIsStillOneProduct) {
    // (B, n, k) @ (k, m): a reshape, one product over the B·n rows, a reshape.
    Tape tape;
    const Tensor<> a = parameter<double>(xt::ones<double>({5, 2, 3}));
    const Tensor<> b = parameter<double>(xt::ones<double>({3, 4}));
    const Tensor<> y = matmul(a, b);  // held: the tape keeps what is reachable
    EXPECT_EQ(tape.size(), 3u) << tape.dump();
}

TEST(MatmulRanks, BroadcastGradientsAreSummedOverTheBatch) {
    // (n, k) @ (b, k, m): d/da = Σ_i g_i b_iᵀ, the products summed over the batch.
    Tape tape;
    std::mt19937_64 rng(7);
    const Tensor<> a = parameter<double>(random_array<double>({2, 3}, rng));
    const Tensor<> b = parameter<double>(random_array<double>({4, 3, 5}, rng));
    const Tensor<> g(random_array<double>({4, 2, 5}, rng));
    const std::vector<Tensor<>> grads = tape.gradient(sum(matmul(a, b) * g), {a, b});
    xt::xarray<double> expected = xt::zeros<double>({2, 3});
    for (std::size_t i = 0; i < 4; ++i)
        for (std::size_t r = 0; r < 2; ++r)
            for (std::size_t c = 0; c < 3; ++c)
                for (std::size_t j = 0; j < 5; ++j)
                    expected(r, c) += g.value()(i, r, j) * b.value()(i, c, j);
    EXPECT_TRUE(all_close(grads[0], expected, 1e-13, 1e-13));
    EXPECT_EQ(grads[1].shape(), (Shape{4, 3, 5}));
}

TEST(MatmulRanks, EmptySizes) {
    Tape tape;
    const auto zeros_of = [](Shape s) {
        return parameter<double>(xt::xarray<double>(xt::zeros<double>(s)));
    };
    // An empty batch, and an empty inner dimension (products of nothing: zeros).
    const Tensor<> a = zeros_of({0, 2, 3}), b = zeros_of({0, 3, 4});
    EXPECT_EQ(matmul(a, b).shape(), (Shape{0, 2, 4}));
    const Tensor<> c = zeros_of({2, 2, 0}), d = zeros_of({2, 0, 3});
    const Tensor<> y = matmul(c, d);
    EXPECT_TRUE(all_close(y, xt::zeros<double>({2, 2, 3}), 0, 0));
    const std::vector<Tensor<>> g = tape.gradient(sum(y), {c, d});
    EXPECT_EQ(g[0].shape(), (Shape{2, 2, 0}));
    EXPECT_EQ(g[1].shape(), (Shape{2, 0, 3}));
    // A batch of 1 against an empty batch: the product is empty, the gradient of the
    // broadcast operand a sum of nothing (zeros).
    const Tensor<> h = parameter<double>(xt::xarray<double>(xt::ones<double>({1, 2, 3})));
    const Tensor<> empty_batch = zeros_of({0, 3, 4});
    const Tensor<> z = matmul(h, empty_batch);
    EXPECT_EQ(z.shape(), (Shape{0, 2, 4}));
    EXPECT_TRUE(all_close(tape.gradient(sum(z), {h})[0], xt::zeros<double>({1, 2, 3}), 0, 0));
    const Tensor<> e = zeros_of({0}), f = zeros_of({0});
    EXPECT_EQ(dot(e, f).item(), 0.0);
}

/// Runs `op` on a tape and expects a ShapeError whose message holds every part, with
/// nothing recorded.
void expect_shape_error(const std::function<void()>& op, const std::vector<std::string>& parts) {
    Tape tape;
    try {
        op();
        ADD_FAILURE() << "no error; expected one containing: " << parts[0];
    } catch (const ShapeError& e) {
        for (const std::string& part : parts)
            EXPECT_NE(std::string(e.what()).find(part), std::string::npos)
                << "got: " << e.what() << "\nexpected: " << part;
    }
    EXPECT_EQ(tape.size(), 0u) << parts[0];
}

TEST(MatmulRanks, ErrorsNameTheOpAndShapesAndRecordNothing) {
    const auto p = [](Shape s) {
        return parameter<double>(xt::xarray<double>(xt::ones<double>(s)));
    };
    expect_shape_error([&] { matmul(p({}), p({3})); },
                       {"matmul", "at least 1 dimension", "() @ (3)"});
    expect_shape_error([&] { matmul(p({3, 4}), p({})); }, {"matmul", "(3, 4) @ ()"});
    expect_shape_error([&] { matmul(p({3}), p({4})); },
                       {"matmul: inner dimensions differ: (3) @ (4) (3 vs 4)", "b's only"});
    expect_shape_error([&] { matmul(p({3}), p({4, 2})); },
                       {"matmul", "(3) @ (4, 2)", "second-to-last"});
    expect_shape_error([&] { matmul(p({2, 3}), p({4})); }, {"matmul", "(2, 3) @ (4)"});
    expect_shape_error([&] { matmul(p({2, 2, 3}), p({2, 4, 5})); },
                       {"matmul", "(2, 2, 3) @ (2, 4, 5)", "(3 vs 4)"});
    expect_shape_error([&] { matmul(p({2, 3}), p({5, 4, 2})); },
                       {"matmul", "(2, 3) @ (5, 4, 2)"});
    expect_shape_error([&] { matmul(p({2, 3, 4}), p({5, 4, 6})); },
                       {"matmul: batch dimensions (2) and (5) of (2, 3, 4) @ (5, 4, 6)",
                        "equal or 1"});
    expect_shape_error([&] { matmul(p({2, 1, 3, 4}), p({3, 3, 4, 6})); },
                       {"matmul", "(2, 1) and (3, 3)"});
    expect_shape_error([&] { dot(p({3}), p({4})); }, {"dot", "1-D", "(3) and (4)"});
    expect_shape_error([&] { dot(p({2, 3}), p({3})); }, {"dot", "(2, 3) and (3)"});
    expect_shape_error([&] { outer(p({2, 3}), p({3})); }, {"outer", "1-D", "(2, 3) and (3)"});
    expect_shape_error([&] { outer(p({2}), p({})); }, {"outer", "(2) and ()"});
}

}  // namespace
}  // namespace tg::test
