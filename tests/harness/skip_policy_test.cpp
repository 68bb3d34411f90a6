// The skip policy (tests/skip_policy.hpp): which list lines let a test skip, when skips
// are failures, that a skip under CI=true or STRICT=1 really fails the test executable,
// and that tests/allowed_skips.txt itself gives a reason on every line.

#include "skip_policy.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include <sys/wait.h>

namespace tg::test {
namespace {

/// Sets (or, with nullptr, removes) an environment variable for the scope.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        value ? setenv(name, value, 1) : unsetenv(name);
    }
    ~ScopedEnv() { old_ ? setenv(name_, old_->c_str(), 1) : unsetenv(name_); }

private:
    const char* name_;
    std::optional<std::string> old_;
};

TEST(SkipPolicy, ListedNamesAndGlobsAreAllowedWithTheirReason) {
    const std::string path =
        (std::filesystem::temp_directory_path() / "tapegrad_allowed_skips_test.txt").string();
    std::ofstream(path) << "# a comment\n"
                           "\n"
                           "example_digits   the data are not packaged there\n"
                           "Memory.*  RSS is not measurable under X\n"
                           "no_reason_given\n";
    EXPECT_EQ(allowed_skip_reason("example_digits", path), "the data are not packaged there");
    EXPECT_EQ(allowed_skip_reason("Memory.Peak", path), "RSS is not measurable under X");
    EXPECT_EQ(allowed_skip_reason("example_digits_resume", path), "");  // whole names only
    EXPECT_EQ(allowed_skip_reason("OtherMemory.Peak", path), "");
    EXPECT_EQ(allowed_skip_reason("no_reason_given", path), "");  // a reason is required
    EXPECT_EQ(allowed_skip_reason("example_digits", path + ".missing"), "");
    std::remove(path.c_str());
}

TEST(SkipPolicy, SkipsAreFailuresUnderCiOrStrict) {
    const auto strict = [](const char* ci, const char* strict) {
        ScopedEnv a("CI", ci), b("STRICT", strict);
        return skips_are_failures();
    };
    EXPECT_FALSE(strict(nullptr, nullptr));
    EXPECT_TRUE(strict("true", nullptr));
    EXPECT_TRUE(strict(nullptr, "1"));
    EXPECT_FALSE(strict("false", "0"));
}

/// Run only by SkipPolicy.ASkipFailsTheRunUnderCi, in a child process.
TEST(SkipPolicyProbe, DISABLED_Skips) { GTEST_SKIP() << "skipped on purpose"; }

/// The exit status of this test executable running only SkipPolicyProbe.DISABLED_Skips.
int probe_exit_status() {
    const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    const int status = std::system(("'" + self +
                                    "' --gtest_also_run_disabled_tests "
                                    "--gtest_filter=SkipPolicyProbe.DISABLED_Skips > /dev/null")
                                       .c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(SkipPolicy, ASkipFailsTheRunUnderCiOrStrictOnly) {
    {
        ScopedEnv a("CI", nullptr), b("STRICT", nullptr);
        EXPECT_EQ(probe_exit_status(), 0) << "a skip passes where skips are allowed";
    }
    {
        ScopedEnv a("CI", "true"), b("STRICT", nullptr);
        EXPECT_EQ(probe_exit_status(), 1) << "a skip fails under CI=true";
    }
    {
        ScopedEnv a("CI", nullptr), b("STRICT", "1");
        EXPECT_EQ(probe_exit_status(), 1) << "a skip fails under STRICT=1";
    }
}

TEST(SkipPolicy, TheListGivesAReasonOnEveryLine) {
    std::ifstream list(TAPEGRAD_ALLOWED_SKIPS);
    ASSERT_TRUE(list) << TAPEGRAD_ALLOWED_SKIPS;
    std::string line;
    while (std::getline(list, line)) {
        std::istringstream fields(line);
        std::string name, reason;
        if (!(fields >> name) || name[0] == '#') continue;
        std::getline(fields >> std::ws, reason);
        EXPECT_GE(reason.size(), 20u) << "'" << name << "' needs the reason it may skip there";
    }
}

}  // namespace
}  // namespace tg::test
