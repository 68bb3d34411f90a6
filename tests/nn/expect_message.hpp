#pragma once
// expect_message: an exception of the right type whose message says what it promises.

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

namespace tg::test {

/// Runs `f`, expects an `E`, and checks that its message holds every one of `parts`.
template <class E, class F>
void expect_message(F&& f, std::initializer_list<std::string> parts) {
    try {
        f();
        ADD_FAILURE() << "expected an exception, none was thrown";
    } catch (const E& e) {
        const std::string msg = e.what();
        for (const std::string& part : parts)
            EXPECT_NE(msg.find(part), std::string::npos) << "\"" << part << "\" not in: " << msg;
    }
}

}  // namespace tg::test
