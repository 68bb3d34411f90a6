// Every sample of every differentiable op in the op table (op_table.cpp), run on strided
// views (transposed, narrowed, stepped, expanded) of parameters, against the same op on
// contiguous copies of the same values gathered from the parameters by position (tg::gather):
// values, first derivatives and second derivatives (create_graph) with respect to the
// parameters must agree. An op reading a view through value() sees a contiguous copy; one
// that reads strides itself (matmul) agrees to rounding. The gradients run through the view
// ops' backward (added into a window of the parameter's gradient) on one side and through
// gather's (scattered by position) on the other.

#include "op_table.hpp"

#include <xtensor/xbuilder.hpp>
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xview.hpp>

#include <ostream>

namespace {

using tg::Tensor;
using tg::test::Inputs;
using tg::test::OpInfo;
using tg::test::Sample;
using Values = std::vector<xt::xarray<double>>;

/// How a view of a parameter is made whose values are those of a sample input x.
enum class Maker { transposed, narrowed, stepped, expanded };
const char* name_of(Maker m) {
    switch (m) {
        case Maker::transposed: return "transposed";
        case Maker::narrowed: return "narrowed";
        case Maker::stepped: return "stepped";
        default: return "expanded";
    }
}

/// The parameter's values for input x: a tensor the maker's view of which holds x (for
/// `expanded`, x's first entry along axis 0, repeated).
xt::xarray<double> base_of(Maker m, const xt::xarray<double>& x) {
    const std::size_t last = x.dimension() - 1;
    switch (m) {
        case Maker::transposed: return xt::transpose(x);
        case Maker::narrowed: {  // x at [1, 1 + n) of the last axis, 7 around it
            auto shape = x.shape();
            shape[last] += 2;
            xt::xarray<double> b = xt::xarray<double>::from_shape(shape);
            b.fill(7.0);
            xt::strided_view(b, {xt::ellipsis(), xt::range(1, x.shape()[last] + 1)}) = x;
            return b;
        }
        case Maker::stepped: {  // x at the even positions of the last axis
            auto shape = x.shape();
            shape[last] *= 2;
            xt::xarray<double> b = xt::xarray<double>::from_shape(shape);
            b.fill(-7.0);
            xt::strided_view(b, {xt::ellipsis(), xt::range(0, shape[last], 2)}) = x;
            return b;
        }
        default: {
            xt::xarray<double> b = xt::strided_view(x, {xt::range(0, 1), xt::ellipsis()});
            return b;
        }
    }
}

/// The maker's view of parameter p, of shape `shape`.
Tensor<double> view_of(Maker m, const Tensor<double>& p, const tg::Shape& shape) {
    switch (m) {
        case Maker::transposed: return tg::transpose(p);
        case Maker::narrowed: return tg::narrow(p, -1, 1, shape.back());
        case Maker::stepped: return tg::slice(p, -1, 0, tg::kEnd, 2);
        default: return tg::broadcast_to(p, shape);
    }
}

/// The sample's result, first derivatives of its second-order function and the
/// derivatives of <first derivatives, w> with respect to the parameters.
struct Outcome {
    xt::xarray<double> value;
    Values first, second;
    std::size_t strided_inputs = 0;  ///< how many of the op's inputs were not contiguous
};

Outcome run_case(const OpInfo& op, const Sample& s, Maker m, const Values& bases,
                 const Values& weights, bool copy) {
    tg::Tape tape;
    std::vector<Tensor<double>> params;
    Inputs inputs;
    Outcome r;
    const Inputs drawn = tg::test::draw_inputs(s, op.test_name());
    for (std::size_t i = 0; i < bases.size(); ++i) {
        params.push_back(tg::parameter<double>(bases[i]));
        const tg::Shape shape = drawn[i].shape();
        if (shape.empty()) {
            inputs.push_back(params[i]);
        } else if (copy) {
            // The view's values gathered by position (gather's backward, not the view's).
            const std::size_t n = params[i].size();
            const Tensor<double> at(
                xt::xarray<double>(view_of(m,
                                           Tensor<double>(xt::arange<double>(double(n)).reshape(
                                               params[i].value().shape())),
                                           shape)
                                       .value()));
            inputs.push_back(tg::reshape(
                tg::gather(tg::reshape(params[i], {n}), 0, tg::reshape(at, {at.size()})), shape));
        } else {
            inputs.push_back(view_of(m, params[i], shape));
            if (!inputs.back().is_contiguous()) ++r.strided_inputs;
        }
    }
    const Tensor<double> y = s.f(inputs);
    r.value = y.value();
    if (!y.requires_grad()) return r;
    const Tensor<double> loss = op.second_order(y, inputs);
    tg::BackwardOptions keep;
    keep.create_graph = true;
    const std::vector<Tensor<double>> g = tape.gradient(loss, params, keep);
    Tensor<double> inner(0.0);
    for (std::size_t i = 0; i < g.size(); ++i) {
        r.first.push_back(g[i].value());
        if (g[i].requires_grad()) inner = inner + tg::sum(g[i] * Tensor<double>(weights[i]));
    }
    if (!inner.requires_grad()) return r;
    for (const Tensor<double>& h : tape.gradient(inner, params)) r.second.push_back(h.value());
    return r;
}

::testing::AssertionResult close(const Values& a, const Values& b, const std::string& what) {
    if (a.size() != b.size())
        return ::testing::AssertionFailure() << what << ": " << a.size() << " vs " << b.size();
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].shape() != b[i].shape())
            return ::testing::AssertionFailure() << what << " #" << i << ": shapes differ";
        for (std::size_t k = 0; k < a[i].size(); ++k) {
            const double p = a[i].data()[k], q = b[i].data()[k];
            if (std::isnan(p) && std::isnan(q)) continue;
            if (!(std::abs(p - q) <= 1e-10 * (1 + std::abs(q))))
                return ::testing::AssertionFailure()
                       << what << " #" << i << " element " << k << ": " << p << " on views, " << q
                       << " on contiguous copies";
        }
    }
    return ::testing::AssertionSuccess();
}

struct Case {
    std::string name;
    const OpInfo* op;
    const Sample* sample;
    Maker maker;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

/// Whether the maker gives some input of the sample a strided view (a 1-D narrow, a
/// transposed vector, an axis 0 of size 1 expanded are contiguous).
bool applies(Maker m, const Sample& s) {
    for (const tg::Shape& shape : s.shapes) {
        if (shape.empty()) continue;
        const xt::xarray<double> x = xt::zeros<double>(shape);
        if (!view_of(m, Tensor<double>(base_of(m, x)), shape).is_contiguous()) return true;
    }
    return false;
}

std::vector<Case> cases() {
    std::vector<Case> out;
    for (const OpInfo& op : tg::test::op_table()) {
        if (op.kind == OpInfo::Kind::not_differentiable) continue;
        for (const Sample& s : op.samples)
            for (Maker m : {Maker::transposed, Maker::narrowed, Maker::stepped, Maker::expanded})
                if (applies(m, s))
                    out.push_back(
                        {op.test_name() + (s.label.empty() ? "" : "_" + s.label) + "_" + name_of(m),
                         &op, &s, m});
    }
    return out;
}

class OnViews : public ::testing::TestWithParam<Case> {};

TEST_P(OnViews, ValuesAndDerivativesMatchContiguousCopies) {
    const Case& c = GetParam();
    const Inputs drawn = tg::test::draw_inputs(*c.sample, c.op->test_name());
    Values bases, weights;
    std::mt19937_64 rng(tg::test::seed_of(c.name));
    for (const Tensor<double>& x : drawn) {
        bases.push_back(x.dim() == 0 ? xt::xarray<double>(x.value()) : base_of(c.maker, x.value()));
        weights.push_back(tg::test::random_array<double>(tg::Shape(bases.back().shape()), rng));
    }
    Outcome copies;
    try {
        copies = run_case(*c.op, *c.sample, c.maker, bases, weights, true);
    } catch (const tg::Error& e) {
        // The op refuses these values (an expanded matrix is singular): so must the views.
        EXPECT_THROW(run_case(*c.op, *c.sample, c.maker, bases, weights, false), tg::Error)
            << e.what();
        return;
    }
    const Outcome views = run_case(*c.op, *c.sample, c.maker, bases, weights, false);
    EXPECT_GT(views.strided_inputs, 0u) << "no input was a strided view: the case tests nothing";
    EXPECT_TRUE(close({views.value}, {copies.value}, "value"));
    EXPECT_TRUE(close(views.first, copies.first, "first derivative"));
    EXPECT_TRUE(close(views.second, copies.second, "second derivative"));
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(AllOps, OnViews, ::testing::ValuesIn(cases()), case_name);

}  // namespace
