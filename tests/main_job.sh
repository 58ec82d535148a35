#!/bin/sh
# main_job.sh GENERATOR TOOL - the README's main job: generate the helpdesk
# day and replay it with --summary. Every line of the day expects to succeed,
# so exit 0 means the whole day ran as planned; the summary must show up.
set -u
day=$(mktemp)
trap 'rm -f "$day"' EXIT
"$1" > "$day" || { echo "FAIL: the generator failed"; exit 1; }
lines=$(grep -c '"op":"inbound"' "$day")
[ "$lines" -ge 20000 ] || { echo "FAIL: only $lines inbound messages"; exit 1; }
out=$("$2" --summary --quiet "$day"); rc=$?
echo "$out"
[ "$rc" = 0 ] || { echo "FAIL: convinbox-replay exited $rc"; exit 1; }
for table in 'Conversations per inbox and channel' 'Assignments per agent' \
    'open, unassigned and waiting' 'Tickets per pipeline and stage' 'First responses' \
    'inbound messages per second'; do
    echo "$out" | grep -q "$table" || { echo "FAIL: no '$table' in the summary"; exit 1; }
done
