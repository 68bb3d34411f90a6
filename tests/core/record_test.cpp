// tg::record: how an op registers its backward on the tape (tapegrad/record.hpp).

#include "test_helpers.hpp"

#include <tapegrad/error.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/reduce.hpp>
#include <tapegrad/record.hpp>
#include <tapegrad/tape.hpp>
#include <tapegrad/tensor.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>
#include <xtensor/xarray.hpp>

namespace {

using tg::test::contains;
using tg::test::error_message;

xt::xarray<double> val(const tg::Tensor<double>& t) { return t.value(); }

/// y = 3x, counting how often its backward runs.
tg::Tensor<double> triple(const tg::Tensor<double>& x, int* calls) {
    tg::Tensor<double> y(tg::Array<double>(x.value() * 3.0));
    tg::record("triple", {x}, y, {}, [calls](tg::BackwardContext<double>& c) {
        ++*calls;
        c.add(0, c.grad() * 3.0);
    });
    return y;
}

TEST(RecordTest, CustomOpRecordsAndRunsItsBackward) {
    tg::Tape tape;
    int calls = 0;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto y = triple(w, &calls);
    EXPECT_EQ(val(y), (xt::xarray<double>{3.0, 6.0}));
    EXPECT_TRUE(y.requires_grad());
    EXPECT_EQ(tape.size(), 1u);
    EXPECT_TRUE(contains(tape.dump(), "triple"));
    tape.backward(tg::sum(y));
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(val(w.grad()), (xt::xarray<double>{3.0, 3.0}));
}

TEST(RecordTest, NothingIsRecordedForConstantInputs) {
    tg::Tape tape;
    int calls = 0;
    auto y = triple(tg::Tensor<double>{1.0, 2.0}, &calls);
    EXPECT_EQ(tape.size(), 0u);
    EXPECT_FALSE(y.requires_grad());
    EXPECT_EQ(val(y), (xt::xarray<double>{3.0, 6.0}));
}

TEST(RecordTest, ContextReportsShapesSavedTensorsAndNeeds) {
    tg::Tape tape;
    auto a = tg::parameter<double>(xt::xarray<double>{{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
    auto b = tg::Tensor<double>{10.0, 20.0, 30.0};  // constant, broadcast over rows
    auto c = tg::parameter<double>(xt::xarray<double>{7.0});
    tg::Tensor<double> y(tg::Array<double>(a.value() + b.value() + c.value()));
    std::vector<bool> needs;
    std::size_t n_inputs = 0;
    tg::Shape in0, in1, out;
    double saved_first = 0.0;
    tg::record("probe", {a, b, c}, y, {b}, [&](tg::BackwardContext<double>& ctx) {
        n_inputs = ctx.num_inputs();
        needs = {ctx.needs(0), ctx.needs(1), ctx.needs(2)};
        in0 = ctx.input_shape(0);
        in1 = ctx.input_shape(1);
        out = ctx.output_shape();
        saved_first = ctx.saved(0).value()(0);
    });
    tape.backward(y, tg::Tensor<double>(xt::ones<double>({2, 3})), tg::BackwardOptions{true});
    EXPECT_EQ(n_inputs, 3u);
    EXPECT_EQ(needs, (std::vector<bool>{true, false, true}));
    EXPECT_EQ(in0, (tg::Shape{2, 3}));
    EXPECT_EQ(in1, (tg::Shape{3}));
    EXPECT_EQ(out, (tg::Shape{2, 3}));
    EXPECT_DOUBLE_EQ(saved_first, 10.0);

    // In tape.gradient only the requested leaves are needed.
    tape.gradient(y, {c}, tg::Tensor<double>(xt::ones<double>({2, 3})));
    EXPECT_EQ(needs, (std::vector<bool>{false, false, true}));
}

TEST(RecordTest, GradientOfWrongShapeIsShapeErrorNamingTheOp) {
    tg::Tape tape;
    auto a = tg::parameter<double>(xt::xarray<double>{1.0, 2.0, 3.0});
    auto m = tg::Tensor<double>(xt::xarray<double>{{1.0, 1.0, 1.0}, {2.0, 2.0, 2.0}});
    tg::Tensor<double> y(tg::Array<double>(a.value() * m.value()));
    // Forgets to reduce the broadcast gradient back to a's shape.
    tg::record("bad_broadcast", {a, m}, y, {m},
               [](tg::BackwardContext<double>& c) { c.add(0, c.grad() * c.saved(0)); });
    const std::string msg = error_message<tg::ShapeError>([&] { tape.backward(tg::sum(y)); });
    EXPECT_TRUE(contains(msg, "'bad_broadcast'"));
    EXPECT_TRUE(contains(msg, "(2, 3)"));
    EXPECT_TRUE(contains(msg, "(3)"));
    EXPECT_TRUE(contains(msg, "sum_to"));
    EXPECT_FALSE(a.has_grad());
}

TEST(RecordTest, ReleasedEntriesFreeWhatTheirBackwardCaptured) {
    auto token = std::make_shared<int>(0);
    auto w = tg::parameter<double>(xt::xarray<double>{1.0});
    auto record_op = [&](const tg::Tensor<double>& x) {
        tg::Tensor<double> y(tg::Array<double>(x.value()));
        tg::record("keep", {x}, y, {},
                   [token](tg::BackwardContext<double>& c) { c.add(0, c.grad()); });
        return y;
    };
    {
        tg::Tape tape;
        auto y = record_op(w);
        EXPECT_EQ(token.use_count(), 2);
        tape.backward(tg::sum(y));
        EXPECT_EQ(token.use_count(), 1);  // released by backward
        auto z = record_op(w);
        EXPECT_EQ(token.use_count(), 2);
    }
    EXPECT_EQ(token.use_count(), 1);  // released by the tape's destructor
    {
        tg::Tape tape;
        auto y = record_op(w);
        tape.clear();
        EXPECT_EQ(token.use_count(), 1);  // released by clear()
    }
}

TEST(RecordTest, BadSavedOrInputIndexInABackwardIsValueErrorNamingTheOp) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto op = [&](const char* name, auto backward) {
        tg::Tensor<double> y(tg::Array<double>(w.value()));
        tg::record(name, {w}, y, {w}, backward);
        return y;
    };
    auto y = op("asks_saved_1", [](tg::BackwardContext<double>& c) { c.add(0, c.saved(1)); });
    const std::string saved = error_message<tg::ValueError>([&] { tape.backward(tg::sum(y)); });
    EXPECT_TRUE(contains(saved, "backward of 'asks_saved_1' asked for saved tensor #1"));
    EXPECT_TRUE(contains(saved, "the op saved 1"));

    auto z = op("adds_to_2", [](tg::BackwardContext<double>& c) { c.add(2, c.grad()); });
    const std::string input = error_message<tg::ValueError>([&] { tape.backward(tg::sum(z)); });
    EXPECT_TRUE(contains(input, "backward of 'adds_to_2' gave a gradient to input #2"));
    EXPECT_TRUE(contains(input, "the op has 1 inputs"));
    EXPECT_FALSE(w.has_grad());  // nothing half-updated
}

TEST(RecordTest, OpsWithMoreInputsAndSavedTensorsThanTheEntryKeepsInline) {
    // An entry keeps 3 inputs and 2 saved tensors inline; more go to a list of their own.
    tg::Tape tape;
    std::vector<tg::Tensor<double>> xs;
    for (int i = 0; i < 5; ++i) xs.push_back(tg::parameter<double>(xt::xarray<double>{i + 1.0}));
    // y = x0 x1 x2 x3 x4, saving every input: dy/dxi = y / xi.
    double product = 1;
    for (const auto& x : xs) product *= x.item();
    tg::Tensor<double> y(tg::Array<double>(xt::xarray<double>{product}));
    tg::record("product5", {xs[0], xs[1], xs[2], xs[3], xs[4]}, y,
               {xs[0], xs[1], xs[2], xs[3], xs[4]}, [](tg::BackwardContext<double>& c) {
                   EXPECT_EQ(c.num_inputs(), 5u);
                   for (std::size_t i = 0; i < 5; ++i) {
                       tg::Tensor<double> others = c.grad();
                       for (std::size_t j = 0; j < 5; ++j)
                           if (j != i) others = others * c.saved(j);
                       c.add(i, others);
                   }
               });
    EXPECT_TRUE(contains(tape.dump(), "product5  (1), (1), (1), (1), (1) -> (1)"));
    tape.backward(tg::sum(y));
    for (std::size_t i = 0; i < 5; ++i)
        EXPECT_DOUBLE_EQ(xs[i].grad().item(), product / xs[i].item()) << "input " << i;
}

}  // namespace
