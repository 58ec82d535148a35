#!/usr/bin/env bash
# tests/fuzz/run.sh - build the fuzz targets with clang, libFuzzer,
# AddressSanitizer and UBSan, run each for a while, and report.
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
#
# SECONDS per target (default 60); TARGETs among api, replay, tzif, sqlite
# (default: all four; FUZZ_ALLOW_MISSING=1 runs those that were built, e.g.
# without the SQLite adapter). One fuzzer runs at a time. The build
# is in $FUZZ_BUILD (default build-fuzz, beside the sources); each target
# works on a copy of its committed seed corpus in $FUZZ_BUILD/fuzz-corpus/
# (the committed corpus is never written), and a crashing, leaking or
# timing-out input is kept in $FUZZ_BUILD/fuzz-artifacts/ and printed in
# base64. Prints per target: executions, executions per second, libFuzzer's
# coverage (cov: edges, ft: features) and what it found. Exits 1 when any
# target found something, 2 when the build fails.
set -uo pipefail
cd "$(dirname "$0")/../.."

seconds=${1:-60}
[ $# -gt 0 ] && shift
case $seconds in '' | *[!0-9]*) echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2 ;; esac
build=${FUZZ_BUILD:-build-fuzz}
artifacts=$build/fuzz-artifacts
work=$build/fuzz-corpus

if [ ! -f "$build/build.ninja" ]; then
    setup_log=$(mktemp)
    CC=${CC_FUZZ:-clang} meson setup "$build" -Dfuzz=enabled -Db_sanitize=address,undefined \
        -Db_lundef=false -Dc_args=-fno-sanitize-recover=all -Dbuildtype=debugoptimized \
        >"$setup_log" 2>&1 || { cat "$setup_log"; rm -f "$setup_log"; exit 2; }
    rm -f "$setup_log"
fi
grep -Eq 'libFuzzer" *:? *links: YES' "$build/meson-logs/meson-log.txt" ||
    { echo "$build: the compiler has no libFuzzer (CC=clang, libclang-rt-14-dev)"; exit 2; }

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    # The list is read whole first: `ninja ... | grep -q` under pipefail fails
    # whenever grep stops reading before ninja has written everything.
    built=$(ninja -C "$build" -t targets all 2>/dev/null)
    for t in api replay tzif sqlite; do
        grep -q "^tests/fuzz/fuzz_$t:" <<<"$built" && targets+=("$t")
    done
    [ ${#targets[@]} -eq 4 ] || [ -n "${FUZZ_ALLOW_MISSING:-}" ] ||
        { echo "fuzz targets built: ${targets[*]:-none} (expected api replay tzif sqlite;" \
            "FUZZ_ALLOW_MISSING=1 runs what there is)"; exit 2; }
fi
ninja -C "$build" -j"${FUZZ_NINJA_JOBS:-2}" "${targets[@]/#/tests/fuzz/fuzz_}" >"$build/fuzz-build.log" 2>&1 ||
    { tail -50 "$build/fuzz-build.log"; exit 2; }

mkdir -p "$artifacts" "$work"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# The targets write their files (zones, databases) here: tmpfs where there is one.
[ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] && export TMPDIR=/dev/shm
export CONVINBOX_ZONEINFO=${CONVINBOX_ZONEINFO:-/usr/share/zoneinfo}

status=0
report=()
for t in "${targets[@]}"; do
    seeds=tests/fuzz/corpus/$t
    mkdir -p "$work/$t" "$artifacts/$t"
    cp -n "$seeds"/* "$work/$t"/ 2>/dev/null
    opts=(-max_total_time="$seconds" -print_final_stats=1 -timeout=25 -rss_limit_mb=2560
          -max_len=8192 -artifact_prefix="$artifacts/$t/")
    [ -f "tests/fuzz/$t.dict" ] && opts+=(-dict="tests/fuzz/$t.dict")
    log=$build/fuzz-$t.log
    touch "$artifacts/$t/.start"
    echo "=== fuzzing $t for ${seconds}s ==="
    "$build/tests/fuzz/fuzz_$t" "${opts[@]}" "$work/$t" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1)
    found=$(find "$artifacts/$t" -type f -newer "$artifacts/$t/.start" ! -name .start)
    if [ $rc -ne 0 ] || [ -n "$found" ]; then
        status=1
        what=$(grep -m1 -oE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): [a-z-]+|runtime error: .*|invariant violated: .*' "$log" | head -1)
        [ -n "$what" ] || what="exit $rc"
        report+=("$(printf '%-7s %12s execs %8s exec/s  %-22s FOUND: %s' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$what")")
        echo "--- $t: the end of its log ($log) ---"
        grep -v '^#[0-9]' "$log" | tail -60
        for f in $found; do
            echo "--- $t: input $f ($(stat -c %s "$f") bytes), base64 ---"
            base64 -w 76 "$f"
            echo "--- hexdump (first 512 bytes) ---"
            od -A x -t x1z -v "$f" | head -33
            echo "--- reproduce: $build/tests/fuzz/fuzz_$t $f"
        done
    else
        report+=("$(printf '%-7s %12s execs %8s exec/s  %-22s nothing found' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}")")
    fi
done

echo
echo "=== fuzzing: ${seconds}s per target ==="
printf '%s\n' "${report[@]}"
exit $status
