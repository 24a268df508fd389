#!/usr/bin/env bash
# billrun's database lock and connection when something else holds on
# (issue #17; every step but the first needs the change to billrun itself):
# - two billruns: --no-wait refuses at once while the other holds the lock;
#   --wait waits for it, up to --lock-timeout;
# - --lock-timeout SECONDS: a lock someone else holds on billrun's tables (a
#   person's LOCK TABLE, a migration) ends the run with exit 1 within the
#   timeout, nothing committed, instead of hanging until the unit's timeout;
# - TCP keepalives and a user timeout on every connection, so that a
#   network that silently drops the connection ends a run in minutes, not
#   hours: SO_KEEPALIVE, TCP_KEEPIDLE <= 120 s, TCP_KEEPINTVL <= 30 s,
#   TCP_KEEPCNT <= 10, 0 < TCP_USER_TIMEOUT <= 600000 ms (seen with strace).
# That an auditor cannot block a night is shown by tests/ops/jobs.sh, on the
# nightly job itself.
source "$(dirname "$0")/lib.sh"

AS_OF=2026-12-01T00:00:00+08:00
LOG=$SCRATCH/log
new_db
br() { "$BIN" "$@" --db "dbname=$DB"; }
batches() { sql "SELECT count(*) FROM ledger.batches"; }
mkdir -p "$SCRATCH/more"
cp "$SRC/samples/inbox/accounts-2026-11.csv" "$SCRATCH/more/accounts-2026-12.csv"
sed -i 's/^acc-10017,/acc-90017,/' "$SCRATCH/more/accounts-2026-12.csv"

step "two billruns: --no-wait refuses at once while the other holds the lock"
BILLRUN_TEST_PAUSE=ingest:8 br run --inbox "$SRC/samples/inbox" --as-of "$AS_OF" \
    >"$SCRATCH/first.out" 2>"$SCRATCH/first.err" &
first=$!
for _ in $(seq 100); do
    grep -q 'event=test_pause' "$SCRATCH/first.err" 2>/dev/null && break
    sleep 0.1
done
has "$SCRATCH/first.err" "event=test_pause"
started=$SECONDS
expect 1 br run --no-wait --inbox "$SCRATCH/more" --as-of "$AS_OF" >"$LOG" 2>&1
has "$LOG" "holds the database lock"
((SECONDS - started <= 3)) || fail "--no-wait took $((SECONDS - started)) s"

step "[needs C: --wait, --lock-timeout] --wait waits, up to --lock-timeout"
started=$SECONDS
expect 1 br run --wait --lock-timeout 2 --inbox "$SCRATCH/more" --as-of "$AS_OF" >"$LOG" 2>&1
grep -qiE 'lock.*time' "$LOG" || fail "no lock timeout in the message: $(cat "$LOG")"
((SECONDS - started >= 1 && SECONDS - started <= 6)) || fail "gave up after $((SECONDS - started)) s, want 2"
br run --wait --lock-timeout 60 --inbox "$SCRATCH/more" --as-of "$AS_OF" >"$LOG" 2>&1 ||
    fail "--wait did not get the lock once the first run was done: $(cat "$LOG")"
wait "$first" || [[ $? == 3 ]] || fail "the first run: $(cat "$SCRATCH/first.err")"
[[ $(batches) == 2 ]] || fail "want 2 batches, have $(batches)"

step "[needs C: --lock-timeout] a table lock someone else holds: exit 1 within the timeout, nothing committed"
cp "$SRC/samples/inbox/eas-2026-11-w2.csv" "$SCRATCH/more/eas-2026-12-w2.csv"
PGAPPNAME=billrun-ops-locker psql -X -q -d "$DB" >"$SCRATCH/locker.log" 2>&1 <<'SQL' &
BEGIN;
LOCK TABLE ledger.batches IN ACCESS EXCLUSIVE MODE;
SELECT pg_sleep(60);
SQL
locker=$!
CLEANUPS+=("psql -X -q -d postgres -c \"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'billrun-ops-locker'\" >/dev/null")
for _ in $(seq 100); do
    [[ $(psql -X -At -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'billrun-ops-locker' AND wait_event = 'PgSleep'") == 1 ]] && break
    sleep 0.1
done
started=$SECONDS
expect 1 br run --no-wait --lock-timeout 2 --inbox "$SCRATCH/more" --as-of "$AS_OF" >"$LOG" 2>&1
((SECONDS - started <= 10)) || fail "the run waited $((SECONDS - started)) s on a lock, want about 2"
grep -qiE 'lock.*time' "$LOG" || fail "no lock timeout in the message: $(cat "$LOG")"
psql -X -q -d postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'billrun-ops-locker'" >/dev/null
wait "$locker" || true
[[ $(batches) == 2 ]] || fail "a batch was committed"

step "[needs C: keepalives] TCP keepalives and a user timeout on the connection"
PORT=$(psql -X -At -d postgres -c 'SHOW port')
# LeakSanitizer cannot run under ptrace: an ASan build would die in its
# leak check at exit, so the check is off for this one traced run.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
    strace -f -qq -e trace=setsockopt -o "$SCRATCH/strace" \
    "$BIN" verify --quiet --db "host=127.0.0.1 port=$PORT dbname=$DB" >"$LOG" 2>&1 ||
    fail "verify over TCP: $(cat "$LOG")"
opt() { # NAME: the value billrun set for the socket option
    sed -n "s/.*setsockopt([0-9]*, [A-Z_]*, $1, \\[\\([0-9]*\\)\\].*/\\1/p" "$SCRATCH/strace" | tail -1
}
[[ $(opt SO_KEEPALIVE) == 1 ]] || fail "no SO_KEEPALIVE: $(cat "$SCRATCH/strace")"
idle=$(opt TCP_KEEPIDLE) intvl=$(opt TCP_KEEPINTVL) cnt=$(opt TCP_KEEPCNT) uto=$(opt TCP_USER_TIMEOUT)
echo "keepalive idle ${idle:-unset} s, interval ${intvl:-unset} s, count ${cnt:-unset}; user timeout ${uto:-unset} ms"
[[ -n $idle && $idle -le 120 ]] || fail "TCP_KEEPIDLE ${idle:-unset}, want <= 120 s"
[[ -n $intvl && $intvl -le 30 ]] || fail "TCP_KEEPINTVL ${intvl:-unset}, want <= 30 s"
[[ -n $cnt && $cnt -le 10 ]] || fail "TCP_KEEPCNT ${cnt:-unset}, want <= 10"
[[ -n $uto && $uto -gt 0 && $uto -le 600000 ]] || fail "TCP_USER_TIMEOUT ${uto:-unset}, want 1 to 600000 ms"
echo "locks.sh: passed"
