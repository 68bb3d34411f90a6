// main() of the test executables: GoogleTest's, with the skip policy
// (tests/skip_policy.hpp): under CI=true or STRICT=1 a skip fails unless it is allowed.

#include "skip_policy.hpp"

#include <gtest/gtest.h>

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    tg::test::install_skip_policy();
    return RUN_ALL_TESTS();
}
