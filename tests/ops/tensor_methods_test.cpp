// Each torch.Tensor-style method of tg::Tensor gives what the free function it calls gives:
// the same values and, through the tape, the same gradients, bit for bit (one formula per
// op: a method that computed anything itself could differ in the last bit or the rule).

#include "op_test_util.hpp"

#include <limits>

namespace tg::test {
namespace {

using T = Tensor<double>;
using Fn = std::function<T(const T&)>;

/// One method against its free function on an input of `shape` drawn from [lo, hi].
struct MethodCase {
    std::string name;
    Shape shape;
    Fn method, free;
    double lo = -1.5, hi = 1.5;
};

std::ostream& operator<<(std::ostream& os, const MethodCase& c) { return os << c.name; }

/// The values of a and b are identical, elementwise (NaN matching NaN).
::testing::AssertionResult identical(const T& a, const T& b) {
    if (a.shape() != b.shape())
        return ::testing::AssertionFailure()
               << "shapes " << shape_str(a.shape()) << " and " << shape_str(b.shape());
    for (std::size_t i = 0; i < a.numel(); ++i) {
        const double u = a.value().data()[i], v = b.value().data()[i];
        if (!(u == v || (std::isnan(u) && std::isnan(v))))
            return ::testing::AssertionFailure() << "element " << i << ": " << u << " vs " << v;
    }
    return ::testing::AssertionSuccess();
}

std::vector<MethodCase> cases() {
    const T kOther{{0.5, -1.0, 2.0, 0.25}, {1.5, 0.75, -0.5, 1.0}, {-2.0, 0.1, 0.3, 1.25}};
    const T mask{{1.0, 0.0, 0.0, 1.0}, {0.0, 1.0, 0.0, 0.0}, {0.0, 0.0, 1.0, 1.0}};
    const T square_m = T{{1.0, 2.0, 0.5}, {0.0, -1.0, 1.5}, {2.0, 1.0, -0.5}, {0.3, 0.2, 0.1}};
    return {
        {"sum", {3, 4}, [](const T& x) { return x.sum(); }, [](const T& x) { return sum(x); }},
        {"sum_dim",
         {3, 4},
         [](const T& x) { return x.sum(1); },
         [](const T& x) { return sum(x, {1}); }},
        {"sum_dim_keepdim",
         {3, 4},
         [](const T& x) { return x.sum(-1, true); },
         [](const T& x) { return sum(x, {-1}, true); }},
        {"sum_dims",
         {2, 3, 4},
         [](const T& x) {
             return x.sum({0, 2});
         },
         [](const T& x) {
             return sum(x, {0, 2});
         }},
        {"mean", {3, 4}, [](const T& x) { return x.mean(); }, [](const T& x) { return mean(x); }},
        {"mean_dim",
         {3, 4},
         [](const T& x) { return x.mean(0, true); },
         [](const T& x) { return mean(x, {0}, true); }},
        {"mean_dims",
         {2, 3, 4},
         [](const T& x) {
             return x.mean({1, 2});
         },
         [](const T& x) {
             return mean(x, {1, 2});
         }},
        {"max", {3, 4}, [](const T& x) { return x.max(); }, [](const T& x) { return max(x); }},
        {"max_dim",
         {3, 4},
         [](const T& x) { return x.max(1); },
         [](const T& x) { return max(x, 1); }},
        {"min", {3, 4}, [](const T& x) { return x.min(); }, [](const T& x) { return min(x); }},
        {"min_dim",
         {3, 4},
         [](const T& x) { return x.min(0, true); },
         [](const T& x) { return min(x, 0, true); }},
        {"argmax",
         {3, 4},
         [](const T& x) { return to_floating<double>(x.argmax(1)); },
         [](const T& x) { return to_floating<double>(argmax(x, 1)); }},
        // torch.argmax(x) without a dim: the flattened position, a 0-d int64 tensor.
        {"argmax_all",
         {3, 4},
         [](const T& x) { return to_floating<double>(x.argmax()); },
         [](const T& x) { return to_floating<double>(argmax(x)); }},
        {"argmin_all",
         {2, 3, 2},
         [](const T& x) { return to_floating<double>(x.argmin()); },
         [](const T& x) { return to_floating<double>(argmin(x)); }},
        {"argmin",
         {3, 4},
         [](const T& x) { return to_floating<double>(x.argmin(0, true)); },
         [](const T& x) { return to_floating<double>(argmin(x, 0, true)); }},
        {"prod",
         {3, 4},
         [](const T& x) { return x.prod(1); },
         [](const T& x) { return prod(x, 1); }},
        {"var",
         {3, 4},
         [](const T& x) { return x.var(1); },
         [](const T& x) { return var(x, {1}); }},
        {"var_dims",
         {2, 3, 4},
         [](const T& x) {
             return x.var({0, 2}, 0, true);
         },
         [](const T& x) {
             return var(x, {0, 2}, 0, true);
         }},
        {"std",
         {3, 4},
         [](const T& x) { return x.std(0); },
         [](const T& x) { return std(x, {0}); }},
        {"std_dims",
         {2, 3, 4},
         [](const T& x) { return x.std({1}, 0); },
         [](const T& x) { return std(x, {1}, 0); }},
        {"logsumexp",
         {3, 4},
         [](const T& x) { return x.logsumexp(1); },
         [](const T& x) { return logsumexp(x, {1}); }},
        {"cumsum",
         {3, 4},
         [](const T& x) { return x.cumsum(0); },
         [](const T& x) { return cumsum(x, 0); }},
        {"norm", {3, 4}, [](const T& x) { return x.norm(); }, [](const T& x) { return norm(x); }},
        {"norm_1",
         {3, 4},
         [](const T& x) { return x.norm(1); },
         [](const T& x) { return norm(x, 1); }},
        {"softmax",
         {3, 4},
         [](const T& x) { return x.softmax(1); },
         [](const T& x) { return softmax(x, 1); }},
        {"log_softmax",
         {3, 4},
         [](const T& x) { return x.log_softmax(0); },
         [](const T& x) { return log_softmax(x, 0); }},

        {"reshape",
         {3, 4},
         [](const T& x) {
             return x.reshape({2, 6});
         },
         [](const T& x) {
             return reshape(x, {2, 6});
         }},
        {"view",
         {3, 4},
         [](const T& x) { return x.view({12}); },
         [](const T& x) { return view(x, {12}); }},
        // PyTorch's −1: the size inferred from the element count.
        {"reshape_inferred",
         {3, 4},
         [](const T& x) {
             return x.reshape({-1, 2});
         },
         [](const T& x) {
             return reshape(x, {6, 2});
         }},
        {"view_inferred",
         {2, 3, 4},
         [](const T& x) {
             return x.view({2, -1});
         },
         [](const T& x) {
             return view(x, {2, 12});
         }},
        {"view_flat",
         {3, 4},
         [](const T& x) { return x.view({-1}); },
         [](const T& x) { return view(x, {12}); }},
        {"flatten",
         {2, 3, 4},
         [](const T& x) { return x.flatten(1); },
         [](const T& x) { return flatten(x, 1); }},
        {"squeeze",
         {3, 1, 4},
         [](const T& x) { return x.squeeze(); },
         [](const T& x) { return squeeze(x); }},
        {"squeeze_dim",
         {3, 1, 4},
         [](const T& x) { return x.squeeze(1); },
         [](const T& x) { return squeeze(x, 1); }},
        {"unsqueeze",
         {3, 4},
         [](const T& x) { return x.unsqueeze(0); },
         [](const T& x) { return unsqueeze(x, 0); }},
        {"t", {3, 4}, [](const T& x) { return x.t(); }, [](const T& x) { return transpose(x); }},
        {"t_1d", {4}, [](const T& x) { return x.t(); }, [](const T& x) { return x; }},
        {"transpose",
         {2, 3, 4},
         [](const T& x) { return x.transpose(0, -1); },
         [](const T& x) {
             return permute(x, {2, 1, 0});
         }},
        {"transpose_inner",
         {2, 3, 4},
         [](const T& x) { return x.transpose(1, 2); },
         [](const T& x) {
             return permute(x, {0, 2, 1});
         }},
        {"permute",
         {2, 3, 4},
         [](const T& x) {
             return x.permute({1, 2, 0});
         },
         [](const T& x) {
             return permute(x, {1, 2, 0});
         }},
        {"narrow",
         {3, 4},
         [](const T& x) { return x.narrow(1, 1, 2); },
         [](const T& x) { return narrow(x, 1, 1, 2); }},
        {"select",
         {3, 4},
         [](const T& x) { return x.select(0, -1); },
         [](const T& x) { return select(x, 0, -1); }},
        {"expand",
         {3, 1},
         [](const T& x) {
             return x.expand({2, 3, 4});
         },
         [](const T& x) {
             return broadcast_to(x, {2, 3, 4});
         }},
        // −1 keeps the size of the axis it lines up with (from the right).
        {"expand_keep",
         {3, 1},
         [](const T& x) {
             return x.expand({2, -1, 4});
         },
         [](const T& x) {
             return broadcast_to(x, {2, 3, 4});
         }},
        {"split",
         {5, 3},
         [](const T& x) { return x.split(2)[2]; },  // pieces of 2, 2 and 1 rows
         [](const T& x) {
             return split(x, {2, 2, 1}, 0)[2];
         }},
        {"split_sizes",
         {2, 5},
         [](const T& x) {
             return x.split({1, 4}, -1)[1];
         },
         [](const T& x) {
             return split(x, {1, 4}, -1)[1];
         }},
        {"chunk",
         {2, 5},
         [](const T& x) { return x.chunk(2, 1)[0]; },
         [](const T& x) { return chunk(x, 2, 1)[0]; }},

        {"exp", {3, 4}, [](const T& x) { return x.exp(); }, [](const T& x) { return exp(x); }},
        {"expm1",
         {3, 4},
         [](const T& x) { return x.expm1(); },
         [](const T& x) { return expm1(x); }},
        {"log",
         {3, 4},
         [](const T& x) { return x.log(); },
         [](const T& x) { return log(x); },
         0.5,
         2.0},
        {"log1p",
         {3, 4},
         [](const T& x) { return x.log1p(); },
         [](const T& x) { return log1p(x); },
         0.5,
         2.0},
        {"sqrt",
         {3, 4},
         [](const T& x) { return x.sqrt(); },
         [](const T& x) { return sqrt(x); },
         0.5,
         2.0},
        {"rsqrt",
         {3, 4},
         [](const T& x) { return x.rsqrt(); },
         [](const T& x) { return rsqrt(x); },
         0.5,
         2.0},
        {"square",
         {3, 4},
         [](const T& x) { return x.square(); },
         [](const T& x) { return square(x); }},
        {"abs", {3, 4}, [](const T& x) { return x.abs(); }, [](const T& x) { return abs(x); }},
        {"sign", {3, 4}, [](const T& x) { return x.sign(); }, [](const T& x) { return sign(x); }},
        {"neg", {3, 4}, [](const T& x) { return x.neg(); }, [](const T& x) { return neg(x); }},
        {"reciprocal",
         {3, 4},
         [](const T& x) { return x.reciprocal(); },
         [](const T& x) { return reciprocal(x); },
         0.5,
         2.0},
        {"sin", {3, 4}, [](const T& x) { return x.sin(); }, [](const T& x) { return sin(x); }},
        {"cos", {3, 4}, [](const T& x) { return x.cos(); }, [](const T& x) { return cos(x); }},
        {"tanh", {3, 4}, [](const T& x) { return x.tanh(); }, [](const T& x) { return tanh(x); }},
        {"sigmoid",
         {3, 4},
         [](const T& x) { return x.sigmoid(); },
         [](const T& x) { return sigmoid(x); }},
        {"relu", {3, 4}, [](const T& x) { return x.relu(); }, [](const T& x) { return relu(x); }},
        {"erf", {3, 4}, [](const T& x) { return x.erf(); }, [](const T& x) { return erf(x); }},
        {"pow",
         {3, 4},
         [](const T& x) { return x.pow(3); },
         [](const T& x) { return pow(x, 3.0); }},
        {"pow_tensor",
         {3, 4},
         [kOther](const T& x) { return x.pow(kOther); },
         [kOther](const T& x) { return pow(x, kOther); },
         0.5,
         2.0},
        {"clamp",
         {3, 4},
         [](const T& x) { return x.clamp(-0.5, 0.5); },
         [](const T& x) { return clamp(x, -0.5, 0.5); }},
        {"maximum",
         {3, 4},
         [kOther](const T& x) { return x.maximum(kOther); },
         [kOther](const T& x) { return maximum(x, kOther); }},
        {"maximum_number",
         {3, 4},
         [](const T& x) { return x.maximum(0.0); },
         [](const T& x) { return maximum(x, T(0.0)); }},
        {"minimum",
         {3, 4},
         [kOther](const T& x) { return x.minimum(kOther); },
         [kOther](const T& x) { return minimum(x, kOther); }},

        {"matmul",
         {2, 4, 3},
         [square_m](const T& x) { return x.matmul(square_m.t()); },
         [square_m](const T& x) { return matmul(x, transpose(square_m)); }},
        {"mm",
         {2, 4},
         [square_m](const T& x) { return x.mm(square_m); },
         [square_m](const T& x) { return gemm(x, square_m, false, false); }},

        {"gt",
         {3, 4},
         [kOther](const T& x) { return x.gt(kOther); },
         [kOther](const T& x) { return gt(x, kOther); }},
        {"lt", {3, 4}, [](const T& x) { return x.lt(0.0); }, [](const T& x) { return lt(x, 0.0); }},
        {"ge",
         {3, 4},
         [kOther](const T& x) { return x.ge(kOther); },
         [kOther](const T& x) { return ge(x, kOther); }},
        {"le", {3, 4}, [](const T& x) { return x.le(0.5); }, [](const T& x) { return le(x, 0.5); }},
        // x equals relu(x) where x >= 0: masks with both values.
        {"eq",
         {3, 4},
         [](const T& x) { return x.eq(relu(x)); },
         [](const T& x) { return eq(x, relu(x)); }},
        {"ne",
         {3, 4},
         [](const T& x) { return x.ne(relu(x)); },
         [](const T& x) { return ne(x, relu(x)); }},
        {"masked_fill",
         {3, 4},
         [mask](const T& x) { return x.masked_fill(mask, 2.0); },
         [mask](const T& x) { return masked_fill(x, mask, 2.0); }},
    };
}

class TensorMethod : public ::testing::TestWithParam<MethodCase> {};

TEST_P(TensorMethod, GivesTheFreeFunctionsValuesAndGradients) {
    const MethodCase& c = GetParam();
    std::mt19937_64 rng(seed_of(c.name));
    const T x = parameter(random_array<double>(c.shape, rng, c.lo, c.hi));
    Tape tape;
    const T by_method = c.method(x), by_function = c.free(x);
    EXPECT_TRUE(identical(by_method, by_function));
    ASSERT_EQ(by_method.requires_grad(), by_function.requires_grad());
    if (!by_function.requires_grad()) return;  // argmax, comparisons: no gradient either way
    // The gradient of <y, w> for one random w: the whole vector-Jacobian product.
    const T w(random_array<double>(by_function.shape(), rng));
    const T g_method = tape.gradient(sum(by_method * w), {x})[0];
    const T g_function = tape.gradient(sum(by_function * w), {x})[0];
    EXPECT_TRUE(identical(g_method, g_function));
}

INSTANTIATE_TEST_SUITE_P(Methods, TensorMethod, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<MethodCase>& info) {
                             return info.param.name;
                         });

TEST(TensorMethods, SizesAndNumel) {
    const T x = zeros({2, 3, 4});
    EXPECT_EQ(x.numel(), 24u);
    EXPECT_EQ(x.numel(), x.size());
    EXPECT_EQ(x.sizes(), (Shape{2, 3, 4}));
    EXPECT_EQ(x.size(0), 2u);
    EXPECT_EQ(x.size(-1), 4u);
    EXPECT_EQ(x.size(1), 3u);
    expect_error<ValueError>([&] { (void)x.size(3); }, "size: axis 3 is out of range");
}

TEST(TensorMethods, TOfMoreThanTwoAxesIsRefused) {
    expect_error<ShapeError>(
        [] {
            (void)zeros({2, 3, 4}).t();
        },
        "t(): expects a tensor of at most 2 axes, got shape (2, 3, 4); use "
        "transpose(dim0, dim1) or permute(dims) for more");
    EXPECT_EQ(zeros({2, 3}).t().shape(), (Shape{3, 2}));
    EXPECT_EQ(Tensor<>(1.0).t().shape(), Shape{});
}

TEST(TensorMethods, ChainAsInPyTorch) {
    // PyTorch: (x.t() @ x).relu().sum(0, keepdim=True).mean() written with methods.
    const T x = parameter(xt::xarray<double>{{1.0, -2.0}, {0.5, 3.0}, {-1.0, 0.25}});
    Tape tape;
    const T by_methods = x.t().matmul(x).relu().sum(0, true).mean();
    const T by_functions = mean(sum(relu(matmul(transpose(x), x)), {0}, true));
    EXPECT_TRUE(identical(by_methods, by_functions));
    EXPECT_TRUE(identical(tape.gradient(by_methods, {x})[0], tape.gradient(by_functions, {x})[0]));
}

TEST(TensorMethods, FloatTensorsHaveThemToo) {
    const Tensor<float> x = parameter<float>(xt::xarray<float>{{1.0f, -2.0f}, {0.5f, 3.0f}});
    Tape tape;
    const Tensor<float> y = x.relu().sum(1).mean();
    EXPECT_EQ(y.item(), sum(relu(x), {1}).mean().item());
    EXPECT_EQ(xt::xarray<float>(tape.gradient(y, {x})[0].value()),
              (xt::xarray<float>{{0.5f, 0.0f}, {0.5f, 0.5f}}));
    Tensor<float> c{1.0f, 2.0f};
    c *= 2;
    EXPECT_EQ(xt::xarray<float>((c > 3).value()), (xt::xarray<float>{0.0f, 1.0f}));
}

TEST(TensorMethods, ToAnotherElementType) {
    const T x{{1.5, -2.25}, {0.1, 3.0}};
    const Tensor<float> f = x.to<float>();
    EXPECT_TRUE(all_close(f, xt::xarray<float>{{1.5f, -2.25f}, {0.1f, 3.0f}}, 0, 0));
    EXPECT_FALSE(f.requires_grad());
    EXPECT_TRUE(x.to<double>().same(x));  // the same type: the tensor itself, as PyTorch
    EXPECT_TRUE(
        all_close(f.to<double>(), xt::xarray<double>{{1.5, -2.25}, {double(0.1f), 3.0}}, 0, 0));

    // A parameter casts outside recording; while a tape records, the cast would cut the
    // gradient, so it is refused.
    const T w = parameter(xt::xarray<double>{1.0, 2.0});
    EXPECT_EQ(w.to<float>().numel(), 2u);
    expect_error<GraphError>([&] { (void)w.to<float>(); },
                             "to(): a cast to another element type is not recorded (a tape holds "
                             "one element type), and this tensor requires grad while a tape "
                             "records, so its gradient would be lost");
    {
        Tape tape;
        NoGradGuard no_grad;
        EXPECT_FALSE(w.to<float>().requires_grad());
    }
}

TEST(TensorMethods, MinusOneAsPyTorchReadsIt) {
    // Shapes PyTorch 1.13 gives: torch.zeros(2, 3, 4).view(-1, 4) is (6, 4), ...
    const T x = zeros({2, 3, 4});
    EXPECT_EQ(x.view({-1, 4}).shape(), (Shape{6, 4}));
    EXPECT_EQ(x.reshape({3, -1, 2}).shape(), (Shape{3, 4, 2}));
    EXPECT_EQ(x.reshape({-1}).shape(), (Shape{24}));
    const std::size_t n = 2;  // a std::size_t beside a −1 in one braced list
    EXPECT_EQ(x.reshape({n, -1}).shape(), (Shape{2, 12}));
    EXPECT_EQ(zeros({0, 3}).reshape({-1, 3}).shape(), (Shape{0, 3}));
    EXPECT_EQ(Tensor<>(1.0).reshape({-1}).shape(), (Shape{1}));
    // expand: −1 keeps an axis; torch.zeros(1, 3).expand(2, 4, -1) is (2, 4, 3).
    EXPECT_EQ(zeros({1, 3}).expand({2, 4, -1}).shape(), (Shape{2, 4, 3}));
    EXPECT_EQ(zeros({3, 1}).expand({-1, -1}).shape(), (Shape{3, 1}));
    EXPECT_TRUE(detail::shares_storage(x.view({-1}), x));  // still a view

    expect_error<ShapeError>(
        [&] {
            (void)x.view({-1, -1});
        },
        "view: only one size may be -1 (inferred), got (-1, -1)");
    expect_error<ShapeError>(
        [&] {
            (void)x.reshape({5, -1});
        },
        "reshape: cannot infer the -1 in (5, -1) for a tensor of shape (2, "
        "3, 4) (24 elements): the other sizes multiply to 5, which does not "
        "divide the element count");
    expect_error<ShapeError>(
        [&] {
            (void)zeros({0, 3}).reshape({0, -1});
        },
        "the other sizes multiply to 0, so any size would do; give every "
        "size");
    expect_error<ShapeError>(
        [&] {
            (void)x.reshape({-2, 12});
        },
        "reshape: size -2 in (-2, 12) is invalid; sizes are >= 0, or -1 for "
        "one inferred from the others");
    expect_error<ShapeError>(
        [] {
            (void)zeros({1, 3}).expand({-1, 1, 3});
        },
        "expand: the -1 at position 0 of (-1, 1, 3) is a new leading axis "
        "for a tensor of shape (1, 3), so there is no size to keep; give its "
        "size");
    expect_error<ShapeError>([] { (void)zeros({3}).expand({-3}); },
                             "expand: size -3 in (-3) is invalid");
}

TEST(TensorMethods, SplitAsPyTorch) {
    // torch.arange(5.).split(2): sizes 2, 2, 1; a size past the axis: one piece; an empty
    // axis: one empty piece; torch.arange(5.).chunk(2): sizes 3, 2.
    const T x = arange(5);
    std::vector<std::size_t> sizes;
    for (const T& piece : x.split(2)) sizes.push_back(piece.numel());
    EXPECT_EQ(sizes, (std::vector<std::size_t>{2, 2, 1}));
    EXPECT_EQ(x.split(std::size_t{7}).size(), 1u);
    EXPECT_EQ(x.split(2)[2].item(), 4.0);
    EXPECT_TRUE(detail::shares_storage(x.split(2)[1], x));  // views, as torch's
    const std::vector<T> empty = zeros({0, 2}).split(0);
    ASSERT_EQ(empty.size(), 1u);
    EXPECT_EQ(empty[0].shape(), (Shape{0, 2}));
    EXPECT_EQ(x.chunk(2)[0].numel(), 3u);
    EXPECT_EQ(x.split({4, 1})[0].numel(), 4u);  // a braced list is the list of sizes
    expect_error<ValueError>([&] { (void)x.split(0); },
                             "split: split_size 0 on an axis of size 5 (shape (5)); give a size "
                             ">= 1 (0 only for an empty axis)");
    expect_error<ValueError>([&] { (void)x.split(-1); }, "split: split_size -1");
}

TEST(TensorMethods, IndexTensorsReshape) {
    // PyTorch's target.view(-1) and index.unsqueeze(1) (for gather) on int64 tensors.
    const Tensor<std::int64_t> labels{{2, 0}, {1, 3}};
    EXPECT_EQ(labels.reshape({-1}).shape(), (Shape{4}));
    EXPECT_EQ(labels.reshape({-1}).at({3}), 3);
    EXPECT_EQ(labels.flatten().shape(), (Shape{4}));
    EXPECT_EQ(labels.unsqueeze(1).shape(), (Shape{2, 1, 2}));
    EXPECT_EQ(labels.unsqueeze(0).squeeze().shape(), (Shape{2, 2}));
    EXPECT_EQ(labels.unsqueeze(0).squeeze(0).shape(), (Shape{2, 2}));
    EXPECT_EQ(labels.size(-1), 2u);
    const T logits{{0.1, 2.0, -1.0}, {3.0, 0.5, 0.25}};
    const Tensor<std::int64_t> best = logits.argmax(1);
    const T picked = gather(logits, 1, best.unsqueeze(1));
    EXPECT_EQ(picked.shape(), (Shape{2, 1}));
    EXPECT_EQ(picked.at({0, 0}), 2.0);
    EXPECT_EQ(picked.at({1, 0}), 3.0);
    EXPECT_EQ(logits.argmax().item(), 3);  // torch.argmax(logits): the flattened position
    EXPECT_EQ(logits.argmin().item(), 2);
}

TEST(TensorMethods, RequiresGradUnderPyTorchsName) {
    T x{1.0, 2.0};
    EXPECT_TRUE(x.requires_grad_().requires_grad());
    EXPECT_FALSE(x.requires_grad_(false).requires_grad());
}

}  // namespace
}  // namespace tg::test
