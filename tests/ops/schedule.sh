#!/usr/bin/env bash
# The schedule (packaging/), read rather than run (tests/ops/jobs.sh runs
# the jobs as the user billrun from the installed package): the units pass
# systemd-analyze verify once installed; each service runs as billrun from
# /etc/default/billrun, with the waiting mode given, UMask=0027, its folders
# 0750, the lock in its own runtime folder, an OnFailure= hook and the
# sandbox issue #17 asks for, and systemd-analyze security rates it 3.0 or
# better (the scores are printed); the timers fire at 02:00, 03:00 and on
# the 1st at 04:00 UTC+08:00; every variable the jobs use is in
# packaging/default/billrun; the crontab has the same three jobs; sysusers.d
# and tmpfiles.d make the user and its folders; billrun-close-previous picks
# the previous month in UTC+08:00.
source "$(dirname "$0")/lib.sh"

PKG=$SRC/packaging
U=$PKG/systemd
PREFIX=$SCRATCH/prefix
LOG=$SCRATCH/log
SERVICES="billrun-nightly.service billrun-verify.service billrun-close.service"

step "systemd-analyze verify, the units installed in a prefix: no complaint"
cmake --install "$BUILD" --prefix "$PREFIX" >"$LOG"
UNITDIR=$PREFIX/lib/systemd/system
MANPATH=$PREFIX/share/man systemd-analyze verify "$UNITDIR"/*.service "$UNITDIR"/*.timer \
    "$UNITDIR/billrun-failure@billrun-nightly.service.service" >"$LOG" 2>&1 || {
    cat "$LOG"
    fail "systemd-analyze verify failed"
}
[[ ! -s $LOG ]] || {
    cat "$LOG"
    fail "systemd-analyze verify complained"
}

step "the jobs: fetch before the run, verify, close after a nightly; waiting modes given"
N=$U/billrun-nightly.service
V=$U/billrun-verify.service
C=$U/billrun-close.service
has "$N" 'ExecStartPre=/usr/bin/flock -w 7200 ${BILLRUN_LOCK} /usr/bin/fetch-exports ${BILLRUN_REMOTE} ${BILLRUN_INBOX}'
has "$N" 'ExecStart=/usr/bin/flock -w 7200 ${BILLRUN_LOCK} /usr/bin/billrun run --no-wait --inbox ${BILLRUN_INBOX}'
has "$N" '--metrics-file ${BILLRUN_METRICS_DIR}/billrun-run.prom'
has "$N" 'SuccessExitStatus=3'
has "$V" 'ExecStart=/usr/bin/flock --shared -w 7200 ${BILLRUN_LOCK} /usr/bin/billrun verify --metrics-file ${BILLRUN_METRICS_DIR}/billrun-verify.prom'
has "$V" 'After=network-online.target postgresql.service billrun-nightly.service'
has "$C" 'ExecStart=/usr/bin/flock -w 7200 ${BILLRUN_LOCK} /usr/bin/billrun-close-previous --no-wait --out ${BILLRUN_OUT}'
has "$C" 'Requires=billrun-nightly.service'
has "$C" 'After=billrun-nightly.service'

step "every service: billrun, its settings, modes, lock, failure hook, sandbox"
for s in $SERVICES; do
    u=$U/$s
    for line in 'User=billrun' 'Group=billrun' 'EnvironmentFile=/etc/default/billrun' \
        'UMask=0027' 'StateDirectory=billrun billrun/inbox billrun/archive billrun/invoices billrun/metrics' \
        'StateDirectoryMode=0750' 'RuntimeDirectory=billrun' 'RuntimeDirectoryMode=0750' \
        'RuntimeDirectoryPreserve=yes' 'OnFailure=billrun-failure@%n.service' \
        'ProtectSystem=strict' 'ReadWritePaths=/var/lib/billrun /run/billrun' 'ProtectHome=yes' \
        'PrivateTmp=yes' 'PrivateDevices=yes' 'ProtectKernelTunables=yes' 'ProtectKernelModules=yes' \
        'ProtectControlGroups=yes' 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' \
        'SystemCallFilter=@system-service' 'CapabilityBoundingSet=' 'NoNewPrivileges=yes'; do
        grep -qxF -- "$line" "$u" || fail "$s lacks the line $line"
    done
    # no secret on a command line: Exec lines name variables, never keys
    grep -E '^Exec' "$u" | grep -qiE 'KEY|SECRET|PASSWORD|password=' && fail "$s: a secret on a command line"
done
F=$U/billrun-failure@.service
grep -q '^ExecStart=/bin/echo "<3>billrun: %i failed' "$F" || fail "the failure hook does not log at err"
has "$F" "systemctl edit billrun-failure@.service" # documented: how to replace its command
for t in nightly verify close; do has "$U/billrun-$t.timer" "Persistent=true"; done

step "systemd-analyze security: every unit 3.0 or better (OK)"
for u in $SERVICES billrun-failure@billrun-nightly.service.service; do
    systemd-analyze security --offline=true --root="$PREFIX" "$UNITDIR/$u" >"$LOG" 2>&1 ||
        fail "systemd-analyze security $u: $(tail -3 "$LOG")"
    score=$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p' "$LOG")
    [[ -n $score ]] || fail "no score for $u: $(tail -3 "$LOG")"
    printf 'systemd-analyze security %s: %s\n' "$u" "$score"
    awk -v s="$score" 'BEGIN { exit !(s <= 3.0) }' || fail "$u is exposed: $score (want <= 3.0)"
done

step "the timers: 02:00, 03:00 and 04:00 on the 1st, UTC+08:00"
next_at() { TZ=UTC systemd-analyze calendar --iterations="$2" "$(sed -n 's/^OnCalendar=//p' "$U/$1")"; }
next_at billrun-nightly.timer 2 >"$LOG"
has "$LOG" "18:00:00 UTC"
next_at billrun-verify.timer 2 >"$LOG"
has "$LOG" "19:00:00 UTC"
next_at billrun-close.timer 3 >"$LOG"
# 04:00 UTC+08:00 on the 1st is 20:00 UTC on the last day of the month before
grep -E "Next elapse: .* [0-9]{4}-[0-9]{2}-(28|29|30|31) 20:00:00 UTC" "$LOG" >/dev/null ||
    fail "the close timer does not fire at 20:00 UTC on a month's last day: $(cat "$LOG")"

step "the settings file: shell-readable, every variable the jobs use, the lock in /run/billrun"
ENVTPL=$PKG/default/billrun
(set -a && . "$ENVTPL") || fail "packaging/default/billrun is not shell-readable"
! grep -E '^[A-Z_]+=.*[[:space:]"'\'']' "$ENVTPL" || fail "a value with spaces or quotes (systemd would differ from sh)"
for v in $(grep -ohE '\$\{?[A-Z_]+' "$U"/*.service "$PKG"/cron/billrun.crontab | tr -d '${' | sort -u); do
    grep -q "^$v=" "$ENVTPL" || fail "$v is used by a job but not set in packaging/default/billrun"
done
grep -qx 'BILLRUN_LOCK=/run/billrun/billrun.lock' "$ENVTPL" || fail "the lock is not in /run/billrun"

step "the crontab: three jobs as billrun, the units' command lines"
CRON=$PKG/cron/billrun.crontab
jobs=$(grep -vE '^[[:space:]]*(#|$)|^[A-Z_]+=' "$CRON")
[[ $(printf '%s\n' "$jobs" | wc -l) == 3 ]] || fail "want three cron jobs"
field='(\*|[0-9]+(-[0-9]+)?)(/[0-9]+)?'
while read -r m h dom mon dow user cmd; do
    for f in "$m" "$h" "$dom" "$mon" "$dow"; do
        [[ $f =~ ^$field(,$field)*$ ]] || fail "cron time field '$f'"
    done
    [[ $user == billrun ]] || fail "cron job runs as $user"
    [[ $cmd == "umask 027 && set -a && . /etc/default/billrun && set +a && "* ]] ||
        fail "a cron job that does not start with umask 027 and the settings: $cmd"
done <<<"$jobs"
grep -qx 'PATH=/usr/bin:/bin' "$CRON" || fail "the crontab's PATH is not the package's"
has "$CRON" 'billrun run --quiet --no-wait --inbox "$BILLRUN_INBOX"'
has "$CRON" 'flock --shared -w 7200 "$BILLRUN_LOCK" billrun verify --quiet --metrics-file "$BILLRUN_METRICS_DIR/billrun-verify.prom"'
has "$CRON" 'billrun-close-previous --quiet --no-wait --out "$BILLRUN_OUT"'

step "sysusers.d and tmpfiles.d: the user billrun and its folders, 0750"
R=$SCRATCH/root
mkdir -p "$R/etc" "$R/usr/lib/sysusers.d" "$R/usr/lib/tmpfiles.d"
cp "$PKG/sysusers/billrun.conf" "$R/usr/lib/sysusers.d/"
cp "$PKG/tmpfiles/billrun.conf" "$R/usr/lib/tmpfiles.d/"
systemd-sysusers --root="$R" billrun.conf >"$LOG" 2>&1 || fail "systemd-sysusers: $(cat "$LOG")"
grep -q '^billrun:x:[0-9]*:[0-9]*:.*:/var/lib/billrun:/usr/sbin/nologin$' "$R/etc/passwd" ||
    fail "no user billrun with home /var/lib/billrun"
grep -q '^billrun:x:' "$R/etc/group" || fail "no group billrun"
systemd-tmpfiles --root="$R" --create billrun.conf >"$LOG" 2>&1 || fail "systemd-tmpfiles: $(cat "$LOG")"
uid=$(awk -F: '$1 == "billrun" {print $3}' "$R/etc/passwd")
for d in var/lib/billrun var/lib/billrun/inbox var/lib/billrun/invoices var/lib/billrun/metrics run/billrun; do
    [[ $(stat -c '%u %a' "$R/$d") == "$uid 750" ]] || fail "/$d is $(stat -c '%u %a' "$R/$d"), not billrun's 0750"
done

step "billrun-close-previous: the month before, in the billing calendar"
P=$SRC/scripts/billrun-close-previous
CLOSE_NOW=2026-12-01T04:00:00+08:00
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
