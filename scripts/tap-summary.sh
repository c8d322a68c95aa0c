#!/usr/bin/env bash
# Counts the results of a tap run: `scripts/tap-summary.sh LOG STATUS` reads the TAP output of
# `tap --reporter=tap` in LOG and tap's exit STATUS, and prints `PASSED FAILED SKIPPED` on stdout
# (reasons on stderr). It counts each test file's first-level subtests. Skipped tests and `todo`
# tests are counted apart from passes: tap prints a failing todo as `ok ... # TODO`, so counting
# it as a pass would hide it. A run counts as failed when tap exits non-zero, when a file crashed
# before its subtests ran, or when nothing ran at all: a broken runner must never look green.
set -uo pipefail
log=$1
status=$2

count() { grep -cE "$1" "$log" || true; }

ok=$(count '^    ok [0-9]+')
not_ok=$(count '^    not ok [0-9]+')
skip=$(count '^    ok [0-9]+.* # SKIP')
todo_ok=$(count '^    ok [0-9]+.* # TODO')
todo_not_ok=$(count '^    not ok [0-9]+.* # TODO')
files_skipped=$(count '^ok [0-9]+.* # SKIP')
files_failed=$(count '^not ok [0-9]+')

passed=$((ok - skip - todo_ok))
failed=$((not_ok - todo_not_ok))
skipped=$((skip + todo_ok + todo_not_ok + files_skipped))
if [ "$failed" -eq 0 ] && [ "$files_failed" -gt 0 ]; then
  echo "tap-summary: $files_failed test file(s) failed outside their subtests" >&2
  failed=$files_failed
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "tap-summary: tap exited with status $status but reported no failing test" >&2
  failed=1
fi
if [ $((passed + failed)) -eq 0 ]; then
  echo "tap-summary: no test ran" >&2
  failed=1
fi
if [ $((skip + todo_ok + todo_not_ok)) -gt 0 ]; then
  echo "tap-summary: $skip skipped, $((todo_ok + todo_not_ok)) todo (not counted as passed)" >&2
fi
echo "$passed $failed $skipped"
