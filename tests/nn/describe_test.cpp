// describe() as PyTorch prints a module (repr, torch 1.13): tg::nn::repr formats numbers
// and flags as Python does, and the layers with a PyTorch twin print the twin's text.
// The expected strings are what `print(torch.nn.Linear(3, 2))` and the like print.

#include "nn/nn_test_util.hpp"

#include <cmath>
#include <limits>

namespace tg::test {
namespace {

TEST(Repr, RealNumbersAsPythonsRepr) {
    // Python 3: repr(0.2), repr(1.0), ...
    EXPECT_EQ(nn::repr(0.2), "0.2");
    EXPECT_EQ(nn::repr(1.0), "1.0");
    EXPECT_EQ(nn::repr(0.25), "0.25");
    EXPECT_EQ(nn::repr(100.0), "100.0");
    EXPECT_EQ(nn::repr(1e-5), "1e-05");
    EXPECT_EQ(nn::repr(0.0001), "0.0001");
    EXPECT_EQ(nn::repr(0.00012345), "0.00012345");
    EXPECT_EQ(nn::repr(0.1 + 0.2), "0.30000000000000004");
    EXPECT_EQ(nn::repr(1234567890123456.0), "1234567890123456.0");
    EXPECT_EQ(nn::repr(1e16), "1e+16");
    EXPECT_EQ(nn::repr(123456789012345678.0), "1.2345678901234568e+17");
    EXPECT_EQ(nn::repr(-2.5e-7), "-2.5e-07");
    EXPECT_EQ(nn::repr(-0.0), "-0.0");
    EXPECT_EQ(nn::repr(5e-324), "5e-324");
    EXPECT_EQ(nn::repr(1.7976931348623157e308), "1.7976931348623157e+308");
    EXPECT_EQ(nn::repr(std::numeric_limits<double>::infinity()), "inf");
    EXPECT_EQ(nn::repr(-std::numeric_limits<double>::infinity()), "-inf");
    EXPECT_EQ(nn::repr(std::nan("")), "nan");
}

TEST(Repr, FloatsTheFewestDigitsThatReadBackAsTheFloat) {
    EXPECT_EQ(nn::repr(0.01f), "0.01");  // not 0.009999999776482582, the double's digits
    EXPECT_EQ(nn::repr(0.1f), "0.1");
    EXPECT_EQ(nn::repr(1.0f), "1.0");
    EXPECT_EQ(nn::repr(16777216.0f), "16777216.0");
}

TEST(Repr, FlagsAsPython) {
    EXPECT_EQ(nn::repr(true), "True");
    EXPECT_EQ(nn::repr(false), "False");
}

TEST(Describe, LayersWithAPyTorchTwinPrintItsRepr) {
    nn::Rng rng(1);
    EXPECT_EQ(nn::Linear<double>(3, 2, rng).describe(),
              "Linear(in_features=3, out_features=2, bias=True)");
    EXPECT_EQ(nn::Linear<double>(3, 2, rng, false).describe(),
              "Linear(in_features=3, out_features=2, bias=False)");
    EXPECT_EQ(nn::Dropout<double>(0.2).describe(), "Dropout(p=0.2, inplace=False)");
    EXPECT_EQ(nn::Dropout<double>().describe(), "Dropout(p=0.5, inplace=False)");
    EXPECT_EQ(nn::Dropout<double>(1e-5).describe(), "Dropout(p=1e-05, inplace=False)");
    EXPECT_EQ(nn::Dropout<float>(0.1 + 0.2).describe(),
              "Dropout(p=0.30000000000000004, inplace=False)");  // p is a double, as Python's
    EXPECT_EQ(nn::LeakyReLU<double>().describe(), "LeakyReLU(negative_slope=0.01)");
    EXPECT_EQ(nn::LeakyReLU<float>(0.2f).describe(), "LeakyReLU(negative_slope=0.2)");
    EXPECT_EQ(nn::ELU<double>().describe(), "ELU(alpha=1.0)");
    EXPECT_EQ(nn::Softplus<double>(2.0, 5.0).describe(), "Softplus(beta=2.0, threshold=5.0)");
    EXPECT_EQ(nn::Softmax<double>(1).describe(), "Softmax(dim=1)");
    EXPECT_EQ(nn::LogSoftmax<double>(-1).describe(), "LogSoftmax(dim=-1)");
    EXPECT_EQ(nn::GELU<double>("tanh").describe(), "GELU(approximate='tanh')");
    EXPECT_EQ(nn::Embedding<double>(29, 64, rng).describe(), "Embedding(29, 64)");
    EXPECT_EQ(nn::Embedding<double>(5, 3, rng, 0).describe(), "Embedding(5, 3, padding_idx=0)");
    EXPECT_EQ(nn::GRU<double>(3, 4, rng).describe(), "GRU(3, 4)");
}

TEST(Describe, TapegradsOwnTextUsesPythonsNumbersAndFlags) {
    // Dense has no twin of its name; its bias flag is written as Python writes it.
    nn::Rng rng(1);
    EXPECT_EQ(nn::Dense<double>(3, 2, rng).describe(), "Dense(in=3, out=2)");
    EXPECT_EQ(nn::Dense<double>(3, 2, rng, nn::Init::xavier_uniform, false).describe(),
              "Dense(in=3, out=2, bias=False)");
    nn::MultiheadAttentionOptions o;
    o.dropout = 0.1;
    o.bias = false;
    EXPECT_EQ(nn::MultiheadAttention<double>(4, 2, rng, o).describe(),
              "MultiheadAttention(4, num_heads=2, dropout=0.1, bias=False)");
    EXPECT_EQ(nn::LSTM<double>(2, 3, rng, 1, false).describe(), "LSTM(2, 3, bias=False)");
}

TEST(Describe, DropoutsErrorNamesPAsPython) {
    try {
        nn::Dropout<double>(1.5);
        ADD_FAILURE() << "expected a ValueError";
    } catch (const ValueError& e) {
        EXPECT_STREQ(e.what(), "Dropout(p=1.5): p must be in [0, 1]");
    }
}

}  // namespace
}  // namespace tg::test
