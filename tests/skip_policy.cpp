#include "skip_policy.hpp"

#include <gtest/gtest.h>

#include <fnmatch.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace tg::test {
namespace {

bool env_is(const char* name, const char* value) {
    const char* v = std::getenv(name);
    return v && std::string(v) == value;
}

/// Fails a skipped test at its end (before the result is printed: GoogleTest calls the
/// listeners' OnTestEnd in reverse order, the printer last), unless it may skip.
class SkipPolicy : public ::testing::EmptyTestEventListener {
    void OnTestEnd(const ::testing::TestInfo& test) override {
        if (!test.result()->Skipped() || !skips_are_failures()) return;
        const std::string name = std::string(test.test_suite_name()) + "." + test.name();
        if (!allowed_skip_reason(name, TAPEGRAD_ALLOWED_SKIPS).empty()) return;
        std::string why;
        for (int i = 0; i < test.result()->total_part_count(); ++i)
            if (test.result()->GetTestPartResult(i).skipped())
                why = test.result()->GetTestPartResult(i).message();
        ADD_FAILURE() << name << " skipped (" << why
                      << ") where skips fail (CI=true or STRICT=1), and " << TAPEGRAD_ALLOWED_SKIPS
                      << " does not list it: install what it needs, or list it there with the "
                         "reason it may skip";
    }
};

}  // namespace

bool skips_are_failures() { return env_is("CI", "true") || env_is("STRICT", "1"); }

std::string allowed_skip_reason(const std::string& name, const std::string& path) {
    std::ifstream list(path);
    std::string line;
    while (std::getline(list, line)) {
        std::istringstream fields(line);
        std::string pattern, reason;
        if (!(fields >> pattern) || pattern[0] == '#') continue;
        std::getline(fields >> std::ws, reason);
        if (!reason.empty() && fnmatch(pattern.c_str(), name.c_str(), 0) == 0) return reason;
    }
    return "";
}

void install_skip_policy() {
    ::testing::UnitTest::GetInstance()->listeners().Append(new SkipPolicy);
}

}  // namespace tg::test
