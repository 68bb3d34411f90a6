// The errors of the README's error catalogue (core and ops) whose messages no other
// test asserts: each one is raised here and its message checked for what it promises
// (what went wrong and what to do). The rest are asserted where they belong:
// tape_errors_test, tape_thread_test, version_counter_test, anomaly_test, tensor_test,
// record_test, nested_tape_test, tape_semantics_test, broadcast_test,
// tests/ops/shape_errors_test and tests/ops/second_order_test.

#include "test_helpers.hpp"

#include <tapegrad/error.hpp>
#include <tapegrad/functional.hpp>
#include <tapegrad/gradcheck.hpp>
#include <tapegrad/ops.hpp>
#include <tapegrad/tape.hpp>
#include <tapegrad/tensor.hpp>

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>
#include <xtensor/xarray.hpp>
#include <xtensor/xbuilder.hpp>

namespace {

using tg::test::contains;
using tg::test::error_message;
using Inputs = std::vector<tg::Tensor<double>>;

/// Runs `f`, expects an `E`, and checks that its message holds every one of `parts`.
template <class E, class F>
void expect_message(F&& f, std::initializer_list<const char*> parts) {
    const std::string msg = error_message<E>(std::forward<F>(f));
    for (const char* part : parts) EXPECT_TRUE(contains(msg, part));
}

tg::Tensor<double> P(const tg::Shape& shape) {
    return tg::parameter<double>(xt::ones<double>(shape));
}

// ---- the tape ----------------------------------------------------------------------------

TEST(ErrorCatalogue, BackwardOfAnUndefinedTensor) {
    tg::Tape tape;
    expect_message<tg::ValueError>([&] { tape.backward(tg::Tensor<double>()); },
                                   {"backward: the output tensor is undefined"});
    expect_message<tg::ValueError>([&] { tape.gradient(tg::Tensor<double>(), {P({1})}); },
                                   {"gradient: the output tensor is undefined"});
}

TEST(ErrorCatalogue, UndefinedSeed) {
    tg::Tape tape;
    auto w = P({2});
    auto y = w * w;
    expect_message<tg::ValueError>([&] { tape.backward(y, tg::Tensor<double>()); },
                                   {"backward: the seed is undefined"});
}

TEST(ErrorCatalogue, InputOfAReleasedOuterTape) {
    // h was recorded by the outer tape; the inner tape records a loss through it. Once
    // the outer tape has released its entries, the inner backward cannot go on past h.
    auto w = P({2});
    tg::Tape outer;
    auto h = w * w;
    tg::Tape inner;
    auto loss = tg::sum(h * 3.0);
    outer.clear();
    expect_message<tg::GraphError>(
        [&] { inner.backward(loss); },
        {"backward of 'mul' reached input #0", "released its entries", "retain_graph"});
    EXPECT_FALSE(w.has_grad());
}

// ---- tensors -----------------------------------------------------------------------------

TEST(ErrorCatalogue, SetRequiresGradOnARecordedResult) {
    tg::Tape tape;
    auto y = P({2}) * 2.0;
    expect_message<tg::GraphError>([&] { y.set_requires_grad(false); },
                                   {"set_requires_grad()", "only leaves", "detach()"});
}

// ---- ops ---------------------------------------------------------------------------------

TEST(ErrorCatalogue, MeanOfNothing) {
    expect_message<tg::ValueError>(
        [] {
            (void)tg::mean(P({0, 3}));
        },
        {"mean: the tensor is empty"});
    expect_message<tg::ValueError>(
        [] {
            (void)tg::mean(P({0, 3}), {0});
        },
        {"mean: reducing over an empty axis", "(0, 3)"});
}

TEST(ErrorCatalogue, MaxAlongAnEmptyAxis) {
    expect_message<tg::ValueError>(
        [] {
            (void)tg::max(P({2, 0}), 1);
        },
        {"max: axis 1 of shape (2, 0) is empty"});
}

TEST(ErrorCatalogue, ConcatOfZeroDimensionalTensors) {
    expect_message<tg::ShapeError>(
        [] {
            (void)tg::concat(std::vector<tg::Tensor<double>>{P({}), P({})}, 0);
        },
        {"concat: cannot concatenate 0-d tensors", "reshape them to (1)"});
}

TEST(ErrorCatalogue, ClampWithReversedBounds) {
    expect_message<tg::ValueError>([] { (void)tg::clamp(P({3}), 1.0, -1.0); },
                                   {"clamp: lower bound 1", "above upper bound -1"});
}

// ---- functional: vjp, jvp, jacobian, hessian, hvp ---------------------------------------

TEST(ErrorCatalogue, FunctionalUndefinedInputs) {
    const tg::UnaryFunction<double> square = [](const tg::Tensor<double>& x) { return x * x; };
    const tg::Tensor<double> x{1.0, 2.0};
    expect_message<tg::ValueError>([&] { tg::vjp(square, tg::Tensor<double>(), x); },
                                   {"vjp: the input is undefined"});
    expect_message<tg::ValueError>([&] { tg::vjp(square, x, tg::Tensor<double>()); },
                                   {"vjp: the cotangent v is undefined"});
    expect_message<tg::ValueError>([&] { tg::jvp(square, x, tg::Tensor<double>()); },
                                   {"jvp: the tangent is undefined"});
    const tg::UnaryFunction<double> nothing = [](const tg::Tensor<double>&) {
        return tg::Tensor<double>();
    };
    expect_message<tg::ValueError>([&] { tg::jacobian(nothing, x); },
                                   {"jacobian: the function returned an undefined tensor"});
}

TEST(ErrorCatalogue, FunctionalShapes) {
    const tg::UnaryFunction<double> square = [](const tg::Tensor<double>& x) { return x * x; };
    const tg::Tensor<double> x{1.0, 2.0};
    expect_message<tg::ShapeError>(
        [&] {
            tg::vjp(square, x, tg::Tensor<double>{1.0, 2.0, 3.0});
        },
        {"vjp: cotangent v of shape (3) does not match the shape (2) of the function's output"});
    expect_message<tg::ShapeError>(
        [&] { tg::jvp(square, x, tg::Tensor<double>{1.0}); },
        {"jvp: tangent of shape (1) does not match the shape (2) of the input"});
    expect_message<tg::ShapeError>([&] { tg::hvp(square, x, x); },
                                   {"hvp: the function returned shape (2)", "scalar"});
}

// ---- gradcheck and gradgradcheck ---------------------------------------------------------

TEST(ErrorCatalogue, GradcheckMisuse) {
    const tg::GradcheckFunction sum_of_squares = [](const Inputs& in) {
        return tg::sum(in[0] * in[0]);
    };
    expect_message<tg::ValueError>([&] { tg::gradcheck(sum_of_squares, {tg::Tensor<double>()}); },
                                   {"gradcheck: input #0 is undefined"});
    expect_message<tg::ValueError>(
        [&] {
            tg::gradgradcheck(sum_of_squares, {tg::Tensor<double>{1.0}, tg::Tensor<double>()});
        },
        {"gradgradcheck: input #1 is undefined"});

    const tg::GradcheckFunction nothing = [](const Inputs&) { return tg::Tensor<double>(); };
    expect_message<tg::ValueError>([&] { tg::gradcheck(nothing, {tg::Tensor<double>{1.0}}); },
                                   {"gradcheck: the function returned an undefined tensor"});
    expect_message<tg::ValueError>([&] { tg::gradgradcheck(nothing, {tg::Tensor<double>{1.0}}); },
                                   {"gradgradcheck: the function returned an undefined tensor"});

    // A function whose output size depends on the call (here: on how often it ran).
    int calls = 0;
    const tg::GradcheckFunction unstable = [&](const Inputs& in) {
        return ++calls == 1 ? in[0] * in[0] : tg::concat(Inputs{in[0], in[0]}, 0);
    };
    expect_message<tg::ValueError>(
        [&] {
            tg::gradcheck(unstable, {tg::Tensor<double>{1.0, 2.0}});
        },
        {"gradcheck: the function's output changed shape between evaluations"});
    calls = 0;
    expect_message<tg::ValueError>(
        [&] {
            tg::gradgradcheck(unstable, {tg::Tensor<double>{1.0, 2.0}});
        },
        {"gradgradcheck: the function's output changed shape between evaluations"});
}

}  // namespace
