#!/usr/bin/env bash
# Observability: --metrics-file is Prometheus text that promtool accepts
# after a run, a close and a failed run (which keeps the last success time);
# a metrics file that cannot be written is a warning, not a failed run; logs
# are logfmt on stderr; the progress line is drawn only on a terminal and not
# with --quiet, and is erased before the summary.
source "$(dirname "$0")/lib.sh"

AS_OF=2026-12-01T00:00:00+08:00
LOG=$SCRATCH/log
M=$SCRATCH/run.prom
C=$SCRATCH/close.prom
new_db
br() { "$BIN" "$@" --db "dbname=$DB"; }
check() { promtool check metrics <"$1" >"$LOG" 2>&1 || fail "promtool on $1: $(cat "$LOG")"; }
value() { # FILE SERIES: the sample's value
    grep -F "$2 " "$1" | awk '{print $NF}'
}

step "a run: promtool accepts the file; it counts the samples"
expect 3 br run --inbox "$SRC/samples/inbox" --as-of "$AS_OF" --metrics-file "$M" >"$LOG" 2>"$SCRATCH/stderr"
check "$M"
[[ $(value "$M" 'billrun_last_run_ok{verb="run"}') == 1 ]] || fail "last_run_ok"
[[ $(value "$M" 'billrun_rows{verb="run",outcome="rejected"}') == 15 ]] || fail "rejected rows"
[[ $(value "$M" 'billrun_files{verb="run",status="applied"}') == 12 ]] || fail "applied files"
success=$(value "$M" 'billrun_last_success_timestamp_seconds{verb="run"}')
[[ $success -gt 0 ]] || fail "no success time"
peak=$(value "$M" 'billrun_peak_memory_bytes{verb="run"}')
[[ $peak -gt 1000000 && $peak -lt 4000000000 ]] || fail "peak memory $peak"
# logs: logfmt on stderr, nothing of them on stdout, no progress line off a terminal
grep -vqE '^ts=[0-9TZ:.-]+ level=(info|warn|error|debug) event=[a-z_]+( |$)' "$SCRATCH/stderr" &&
    fail "a stderr line that is not logfmt: $(grep -vE '^ts=' "$SCRATCH/stderr" | head -1)"
has "$SCRATCH/stderr" "event=run_done"
grep -qE 'event=run_done .* peak_rss_kib=[0-9]+' "$SCRATCH/stderr" || fail "run_done without peak_rss_kib"
hasnt "$LOG" "ts="
! grep -q $'\r' "$SCRATCH/stderr" || fail "a progress line went to a file"

step "a close: promtool accepts it"
expect 0 br close --period 2026-11 --out "$SCRATCH/out" --seller "$SRC/samples/seller.conf" \
    --metrics-file "$C" >"$LOG" 2>&1
check "$C"
[[ $(value "$C" 'billrun_invoices{verb="close"}') == 5 ]] || fail "invoices"
[[ $(value "$C" 'billrun_last_run_ok{verb="close"}') == 1 ]] || fail "close ok"

step "a failed run (the inbox is gone): last_run_ok 0, the last success time kept"
sleep 1.1 # a later second than the success
expect 1 br run --inbox "$SCRATCH/no-such-inbox" --metrics-file "$M" >"$LOG" 2>&1
has "$LOG" "cannot read the inbox"
check "$M"
[[ $(value "$M" 'billrun_last_run_ok{verb="run"}') == 0 ]] || fail "last_run_ok after a failure"
[[ $(value "$M" 'billrun_last_success_timestamp_seconds{verb="run"}') == "$success" ]] ||
    fail "the last success time was not kept"
[[ $(value "$M" 'billrun_last_run_timestamp_seconds{verb="run"}') -gt $success ]] || fail "last run time"

step "a failed run (no database): the same"
expect 1 "$BIN" run --inbox "$SRC/samples/inbox" --db "host=$SCRATCH dbname=nothing" --metrics-file "$M" \
    >"$LOG" 2>&1
check "$M"
[[ $(value "$M" 'billrun_last_success_timestamp_seconds{verb="run"}') == "$success" ]] ||
    fail "the last success time was not kept"

step "a metrics file that cannot be written: a warning; the run's exit code stands"
expect 0 br run --inbox "$SRC/samples/inbox" --as-of "$AS_OF" --metrics-file "$SCRATCH/no/dir/x.prom" \
    >"$LOG" 2>&1
has "$LOG" "billrun: warning: cannot write metrics"
has "$LOG" "nothing new to post"

step "the progress line: on a terminal (script(1) gives one), erased before the summary"
new_db progress
TS=$SCRATCH/typescript
# held 1.5 s at the ingest stage: the line appears after half a second
BILLRUN_TEST_PAUSE=ingest:1 script -qec "$BIN run --db dbname=$DB --inbox $SRC/samples/inbox --as-of $AS_OF" \
    "$TS" >/dev/null || [[ $? == 3 ]]
has "$TS" $'\r\e[Kingest  ['
# the last thing before the summary erases the line
tr -d '\n' <"$TS" | grep -qF $'\r\e[Kbillrun run: batch 1 committed' || fail "the line was not erased"
step "--quiet, or no terminal: no line"
new_db quiet
BILLRUN_TEST_PAUSE=ingest:1 script -qec "$BIN run --quiet --db dbname=$DB --inbox $SRC/samples/inbox --as-of $AS_OF" \
    "$TS" >/dev/null || [[ $? == 3 ]]
hasnt "$TS" "ingest  ["
new_db pipe
BILLRUN_TEST_PAUSE=ingest:1 "$BIN" run --db "dbname=$DB" --inbox "$SRC/samples/inbox" --as-of "$AS_OF" \
    >"$LOG" 2>"$SCRATCH/stderr" || true
hasnt "$SCRATCH/stderr" "ingest  ["
echo "observe.sh: passed"
