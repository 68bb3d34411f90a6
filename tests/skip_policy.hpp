#pragma once
// When a skipped test is a failure. Under CI (CI=true in the environment) and with
// STRICT=1 a skip fails the test, unless tests/allowed_skips.txt lists the test with the
// reason it may skip there: a skipped test checks nothing, and a run that reports only
// its passes would hide that. Every test executable installs this policy in its main().

#include <string>

namespace tg::test {

/// Whether a skip counts as a failure: CI=true or STRICT=1 in the environment.
bool skips_are_failures();

/// The reason the list at `path` (tests/allowed_skips.txt's format: `NAME REASON` lines,
/// `#` comments, `*` in NAME matching any run of characters) gives for letting the test
/// `name` skip, or "" when no line matches it. A line without a reason allows nothing;
/// a missing file lists nothing.
std::string allowed_skip_reason(const std::string& name, const std::string& path);

/// Adds the GoogleTest listener that turns a skip into a failure when
/// skips_are_failures() and tests/allowed_skips.txt does not list the test (as
/// Suite.Test). Call it after InitGoogleTest, before RUN_ALL_TESTS.
void install_skip_policy();

}  // namespace tg::test
