#pragma once
// Small helpers shared by the tests/core suites.

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace tg::test {

/// Runs `f`, expects it to throw exactly an `E` (or a class derived from it) and returns
/// the message. Any other exception escapes and fails the test.
template <class E, class F>
std::string error_message(F&& f) {
    try {
        std::forward<F>(f)();
    } catch (const E& e) {
        return e.what();
    }
    ADD_FAILURE() << "expected an exception, none was thrown";
    return "";
}

/// `EXPECT_TRUE(contains(message, "mul"))` prints the whole message when it fails.
inline ::testing::AssertionResult contains(const std::string& text, const std::string& part) {
    if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "\"" << part << "\" not found in: \"" << text << "\"";
}

}  // namespace tg::test
