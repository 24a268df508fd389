#!/usr/bin/env bash
# Observability: --metrics-file is Prometheus text that promtool accepts
# after a run, a close and a failed run (which keeps the last success time);
# a metrics file that cannot be written is a warning, not a failed run; logs
# are logfmt on stderr; the progress line is drawn only on a terminal and not
# with --quiet, and is erased before the summary. Then what issue #17 asks of
# billrun itself (these steps fail until it lands): every metrics file has
# billrun_build_info; `verify --metrics-file` says whether the ledger passed,
# how many checks ran and the chain's tip; when stderr is the journal
# (JOURNAL_STREAM names it), each line starts with its syslog priority.
source "$(dirname "$0")/lib.sh"

AS_OF=2026-12-01T00:00:00+08:00
LOG=$SCRATCH/log
M=$SCRATCH/run.prom
C=$SCRATCH/close.prom
new_db
br() { "$BIN" "$@" --db "dbname=$DB"; }
check() { promtool check metrics <"$1" >"$SCRATCH/promtool.log" 2>&1 || fail "promtool on $1: $(cat "$SCRATCH/promtool.log")"; }
value() { # FILE SERIES: the sample's value (the line that starts with the series)
    awk -v s="$2 " 'index($0, s) == 1 { print $NF }' "$1"
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

step "[needs C: billrun_build_info] every metrics file says which billrun wrote it"
version=$("$BIN" --version | awk '{print $2}')
for f in "$M" "$C"; do
    grep -qE "^billrun_build_info\{([^}]*,)?version=\"$version\"(,[^}]*)?\} 1$" "$f" ||
        fail "$f has no billrun_build_info{version=\"$version\"} 1"
    grep -qx '# TYPE billrun_build_info gauge' "$f" || fail "$f: billrun_build_info is not a gauge"
done

step "[needs C: verify --metrics-file] the verify's metrics: passed, checks, the chain's tip"
new_db verify
V=$SCRATCH/verify.prom
expect 3 br run --quiet --inbox "$SRC/samples/inbox" --as-of "$AS_OF" >"$LOG" 2>&1
expect 0 br verify --metrics-file "$V" >"$LOG" 2>"$SCRATCH/stderr"
check "$V"
checks=$(grep -c '^ok ' "$LOG")
[[ $checks -gt 0 ]] || fail "verify printed no checks: $(cat "$LOG")"
[[ $(value "$V" 'billrun_verify_ok') == 1 ]] || fail "billrun_verify_ok: $(cat "$V")"
[[ $(value "$V" 'billrun_verify_checks{result="passed"}') == "$checks" ]] || fail "passed checks, want $checks"
[[ $(value "$V" 'billrun_verify_checks{result="failed"}') == 0 ]] || fail "failed checks"
tip=$(sql "SELECT batch_id || ' ' || encode(hash, 'hex') FROM ledger.batches ORDER BY batch_id DESC LIMIT 1")
[[ $(value "$V" "billrun_verify_tip_info{batch_id=\"${tip% *}\",hash=\"${tip#* }\"}") == 1 ]] ||
    fail "no billrun_verify_tip_info for batch ${tip% *}: $(cat "$V")"
[[ $(value "$V" 'billrun_last_run_ok{verb="verify"}') == 1 ]] || fail "last_run_ok of verify"
vsuccess=$(value "$V" 'billrun_last_success_timestamp_seconds{verb="verify"}')
[[ $vsuccess -gt 0 ]] || fail "no success time of verify"
grep -qE "^billrun_build_info\{([^}]*,)?version=\"$version\"" "$V" || fail "the verify's build_info"
step "[needs C: verify --metrics-file] a verify that cannot connect: ok 0, the last success kept"
sleep 1.1
expect 1 "$BIN" verify --db "host=$SCRATCH dbname=nothing" --metrics-file "$V" >"$LOG" 2>&1
check "$V"
[[ $(value "$V" 'billrun_verify_ok') == 0 ]] || fail "billrun_verify_ok after a failure: $(cat "$V")"
[[ $(value "$V" 'billrun_last_success_timestamp_seconds{verb="verify"}') == "$vsuccess" ]] ||
    fail "the verify's last success time was not kept"

step "[needs C: journald priorities] stderr is the journal: each line starts with its priority"
new_db journal
: >"$SCRATCH/stderr"
stream=$(stat -c '%d:%i' "$SCRATCH/stderr")
expect 3 env JOURNAL_STREAM="$stream" "$BIN" run --verbose --db "dbname=$DB" --inbox "$SRC/samples/inbox" \
    --as-of "$AS_OF" >"$LOG" 2>>"$SCRATCH/stderr"
grep -q '^<7>ts=[^ ]* level=debug ' "$SCRATCH/stderr" || fail "no debug line at <7>"
grep -q '^<6>ts=[^ ]* level=info event=run_done' "$SCRATCH/stderr" || fail "run_done is not at <6>"
bad=$(grep -vE '^(<3>ts=[^ ]+ level=error|<4>ts=[^ ]+ level=warn|<6>ts=[^ ]+ level=info|<7>ts=[^ ]+ level=debug) ' \
    "$SCRATCH/stderr" | head -3 || true)
[[ -z $bad ]] || fail "lines without their priority: $bad"
hasnt "$LOG" "<6>" # stdout (the summary) is left alone
: >"$SCRATCH/stderr"
expect 1 env JOURNAL_STREAM="$stream" "$BIN" run --db "dbname=$DB" --inbox "$SCRATCH/no-such-inbox" \
    >"$LOG" 2>>"$SCRATCH/stderr"
grep -q '^<3>ts=[^ ]* level=error ' "$SCRATCH/stderr" || fail "the failure is not logged at <3>"
grep -v '^<[0-7]>' "$SCRATCH/stderr" && fail "a line without a priority"
grep -q '^<3>.*cannot read the inbox' "$SCRATCH/stderr" || fail "the message is not at <3>"
: >"$SCRATCH/stderr"
expect 0 env JOURNAL_STREAM="$stream" "$BIN" run --db "dbname=$DB" --inbox "$SRC/samples/inbox" \
    --as-of "$AS_OF" --metrics-file "$SCRATCH/no/dir/x.prom" >"$LOG" 2>>"$SCRATCH/stderr"
grep -q '^<4>billrun: warning: cannot write metrics' "$SCRATCH/stderr" || fail "the warning is not at <4>"
# JOURNAL_STREAM naming another file: stderr is not the journal, no prefix
expect 0 env JOURNAL_STREAM="$stream" "$BIN" run --db "dbname=$DB" --inbox "$SRC/samples/inbox" \
    --as-of "$AS_OF" >"$LOG" 2>"$SCRATCH/stderr2"
grep -q '^<' "$SCRATCH/stderr2" && fail "a priority prefix on a stderr that is not the journal"
echo "observe.sh: passed"
