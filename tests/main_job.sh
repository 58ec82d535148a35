#!/bin/sh
# main_job.sh GENERATOR TOOL - the README's main job: generate the helpdesk
# day and replay it into a database with --summary, twice: the second run is
# the next day of the same account. Every line of a day expects to succeed,
# so exit 0 means the whole day ran as planned; the summary must show up.
set -u
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for run in 1 2; do
    "$1" --state "$dir/state" > "$dir/day.jsonl" || { echo "FAIL: the generator failed"; exit 1; }
    lines=$(grep -c '"op":"inbound"' "$dir/day.jsonl")
    [ "$lines" -ge 20000 ] || { echo "FAIL: only $lines inbound messages"; exit 1; }
    # --sync normal: a day is 20,000+ one-call transactions, and FULL waits
    # for the disk at each (minutes on a slow disk); the day can be re-run.
    out=$("$2" --db "$dir/helpdesk.db" --sync normal --summary --quiet "$dir/day.jsonl"); rc=$?
    echo "$out"
    [ "$rc" = 0 ] || { echo "FAIL: run $run: convinbox-replay exited $rc"; exit 1; }
    for table in 'Conversations per inbox and channel' 'Assignments per agent' \
        'open, unassigned and waiting' 'Tickets per pipeline and stage' 'First responses' \
        'inbound messages per second'; do
        echo "$out" | grep -q "$table" || { echo "FAIL: no '$table' in the summary"; exit 1; }
    done
done
grep -q '2026-11-24' "$dir/day.jsonl" || { echo "FAIL: the second run is not the next day"; exit 1; }
