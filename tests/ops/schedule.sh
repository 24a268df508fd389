#!/usr/bin/env bash
# The schedule (packaging/): the systemd units pass systemd-analyze verify
# with billrun installed, their calendars fire at 02:00 and on the 1st at
# 04:00 UTC+08:00, every variable they use is in packaging/default/billrun,
# and their command lines do the job when run as written (with that file's
# variables, the bucket a local folder); the cron lines do the same; the jobs
# share one lock; billrun-close-previous picks the previous month in
# UTC+08:00.
source "$(dirname "$0")/lib.sh"

PKG=$SRC/packaging
PREFIX=$SCRATCH/prefix
LOG=$SCRATCH/log
AS_OF=2026-12-01T00:00:00+08:00
# The 1st of December, 04:00 in UTC+08:00: the monthly close's moment.
CLOSE_NOW=2026-12-01T04:00:00+08:00

step "install billrun, its man page and the scripts into a prefix"
cmake --install "$BUILD" --prefix "$PREFIX" >"$LOG"
install -m 755 "$SRC/scripts/fetch-exports" "$SRC/scripts/billrun-close-previous" "$PREFIX/bin/"

step "systemd-analyze verify: no complaint"
mkdir -p "$SCRATCH/units"
for f in "$PKG"/systemd/*.service "$PKG"/systemd/*.timer; do
    sed "s#/usr/local/#$PREFIX/#g" "$f" >"$SCRATCH/units/$(basename "$f")"
done
MANPATH=$PREFIX/share/man systemd-analyze verify "$SCRATCH"/units/*.service "$SCRATCH"/units/*.timer \
    >"$LOG" 2>&1 || {
    cat "$LOG"
    fail "systemd-analyze verify failed"
}
[[ ! -s $LOG ]] || {
    cat "$LOG"
    fail "systemd-analyze verify complained"
}

step "the units: lock, environment file, fetch before the run, close after a nightly"
N=$PKG/systemd/billrun-nightly.service
C=$PKG/systemd/billrun-close.service
has "$N" 'ExecStartPre=/usr/bin/flock -w 7200 ${BILLRUN_LOCK} /usr/local/bin/fetch-exports ${BILLRUN_REMOTE} ${BILLRUN_INBOX}'
has "$N" 'ExecStart=/usr/bin/flock -w 7200 ${BILLRUN_LOCK} /usr/local/bin/billrun run --inbox ${BILLRUN_INBOX}'
has "$N" 'SuccessExitStatus=3'
has "$C" 'ExecStart=/usr/bin/flock -w 7200 ${BILLRUN_LOCK} /usr/local/bin/billrun-close-previous'
has "$C" 'Requires=billrun-nightly.service'
has "$C" 'After=billrun-nightly.service'
for u in "$N" "$C"; do
    has "$u" 'EnvironmentFile=/etc/default/billrun'
    has "$u" 'User=billrun'
done

step "the timers: 02:00 every night and 04:00 on the 1st, UTC+08:00"
TZ=UTC systemd-analyze calendar --iterations=2 "$(sed -n 's/^OnCalendar=//p' "$PKG/systemd/billrun-nightly.timer")" >"$LOG"
has "$LOG" "18:00:00 UTC"
TZ=UTC systemd-analyze calendar --iterations=3 "$(sed -n 's/^OnCalendar=//p' "$PKG/systemd/billrun-close.timer")" >"$LOG"
# 04:00 UTC+08:00 on the 1st is 20:00 UTC on the last day of the month before
grep -E "Next elapse: .* [0-9]{4}-[0-9]{2}-(28|29|30|31) 20:00:00 UTC" "$LOG" >/dev/null ||
    fail "the close timer does not fire at 20:00 UTC on a month's last day: $(cat "$LOG")"
for t in "$PKG"/systemd/*.timer; do has "$t" "Persistent=true"; done

step "the environment file: shell-readable, and it sets every variable the jobs use"
ENVTPL=$PKG/default/billrun
(set -a && . "$ENVTPL") || fail "packaging/default/billrun is not shell-readable"
! grep -E '^[A-Z_]+=.*[[:space:]]' "$ENVTPL" || fail "a value with spaces (systemd would differ from sh)"
for v in $(grep -ohE '\$\{?[A-Z_]+' "$PKG"/systemd/*.service "$PKG"/cron/billrun.crontab | tr -d '${' | sort -u); do
    grep -q "^$v=" "$ENVTPL" || fail "$v is used by a job but not set in packaging/default/billrun"
done

step "the system user"
mkdir -p "$SCRATCH/root/etc/sysusers.d"
cp "$PKG/systemd/billrun.sysusers" "$SCRATCH/root/etc/sysusers.d/billrun.conf"
systemd-sysusers --root="$SCRATCH/root" >"$LOG" 2>&1 || fail "systemd-sysusers: $(cat "$LOG")"
grep -q '^billrun:x:[0-9]*:[0-9]*:.*:/var/lib/billrun:/usr/sbin/nologin$' "$SCRATCH/root/etc/passwd" ||
    fail "no user billrun with home /var/lib/billrun"

# env_file TAG: packaging/default/billrun with this test's database, folders,
# bucket and lock; prints its path.
mkdir -p "$SCRATCH/bucket"
cp "$SRC"/samples/inbox/*.csv "$SCRATCH/bucket/"
env_file() {
    local f=$SCRATCH/default-$1 var=$SCRATCH/var-$1
    mkdir -p "$var/inbox" "$var/invoices" "$var/metrics"
    sed -e "s#^PGDATABASE=.*#PGDATABASE=$DB#" \
        -e "s#^BILLRUN_SELLER_CONF=.*#BILLRUN_SELLER_CONF=$SRC/samples/seller.conf#" \
        -e "s#^BILLRUN_REMOTE=.*#BILLRUN_REMOTE=$SCRATCH/bucket#" \
        -e "s#^BILLRUN_INBOX=.*#BILLRUN_INBOX=$var/inbox#" \
        -e "s#^BILLRUN_OUT=.*#BILLRUN_OUT=$var/invoices#" \
        -e "s#^BILLRUN_METRICS_DIR=.*#BILLRUN_METRICS_DIR=$var/metrics#" \
        -e "s#^BILLRUN_LOCK=.*#BILLRUN_LOCK=$SCRATCH/billrun.lock#" "$ENVTPL" >"$f"
    echo "$f"
}
# in_job ENVFILE COMMAND: runs a job's command line as the job would: the
# environment file's variables exported, /usr/local moved to the prefix.
in_job() {
    local envf=$1 line=${2//\/usr\/local/$PREFIX}
    (
        set -a
        . "$envf"
        set +a
        export PATH="$PREFIX/bin:$PATH" BILLRUN_NOW=$CLOSE_NOW
        eval "exec $line"
    )
}
# a late file and a run as of now: the jobs' own runs are as of now, and a
# run's as-of never goes back (corrections.md section 2); now is past the
# end of November, so November can close
month_end_run() {
    printf 'account_id,name,address,tax_id,email\nacc-52860,Inkstone,Hangzhou,9133,ap@ink.example\n' \
        >"$1/accounts-2026-12-late.csv"
    expect 0 "$BIN" run --quiet --db "dbname=$DB" --inbox "$1" --as-of now >"$LOG"
}

step "the units' command lines, run as written"
new_db units
E=$(env_file units)
while IFS= read -r line; do
    expect 0 in_job "$E" "$line" 2>"$LOG"
done < <(sed -n 's/^ExecStartPre=//p' "$N")
has "$LOG" "12 fetched"
while IFS= read -r line; do
    expect 3 in_job "$E" "$line" >"$LOG" 2>&1 # the samples' rejects: a success (SuccessExitStatus)
done < <(sed -n 's/^ExecStart=//p' "$N")
promtool check metrics <"$SCRATCH/var-units/metrics/billrun-run.prom"
month_end_run "$SCRATCH/var-units/inbox"
while IFS= read -r line; do
    expect 0 in_job "$E" "$line" >"$LOG" 2>&1
done < <(sed -n 's/^ExecStart=//p' "$C")
has "$LOG" "2026-11 closed"
[[ -f $SCRATCH/var-units/invoices/2026-11/summary-202611.xlsx ]] || fail "no summary written"
promtool check metrics <"$SCRATCH/var-units/metrics/billrun-close.prom"

step "the cron lines: well-formed, and run as written"
CRON=$PKG/cron/billrun.crontab
jobs=$(grep -vE '^[[:space:]]*(#|$)|^[A-Z_]+=' "$CRON")
[[ $(printf '%s\n' "$jobs" | wc -l) == 2 ]] || fail "want two cron jobs"
field='(\*|[0-9]+(-[0-9]+)?)(/[0-9]+)?'
cmds=()
while read -r m h dom mon dow user cmd; do
    for f in "$m" "$h" "$dom" "$mon" "$dow"; do
        [[ $f =~ ^$field(,$field)*$ ]] || fail "cron time field '$f'"
    done
    [[ $user == billrun ]] || fail "cron job runs as $user"
    cmds+=("$cmd")
done <<<"$jobs"
grep -q '^PATH=/usr/local/bin:' "$CRON" || fail "the crontab's PATH lacks /usr/local/bin"
nightly=${cmds[0]}
closing=${cmds[1]}
new_db cron
E=$(env_file cron)
cronjob() { # a cron line's command in sh, as cron runs it, with the test's environment file
    (export PATH="$PREFIX/bin:$PATH" BILLRUN_NOW=$CLOSE_NOW && exec sh -c "${1//\/etc\/default\/billrun/$E}")
}
expect 3 cronjob "$nightly" >"$LOG" 2>&1
has "$LOG" "batch 1 committed"
month_end_run "$SCRATCH/var-cron/inbox"
expect 0 cronjob "$closing" >"$LOG" 2>&1
has "$LOG" "2026-11 closed"
ls "$SCRATCH/var-cron/invoices/2026-11/" >"$LOG"
has "$LOG" "INV-202611-000005_acc-77001.xlsx"

step "one lock: a nightly waits for a close that holds it (here: gives up after 1 s)"
cp "$SRC/samples/inbox/eas-2026-11-w1.csv" "$SCRATCH/bucket/eas-2026-12-new.csv"
flock "$SCRATCH/billrun.lock" sleep 4 &
holder=$!
sleep 0.5
expect 1 cronjob "${nightly//-w 7200/-w 1}" >"$LOG" 2>&1
[[ ! -e $SCRATCH/var-cron/inbox/eas-2026-12-new.csv ]] || fail "fetched while the lock was held"
wait "$holder"

step "billrun-close-previous: the month before, in the billing calendar"
P=$SRC/scripts/billrun-close-previous
check_period() { # NOW [OFFSET] WANT
    local got
    got=$(BILLRUN_NOW=$1 BILLRUN_TZ_OFFSET=${3:-+08:00} "$P" --print)
    [[ $got == "$2" ]] || fail "at $1 (${3:-+08:00}): $got, want $2"
}
check_period 2026-12-01T04:00:00+08:00 2026-11
check_period 2026-11-30T16:00:00Z 2026-11     # = Dec 1 00:00 UTC+8
check_period 2026-11-30T15:59:59Z 2026-10     # = Nov 30 23:59:59 UTC+8
check_period 2027-01-01T00:00:00+08:00 2026-12 # across the year
check_period 2026-12-01T03:00:00Z 2026-10 -05:00
out=$(BILLRUN=echo BILLRUN_NOW=$CLOSE_NOW "$P" --out /x --quiet)
[[ $out == "close --period 2026-11 --out /x --quiet" ]] || fail "it runs: $out"
expect 2 env BILLRUN_TZ_OFFSET=8 "$P" --print 2>"$LOG"
has "$LOG" "BILLRUN_TZ_OFFSET takes +HH:MM"
echo "schedule.sh: passed"
