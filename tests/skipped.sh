#!/bin/sh
# skipped.sh NAME REASON: what a ctest runs instead of its command when CMake found its
# dependency missing (tapegrad_add_skipped_test in tests/CMakeLists.txt). Prints the
# reason and exits 77, which the test's SKIP_RETURN_CODE reports as skipped; where skips
# fail (CI=true or STRICT=1) it exits 1 instead, unless tests/allowed_skips.txt lets
# NAME skip.
name=$1
reason=$2
echo "skipped: $reason"
if [ "${CI:-}" = true ] || [ "${STRICT:-}" = 1 ]; then
  if ! "$(dirname "$0")/allowed_skip.sh" "$name" > /dev/null; then
    echo "$name: skipped where skips fail (CI=true or STRICT=1), and tests/allowed_skips.txt" \
         "does not list it: install what it needs (then configure again), or list it there" \
         "with the reason it may skip" >&2
    exit 1
  fi
fi
exit 77
