// Anomaly mode: the first NaN or Inf in a recorded forward value or a gradient throws
// tg::AnomalyError naming the op that produced it.

#include "test_helpers.hpp"

#include <tapegrad/error.hpp>
#include <tapegrad/grad_mode.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/math.hpp>
#include <tapegrad/ops/reduce.hpp>
#include <tapegrad/tape.hpp>
#include <tapegrad/tensor.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <xtensor/xarray.hpp>
#include <xtensor/xbuilder.hpp>

namespace {

using tg::test::contains;
using tg::test::error_message;

TEST(AnomalyTest, GuardIsScoped) {
    EXPECT_FALSE(tg::is_anomaly_enabled());
    {
        tg::DetectAnomalyGuard guard;
        EXPECT_TRUE(tg::is_anomaly_enabled());
        {
            tg::DetectAnomalyGuard nested;
            EXPECT_TRUE(tg::is_anomaly_enabled());
        }
        EXPECT_TRUE(tg::is_anomaly_enabled());
    }
    EXPECT_FALSE(tg::is_anomaly_enabled());
    tg::Tape plain;
    EXPECT_FALSE(plain.detect_anomaly());
    tg::Tape checking(tg::TapeOptions{true});
    EXPECT_TRUE(checking.detect_anomaly());
}

TEST(AnomalyTest, ForwardNanNamesTheOp) {
    tg::DetectAnomalyGuard guard;
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, -1.0});
    auto e = tg::exp(w);  // fine
    ASSERT_EQ(tape.size(), 1u);
    const std::string msg = error_message<tg::AnomalyError>([&] { (void)tg::log(w); });
    EXPECT_TRUE(contains(msg, "'log'"));
    EXPECT_TRUE(contains(msg, "forward"));
    EXPECT_TRUE(contains(msg, "(2)"));
    EXPECT_EQ(tape.size(), 1u);  // the failing op left no entry behind
    (void)e;
}

TEST(AnomalyTest, ForwardInfNamesTheOp) {
    tg::Tape tape(tg::TapeOptions{/*detect_anomaly=*/true});
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 1000.0});
    const std::string msg = error_message<tg::AnomalyError>([&] { (void)tg::exp(w); });
    EXPECT_TRUE(contains(msg, "'exp'"));
    EXPECT_EQ(tape.size(), 0u);
}

// The scan reads exponent bits in a vectorized loop: each non-finite kind at each
// position (vector body and tail) of arrays of several lengths is found, in both types,
// and the largest finite values and subnormals are not flagged.
template <class T>
void expect_scan_finds_every_position() {
    const T specials[] = {std::numeric_limits<T>::quiet_NaN(), std::numeric_limits<T>::infinity(),
                          -std::numeric_limits<T>::infinity(),
                          -std::numeric_limits<T>::quiet_NaN()};
    for (std::size_t n : {1, 7, 16, 33}) {
        xt::xarray<T> ok = xt::ones<T>({n});
        ok(0) = std::numeric_limits<T>::max();
        ok(n - 1) = -std::numeric_limits<T>::denorm_min();
        {
            tg::Tape tape(tg::TapeOptions{true});
            auto w = tg::parameter<T>(ok);
            EXPECT_NO_THROW((void)tg::mul(w, tg::Tensor<T>(T(1)))) << "n=" << n;
        }
        for (std::size_t i = 0; i < n; ++i)
            for (T special : specials) {
                xt::xarray<T> bad = ok;
                bad(i) = special;
                tg::Tape tape(tg::TapeOptions{true});
                auto w = tg::parameter<T>(bad);
                EXPECT_THROW((void)tg::mul(w, tg::Tensor<T>(T(1))), tg::AnomalyError)
                    << "n=" << n << " position " << i << " value " << special;
            }
    }
}

TEST(AnomalyTest, ScanFindsNonFiniteValuesAtEveryPosition) {
    expect_scan_finds_every_position<float>();
    expect_scan_finds_every_position<double>();
}

TEST(AnomalyTest, TapeOptionDetectsForwardNan) {
    tg::Tape tape(tg::TapeOptions{true});
    auto w = tg::parameter<float>(xt::xarray<float>{-2.0f});
    EXPECT_FALSE(tg::is_anomaly_enabled());
    const std::string msg = error_message<tg::AnomalyError>([&] { (void)tg::log(w); });
    EXPECT_TRUE(contains(msg, "'log'"));
}

TEST(AnomalyTest, WithoutAnomalyModeNanPassesSilently) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{-1.0});
    auto y = tg::log(w);
    EXPECT_TRUE(std::isnan(y.item()));
    EXPECT_EQ(tape.size(), 1u);
}

TEST(AnomalyTest, BackwardInfNamesTheOp) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{0.0, 4.0});
    auto y = tg::sum(tg::sqrt(w) * 3.0);  // forward finite: sqrt(0) = 0
    tg::DetectAnomalyGuard guard;         // only the backward is checked
    const std::string msg = error_message<tg::AnomalyError>([&] { tape.backward(y); });
    EXPECT_TRUE(contains(msg,
                         "anomaly: backward of 'sqrt' produced NaN or Inf in the gradient "
                         "of its input #0 (shape (2))"));
    EXPECT_FALSE(w.has_grad());
}

TEST(AnomalyTest, TapeOptionDetectsBackwardInf) {
    tg::Tape tape(tg::TapeOptions{true});
    auto w = tg::parameter<double>(xt::xarray<double>{0.0});
    auto y = tg::sum(tg::sqrt(w));
    const std::string msg = error_message<tg::AnomalyError>([&] { tape.gradient(y, {w}); });
    EXPECT_TRUE(contains(msg, "'sqrt'"));
}

TEST(AnomalyTest, WithoutAnomalyModeInfGradientPassesSilently) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{0.0, 4.0});
    tape.backward(tg::sum(tg::sqrt(w)));
    EXPECT_TRUE(std::isinf(w.grad().value()(0)));
    EXPECT_DOUBLE_EQ(w.grad().value()(1), 0.25);
}

TEST(AnomalyTest, FiniteValuesPassInAnomalyMode) {
    tg::DetectAnomalyGuard guard;
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 4.0});
    tape.backward(tg::sum(tg::sqrt(w) + tg::log(w)));
    EXPECT_DOUBLE_EQ(w.grad().value()(0), 0.5 + 1.0);
    EXPECT_DOUBLE_EQ(w.grad().value()(1), 0.25 + 0.25);
}

}  // namespace
