// Elementwise ops, sum and mean read a strided view in place (ops/src/strided_read.hpp,
// docs/design.md "Storage and views"): on transposed, narrowed, stepped, expanded and
// permuted views, below and above kVectorizedMinSize, they give the same bits as on a
// contiguous copy of the view (values, first derivatives with and without create_graph,
// second derivatives), and their forward copies nothing (detail::bytes_moved).

#include "op_test_util.hpp"

#include <tapegrad/detail/copy_counter.hpp>
#include <tapegrad/detail/vectorize.hpp>
#include <tapegrad/ops.hpp>

#include <functional>
#include <random>
#include <string>
#include <vector>

namespace {

using tg::Shape;
using tg::Tensor;

/// A strided view of a parameter of shape `base`.
template <class T>
struct View {
    std::string name;
    Shape base;
    std::function<Tensor<T>(const Tensor<T>&)> make;
};

/// Each kind of strided view, once below and once above kVectorizedMinSize (64) elements.
template <class T>
std::vector<View<T>> views() {
    static_assert(tg::detail::kVectorizedMinSize == 64, "the sizes below straddle it");
    return {
        {"transposed_15", {3, 5}, [](const Tensor<T>& p) { return tg::transpose(p); }},
        {"transposed_180", {9, 20}, [](const Tensor<T>& p) { return tg::transpose(p); }},
        {"narrowed_8", {2, 7}, [](const Tensor<T>& p) { return tg::narrow(p, 1, 1, 4); }},
        {"narrowed_66", {6, 15}, [](const Tensor<T>& p) { return tg::narrow(p, 1, 2, 11); }},
        {"stepped_70", {7, 20}, [](const Tensor<T>& p) { return tg::slice(p, 1, 0, tg::kEnd, 2); }},
        {"expanded_96",
         {1, 12},
         [](const Tensor<T>& p) {
             return tg::broadcast_to(p, Shape{8, 12});
         }},
        {"permuted_120",
         {3, 4, 10},
         [](const Tensor<T>& p) {
             return tg::permute(p, {2, 0, 1});
         }},
    };
}

/// Bit-for-bit equality of shapes and values.
template <class T>
::testing::AssertionResult same(const Tensor<T>& a, const Tensor<T>& b) {
    if (a.shape() != b.shape())
        return ::testing::AssertionFailure()
               << "shapes " << tg::shape_str(a.shape()) << " and " << tg::shape_str(b.shape());
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a.value().data()[i] != b.value().data()[i])
            return ::testing::AssertionFailure() << "element " << i << ": " << a.value().data()[i]
                                                 << " and " << b.value().data()[i];
    return ::testing::AssertionSuccess();
}

/// f of a view, its derivatives, and the bytes its forward moved.
template <class T>
struct Outcome {
    Tensor<T> value, first, first_graph, second;
    std::uint64_t moved = 0;
};

template <class T>
class StridedElementwise : public ::testing::Test {
protected:
    using Fn = std::function<Tensor<T>(const Tensor<T>&)>;

    /// f(x) with x = view(p) (strided) or its contiguous() copy; the derivatives of
    /// L = Σ f(x) ⊙ w with respect to p (without and with create_graph), and of
    /// Σ (dL/dp) ⊙ w2.
    Outcome<T> run(const View<T>& v, const Fn& f, const xt::xarray<T>& base, const Tensor<T>& w,
                   const Tensor<T>& w2, bool strided) {
        Outcome<T> out;
        const Tensor<T> p = tg::parameter<T>(base);
        auto input = [&] {
            Tensor<T> x = v.make(p);
            EXPECT_FALSE(x.is_contiguous()) << v.name << " is not a strided view";
            return strided ? x : x.contiguous();
        };
        {
            tg::Tape tape;
            const Tensor<T> x = input();
            const std::uint64_t before = tg::detail::bytes_moved();
            out.value = f(x);
            out.moved = tg::detail::bytes_moved() - before;
            out.first = tape.gradient(tg::sum(out.value * w), {p})[0];
        }
        tg::Tape tape;
        tg::BackwardOptions o;
        o.create_graph = true;
        out.first_graph = tape.gradient(tg::sum(f(input()) * w), {p}, o)[0];
        // A first derivative that does not depend on p (f linear) has no second.
        out.second = out.first_graph.requires_grad()
                         ? tape.gradient(tg::sum(out.first_graph * w2), {p})[0]
                         : tg::zeros_like(p.detach());
        return out;
    }

    /// f on each view agrees bit for bit with f on its contiguous copy, and its forward
    /// on the view moves no bytes. Inputs are drawn from [lo, hi].
    void check(const std::string& what, const Fn& f, double lo = 0.5, double hi = 1.5) {
        for (const View<T>& v : views<T>()) {
            SCOPED_TRACE(what + " on " + v.name);
            const xt::xarray<T> base = tg::test::random_array<T>(v.base, rng_, lo, hi);
            const Shape out_shape = f(v.make(Tensor<T>(base))).shape();
            const Tensor<T> w(tg::test::random_array<T>(out_shape, rng_, -1, 1));
            const Tensor<T> w2(tg::test::random_array<T>(v.base, rng_, -1, 1));
            const Outcome<T> s = run(v, f, base, w, w2, true);
            const Outcome<T> c = run(v, f, base, w, w2, false);
            EXPECT_TRUE(same(s.value, c.value)) << "value";
            EXPECT_TRUE(same(s.first, c.first)) << "first derivative";
            EXPECT_TRUE(same(s.first_graph, c.first_graph)) << "first derivative, create_graph";
            EXPECT_TRUE(same(s.second, c.second)) << "second derivative";
            EXPECT_EQ(s.moved, 0u) << "the forward copied the view";
        }
    }

    std::mt19937_64 rng_{27};
};

using ElementTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(StridedElementwise, ElementTypes);

TYPED_TEST(StridedElementwise, UnaryOps) {
    using T = TypeParam;
    this->check("neg", [](const Tensor<T>& x) { return tg::neg(x); });
    this->check("exp", [](const Tensor<T>& x) { return tg::exp(x); });
    this->check("log", [](const Tensor<T>& x) { return tg::log(x); });
    this->check("sqrt", [](const Tensor<T>& x) { return tg::sqrt(x); });
    this->check("tanh", [](const Tensor<T>& x) { return tg::tanh(x); });
    this->check("sigmoid", [](const Tensor<T>& x) { return tg::sigmoid(x); });
    this->check(
        "gelu", [](const Tensor<T>& x) { return tg::gelu(x); }, -2, 2);
    this->check(
        "relu", [](const Tensor<T>& x) { return tg::relu(x); }, -1, 1);
    this->check("pow 3", [](const Tensor<T>& x) { return tg::pow(x, T(3)); });
}

/// A binary op with the view on either side, on both sides, against a tensor of the
/// view's shape, a row broadcast along its first axis, and a one-element tensor.
TYPED_TEST(StridedElementwise, BinaryOps) {
    using T = TypeParam;
    using Binary = std::function<Tensor<T>(const Tensor<T>&, const Tensor<T>&)>;
    const std::vector<std::pair<std::string, Binary>> ops = {
        {"add", [](const Tensor<T>& a, const Tensor<T>& b) { return a + b; }},
        {"sub", [](const Tensor<T>& a, const Tensor<T>& b) { return a - b; }},
        {"mul", [](const Tensor<T>& a, const Tensor<T>& b) { return a * b; }},
        {"div", [](const Tensor<T>& a, const Tensor<T>& b) { return a / b; }},
        {"pow", [](const Tensor<T>& a, const Tensor<T>& b) { return tg::pow(a, b); }},
        {"atan2", [](const Tensor<T>& a, const Tensor<T>& b) { return tg::atan2(a, b); }},
    };
    for (const auto& [name, op] : ops) {
        this->check(name + "(x, x)", [op = op](const Tensor<T>& x) { return op(x, x); });
        this->check(name + "(x, other)", [op = op](const Tensor<T>& x) {
            std::mt19937_64 rng(1);  // the same other on the strided and the contiguous side
            return op(x, Tensor<T>(tg::test::random_array<T>(x.shape(), rng, 0.5, 1.5)));
        });
        this->check(name + "(other, x)", [op = op](const Tensor<T>& x) {
            std::mt19937_64 rng(2);
            return op(Tensor<T>(tg::test::random_array<T>(x.shape(), rng, 0.5, 1.5)), x);
        });
        this->check(name + "(x, row)", [op = op](const Tensor<T>& x) {
            std::mt19937_64 rng(3);
            const Shape shape = x.shape();
            const Shape row(shape.begin() + 1, shape.end());
            return op(x, Tensor<T>(tg::test::random_array<T>(row, rng, 0.5, 1.5)));
        });
        this->check(name + "(scalar, x)",
                    [op = op](const Tensor<T>& x) { return op(Tensor<T>(T(0.75)), x); });
    }
}

TYPED_TEST(StridedElementwise, SumAndMean) {
    using T = TypeParam;
    this->check(
        "sum", [](const Tensor<T>& x) { return tg::sum(x); }, -1, 1);
    this->check(
        "mean", [](const Tensor<T>& x) { return tg::mean(x); }, -1, 1);
    for (long axis : {0L, 1L, -1L}) {
        const std::string a = std::to_string(axis);
        this->check(
            "sum axis " + a, [axis](const Tensor<T>& x) { return tg::sum(x, {axis}); }, -1, 1);
        this->check(
            "sum keepdims axis " + a,
            [axis](const Tensor<T>& x) { return tg::sum(x, {axis}, true); }, -1, 1);
        this->check(
            "mean axis " + a, [axis](const Tensor<T>& x) { return tg::mean(x, {axis}); }, -1, 1);
    }
}

}  // namespace
