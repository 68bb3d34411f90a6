#!/usr/bin/env bash
# run-ctest.sh [CTEST ARGUMENTS]: ctest in the current directory (a build tree), with
# --no-tests=error, and a failure when ctest reports tests that did not run which
# tests/allowed_skips.txt does not list. ctest itself exits 0 when tests skip, but a
# skipped test checks nothing. Every `make` target that runs ctest runs it through this;
# CTEST names the program (ctest).
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

"${CTEST:-ctest}" --no-tests=error "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# ctest ends with "The following tests did not run:" and a line "<tab>12 - NAME (Skipped)"
# per test.
not_run=$(sed -n '/^The following tests did not run:/,/^$/ s/^[[:space:]]*[0-9]* - \([^ ]*\) (.*)$/\1/p' "$log")
unlisted=()
for name in $not_run; do
  "$root/tests/allowed_skip.sh" "$name" > /dev/null || unlisted+=("$name")
done
if [ ${#unlisted[@]} -gt 0 ]; then
  echo "run-ctest: ${#unlisted[@]} test(s) did not run, and tests/allowed_skips.txt does not" \
       "list them: ${unlisted[*]}. A skipped test checks nothing: install what its output" \
       "above says it needs (then configure again)." >&2
  [ "$status" -ne 0 ] || status=1
fi
exit "$status"
