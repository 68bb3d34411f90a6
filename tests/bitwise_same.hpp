#pragma once
// same(a, b): equal shapes and bit-for-bit equal values, for tests that check two code
// paths (an int64 index tensor and whole numbers in a float tensor) give one answer.

#include <tapegrad/check.hpp>
#include <tapegrad/tensor.hpp>

#include <gtest/gtest.h>

namespace tg::test {

inline ::testing::AssertionResult same(const Tensor<>& a, const Tensor<>& b) {
    if (a.shape() != b.shape())
        return ::testing::AssertionFailure()
               << "shapes " << shape_str(a.shape()) << " and " << shape_str(b.shape());
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a.value().data()[i] != b.value().data()[i])
            return ::testing::AssertionFailure() << "element " << i << ": " << a.value().data()[i]
                                                 << " and " << b.value().data()[i];
    return ::testing::AssertionSuccess();
}

}  // namespace tg::test
