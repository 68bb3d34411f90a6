#pragma once
// expect_same_arrays: what a file's round trip must give back.

#include <tapegrad/io/npz.hpp>

#include <gtest/gtest.h>

namespace tg::test {

/// Expects `got` to hold `want`'s arrays: the same names, shapes and elements, bit for bit
/// (a NaN matches a NaN).
template <class T>
void expect_same_arrays(const io::NamedArrays<T>& want, const io::NamedArrays<T>& got) {
    ASSERT_EQ(got.size(), want.size());
    for (const auto& [name, a] : want) {
        SCOPED_TRACE(name);
        ASSERT_EQ(got.count(name), 1u);
        const Array<T>& b = got.at(name);
        ASSERT_EQ(Shape(b.shape()), Shape(a.shape()));
        for (std::size_t i = 0; i < a.size(); ++i)
            EXPECT_TRUE(a.data()[i] == b.data()[i] ||
                        (a.data()[i] != a.data()[i] && b.data()[i] != b.data()[i]))
                << "element " << i;
    }
}

}  // namespace tg::test
