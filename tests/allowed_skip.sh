#!/bin/sh
# allowed_skip.sh NAME: exits 0 and prints the reason when tests/allowed_skips.txt lets
# the test NAME skip (a line `PATTERN REASON` whose glob PATTERN matches NAME), 1 when
# it does not. The same rules as tests/skip_policy.cpp: a line without a reason allows
# nothing.
list="$(dirname "$0")/allowed_skips.txt"
[ -f "$list" ] || exit 1
while read -r pattern reason; do
  case $pattern in '' | '#'*) continue ;; esac
  [ -n "$reason" ] || continue
  # shellcheck disable=SC2254  # the pattern is a glob on purpose
  case $1 in $pattern) echo "$reason"; exit 0 ;; esac
done < "$list"
exit 1
