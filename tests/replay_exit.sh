#!/bin/sh
# replay_exit.sh TOOL DIR - convinbox-replay's exit codes: 0 when every
# expectation holds, 1 when one fails (the file still runs to its end), 2 for
# a line that is not JSON (the run stops there, naming the line) or a file
# that cannot be read.
set -u
tool=$1
dir=$2
fail() { echo "FAIL: $*"; exit 1; }

out=$("$tool" "$dir/wrong-expectation.jsonl"); rc=$?
[ "$rc" = 1 ] || fail "wrong expectation: exit $rc, want 1"
echo "$out" | grep -q '"line":4,.*"expect_failed":\["ok"\]' || fail "no expect_failed on line 4: $out"
echo "$out" | grep -q '"line":5,' || fail "the run did not go on after the failed expectation"

errfile=$(mktemp)
out=$("$tool" "$dir/broken-line.jsonl" 2>"$errfile"); rc=$?
err=$(cat "$errfile"); rm -f "$errfile"
[ "$rc" = 2 ] || fail "broken line: exit $rc, want 2"
echo "$err" | grep -q 'line 3 is not JSON' || fail "the broken line is not named: $err"
echo "$out" | grep -q '"line":2,' || fail "lines before the broken one did not run"
echo "$out" | grep -q '"line":4,' && fail "the run went on after the broken line"

"$tool" "$dir/no-such-file.jsonl" >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] || fail "missing file: exit $rc, want 2"

printf '{"op":"user","id":"a","expect":{"ok":true}}\n' | "$tool" - >/dev/null; rc=$?
[ "$rc" = 0 ] || fail "standard input: exit $rc, want 0"

"$tool" --help | grep -q 'fail_storage' || fail "--help does not document every op"
echo "ok"
