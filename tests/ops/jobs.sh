#!/usr/bin/env bash
# The scheduled jobs as production runs them (issue #17). The README's
# install block, as written, installs the Debian package on this machine;
# its database block makes the database and the role billrun; the settings
# are edited as an operator would (this database's socket, a local folder as
# the bucket, keys for it); the README's schedule blocks enable the timers
# and install the crontab. Then the nightly run, the monthly close and the
# verify run as the user billrun: through systemd where it runs, otherwise
# the installed units' and crontab's command lines through runuser, with the
# environment systemd or cron gives them and the settings read as each reads
# them. Checked: the package's files and user; only root and billrun may
# read the settings; what the jobs write is billrun's, 0640 in 0750
# folders; only billrun may take the jobs' lock; no secret is on a command
# line; a password file works for a database over TCP; the failure hook
# logs at err.
#
# The last steps need changes to billrun itself (issue #17's C side) and
# fail until they land; each says which: verify --metrics-file and
# billrun_build_info, journald priorities on billrun's log lines, and the
# database lock an auditor cannot hold.
source "$(dirname "$0")/lib.sh"

DB=billrun_ops_jobs_$$
DB_CRON=billrun_ops_jobs_cron_$$
DBS+=("$DB" "$DB_CRON")
REPO=$SCRATCH/repo
LOG=$SCRATCH/log
BUCKET=$SCRATCH/bucket/billing-exports/daily
AS_OF=2026-12-01T00:00:00+08:00
CLOSE_NOW=2026-12-01T04:00:00+08:00 # the 1st at 04:00: the close's moment
KEY_ID=ops-test-key-id-$$
SECRET=ops-test-secret-$$-$RANDOM$RANDOM
SETTINGS=/etc/default/billrun
RUNUSER=$(command -v runuser)
JOB_ENV=() # NAME=VALUE added to a job's environment (the tests' clock, pauses)

package_test_begin

step "scratch repository, a bucket billrun may read, the README's blocks"
mkdir -p "$REPO/build" "$BUCKET"
for d in samples scripts packaging docs sql; do ln -s "$SRC/$d" "$REPO/$d"; done
ln -s "$BUILD" "$REPO/build/release"
cp "$SRC"/samples/inbox/*.csv "$BUCKET/"
chmod 711 "$SCRATCH"
chmod -R go+rX "$SCRATCH/bucket"
readme_blocks "$SCRATCH/readme"
if [[ $(psql -X -At -d postgres -c "SELECT count(*) FROM pg_roles WHERE rolname = 'billrun'") == 1 ]]; then
    psql -X -q -d postgres -c "DROP ROLE billrun" ||
        fail "role billrun exists on this server and cannot be dropped; the README creates it"
fi
CLEANUPS+=("psql -X -q -d postgres -c \"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'billrun-ops-auditor'\" >/dev/null")
CLEANUPS+=("psql -X -q -d postgres -c 'DROP ROLE IF EXISTS billrun'")

step "the README's install block, as written"
cat "$(readme_block "$SCRATCH/readme" Install)"
(cd "$REPO" && bash -euo pipefail "$(readme_block "$SCRATCH/readme" Install)") >"$LOG" 2>&1 ||
    fail "the install block failed: $(tail -20 "$LOG")"
package_mark

step "the package: programs, manual pages, units naming them, the user billrun"
dpkg -L billrun >"$SCRATCH/files"
for f in /usr/bin/billrun /usr/bin/fetch-exports /usr/bin/billrun-close-previous \
    /usr/share/man/man1/billrun.1.gz /usr/share/man/man1/fetch-exports.1.gz \
    /usr/share/man/man1/billrun-close-previous.1.gz /usr/share/billrun/sql/001_schema.sql \
    /lib/systemd/system/billrun-nightly.service /lib/systemd/system/billrun-verify.timer \
    /usr/lib/sysusers.d/billrun.conf /usr/lib/tmpfiles.d/billrun.conf /etc/default/billrun; do
    grep -qx "$f" "$SCRATCH/files" || fail "the package has no $f"
done
grep -q billrun-gen "$SCRATCH/files" && fail "the package installs billrun-gen"
grep -q /usr/local "$SCRATCH/files" && fail "the package installs into /usr/local"
for u in /lib/systemd/system/billrun-*.service; do
    grep -E '^Exec' "$u" | grep -q /usr/local && fail "$u runs something in /usr/local"
done
getent passwd billrun | grep -q ':/var/lib/billrun:/usr/sbin/nologin$' || fail "no system user billrun"
[[ $(getent passwd billrun | cut -d: -f3) -lt 1000 ]] || fail "billrun is not a system user"

step "credentials: the settings are root:billrun 0640; billrun reads them, nobody else"
[[ $(stat -c '%U:%G %a' "$SETTINGS") == "root:billrun 640" ]] ||
    fail "$SETTINGS is $(stat -c '%U:%G %a' "$SETTINGS")"
runuser -u billrun -- cat "$SETTINGS" >/dev/null || fail "billrun cannot read $SETTINGS"
expect 1 runuser -u nobody -- cat "$SETTINGS" 2>"$LOG"
has "$LOG" "Permission denied"
for d in /var/lib/billrun /var/lib/billrun/inbox /var/lib/billrun/archive /var/lib/billrun/invoices /var/lib/billrun/metrics /run/billrun; do
    [[ $(stat -c '%U:%G %a' "$d") == "billrun:billrun 750" ]] || fail "$d is $(stat -c '%U:%G %a' "$d")"
done

step "the README's database block (PGDATABASE=billing names this test's database)"
sed "s#PGDATABASE=billing#PGDATABASE=$DB#g" "$(readme_block "$SCRATCH/readme" "The database")" >"$SCRATCH/db.sh"
cat "$SCRATCH/db.sh"
bash -euo pipefail "$SCRATCH/db.sh" >"$LOG" 2>&1 || fail "the database block failed: $(cat "$LOG")"

step "the operator's edits of $SETTINGS: this database and its socket, the bucket and its keys"
SOCKDIR=$(psql -X -At -d postgres -c 'SHOW unix_socket_directories' | cut -d, -f1)
PORT=$(psql -X -At -d postgres -c 'SHOW port')
# edit_settings SED-ARGS...: edits the file in place, as an editor does (same
# file, owner and mode)
edit_settings() {
    local text
    text=$(sed "$@" "$SETTINGS") || fail "sed $*"
    printf '%s\n' "$text" >"$SETTINGS"
}
edit_settings -e "s#^PGDATABASE=.*#PGDATABASE=$DB#" -e "s#^\#PGHOST=.*#PGHOST=$SOCKDIR#" \
    -e "s#^\#PGPORT=.*#PGPORT=$PORT#" \
    -e "s#^RCLONE_CONFIG_OSS_TYPE=.*#RCLONE_CONFIG_OSS_TYPE=alias\nRCLONE_CONFIG_OSS_REMOTE=$SCRATCH/bucket#" \
    -e "s#^RCLONE_CONFIG_OSS_ACCESS_KEY_ID=.*#RCLONE_CONFIG_OSS_ACCESS_KEY_ID=$KEY_ID#" \
    -e "s#^RCLONE_CONFIG_OSS_SECRET_ACCESS_KEY=.*#RCLONE_CONFIG_OSS_SECRET_ACCESS_KEY=$SECRET#"
grep -q "^PGHOST=$SOCKDIR$" "$SETTINGS" || fail "the edit did not take"
[[ $(stat -c '%U:%G %a' "$SETTINGS") == "root:billrun 640" ]] || fail "the edit changed the mode"

step "the README's schedule blocks: the timers enabled, the crontab installed"
cat >"$SCRATCH/schedule.sh" <<'EOF'
# Without a running systemd (a container): nothing to reload, and enable
# --now can only enable.
if [[ ! -d /run/systemd/system ]]; then
    systemctl() {
        case "$1" in
        daemon-reload) return 0 ;;
        enable) shift; [[ "$1" != --now ]] || shift; command systemctl enable "$@" ;;
        *) return 1 ;;
        esac
    }
fi
EOF
cat "$(readme_block "$SCRATCH/readme" "The schedule" 1)" "$(readme_block "$SCRATCH/readme" "The schedule" 2)" \
    >>"$SCRATCH/schedule.sh"
bash -euo pipefail "$SCRATCH/schedule.sh" >"$LOG" 2>&1 || fail "the schedule blocks failed: $(cat "$LOG")"
for t in nightly verify close; do
    [[ -L /etc/systemd/system/timers.target.wants/billrun-$t.timer ]] || fail "the $t timer is not enabled"
done
cmp -s /etc/cron.d/billrun /usr/share/billrun/billrun.crontab || fail "/etc/cron.d/billrun"

# --- How the jobs run here: clear_env, then the environment systemd or cron
# gives a job, then runuser to the job's user.
clear_env() {
    local v
    for v in $(compgen -e); do unset "$v" 2>/dev/null || true; done
}
unit_key() { sed -n "s/^$2=//p" "/lib/systemd/system/$1"; } # UNIT KEY: its values
# unit_exec UNIT LINE STREAM: one Exec line of a unit as systemd runs it:
# as User=, EnvironmentFile= read (by root, as systemd does), UMask=, in /,
# systemd's PATH, ${VAR} as one word, JOURNAL_STREAM naming the journal.
unit_exec() {
    local line
    line=$(sed -E 's/\$\{([A-Z_]+)\}/"${\1}"/g' <<<"$2")
    (
        clear_env
        export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin JOURNAL_STREAM=$3
        set -a
        # shellcheck disable=SC1090 # the unit's EnvironmentFile=
        . "$(unit_key "$1" EnvironmentFile)"
        set +a
        local kv
        for kv in "${JOB_ENV[@]}"; do export "${kv?}"; done
        umask "$(unit_key "$1" UMask)"
        cd /
        exec "$RUNUSER" -u "$(unit_key "$1" User)" -- /bin/sh -c "exec $line"
    )
}
# run_unit UNIT: starts a service; its output (the journal) in $LOG, lines
# with a priority prefix as journald reads them. With systemd: systemctl
# start, and the unit's journal. Otherwise its ExecStartPre= and ExecStart= lines
# in order, stopping at one that fails (SuccessExitStatus= counts as success).
# Exit 0 when the unit succeeded.
run_unit() {
    local unit=$1 line rc ok
    if [[ -d /run/systemd/system ]]; then
        local kv since
        since=$(date '+%Y-%m-%d %H:%M:%S')
        for kv in "${JOB_ENV[@]}"; do systemctl set-environment "$kv"; done
        rc=0
        systemctl start "$unit" || rc=$?
        for kv in "${JOB_ENV[@]}"; do systemctl unset-environment "${kv%%=*}"; done
        # each line as <PRIORITY>MESSAGE, as journald read it
        journalctl -u "$unit" --since "$since" -o json --no-pager | python3 -c '
import json, sys
for e in map(json.loads, sys.stdin):
    print("<%s>%s" % (e.get("PRIORITY", "6"), e.get("MESSAGE", "")))' >"$LOG"
        return "$rc"
    fi
    : >"$LOG"
    local stream
    stream=$(stat -c '%d:%i' "$LOG")
    ok=" 0 $(unit_key "$unit" SuccessExitStatus) "
    while IFS= read -r line; do
        rc=0
        unit_exec "$unit" "$line" "$stream" >>"$LOG" 2>&1 || rc=$?
        [[ $ok == *" $rc "* ]] || return "$rc"
    done < <(unit_key "$unit" ExecStartPre && unit_key "$unit" ExecStart)
}
# cron_job N: the Nth job of /etc/cron.d/billrun as cron runs it: its user,
# the crontab's variables, HOME and LOGNAME, cron's umask, $SHELL -c; the
# output (mailed by cron) in $LOG. Exit: the command's.
cron_job() {
    local user cmd home vars kv
    read -r _ _ _ _ _ user cmd < <(grep -vE '^[[:space:]]*(#|$)|^[A-Z_]+=' /etc/cron.d/billrun | sed -n "$1p")
    [[ -n $cmd ]] || fail "no cron job $1"
    home=$(getent passwd "$user" | cut -d: -f6)
    vars=$(grep -E '^[A-Z_]+=' /etc/cron.d/billrun)
    (
        clear_env
        while IFS= read -r kv; do export "${kv?}"; done <<<"$vars"
        export HOME=$home LOGNAME=$user
        for kv in "${JOB_ENV[@]}"; do export "${kv?}"; done
        umask 022
        cd "$HOME" || exit 1
        exec "$RUNUSER" -u "$user" -- "$SHELL" -c "$cmd"
    ) >"$LOG" 2>&1
}
# job CODE FUNCTION ARGS...: runs a job, which must exit CODE; else fails
# with the end of its output.
job() {
    local want=$1 got=0
    shift
    "$@" || got=$?
    [[ $got == "$want" ]] || fail "exit $got, want $want: $*: $(tail -15 "$LOG")"
}
# as_billrun COMMAND...: by hand as billrun, with the settings as the cron
# jobs read them.
as_billrun() {
    (
        clear_env
        export PATH=/usr/bin:/bin
        cd /
        exec "$RUNUSER" -u billrun -- /bin/sh -c 'umask 027 && set -a && . /etc/default/billrun && set +a && exec "$@"' sh "$@"
    )
}
# month_end: a late accounts file and a run as of now: the jobs' runs are as
# of now, and a run's as-of never goes back (corrections.md section 2); now
# is past the end of November, so November can close.
month_end() {
    printf 'account_id,name,address,tax_id,email\nacc-52860,Inkstone,Hangzhou,9133,ap@ink.example\n' \
        >"$BUCKET/accounts-2026-12-late-$1.csv"
    chmod 644 "$BUCKET/accounts-2026-12-late-$1.csv"
    as_billrun fetch-exports oss:billing-exports/daily /var/lib/billrun/inbox >"$SCRATCH/month-end.log" 2>&1 ||
        fail "fetch as billrun: $(cat "$SCRATCH/month-end.log")"
    as_billrun billrun run --quiet --inbox /var/lib/billrun/inbox --as-of now >>"$SCRATCH/month-end.log" 2>&1 ||
        fail "the month's end run as billrun: $(cat "$SCRATCH/month-end.log")"
}
# modes_ok: everything under /var/lib/billrun is billrun's, files 0640,
# folders 0750; the lock too.
modes_ok() {
    local bad
    bad=$(find /var/lib/billrun -mindepth 1 ! -name .billrun-ops-test \
        ! \( -user billrun -group billrun \( -type f -perm 0640 -o -type d -perm 0750 \) \) \
        -printf '%M %u:%g %p\n')
    [[ -z $bad ]] || fail "not billrun's 0640 file or 0750 folder: $bad"
    [[ $(stat -c '%U:%G %a' /run/billrun/billrun.lock) == "billrun:billrun 640" ]] ||
        fail "the lock is $(stat -c '%U:%G %a' /run/billrun/billrun.lock)"
}
[[ -d /run/systemd/system ]] && echo "systemd runs here: the jobs run as its services" ||
    echo "systemd does not run here: the jobs' command lines run through runuser"

step "the nightly unit as billrun: fetch, then run (exit 3 for the samples' rejects: a success)"
run_unit billrun-nightly.service || fail "billrun-nightly.service failed ($?): $(tail -20 "$LOG")"
cp "$LOG" "$SCRATCH/nightly.log"
has "$LOG" "12 fetched"
has "$LOG" "batch 1 committed"
# applied or refused, every export left the inbox for the archive, as billrun's
[[ $(find /var/lib/billrun/inbox -maxdepth 1 -name '*.csv' | wc -l) == 0 ]] || fail "exports left in the inbox"
[[ $(find /var/lib/billrun/archive -mindepth 2 -maxdepth 2 -name '*.csv' -user billrun | wc -l) == 12 ]] ||
    fail "not 12 exports in the archive: $(find /var/lib/billrun/archive -ls)"
promtool check metrics </var/lib/billrun/metrics/billrun-run.prom >/dev/null || fail "the run's metrics"
# the scripts' lines carry their journal priority (fetch-exports: info)
grep -q '^<6>fetch-exports: .* 12 fetched' "$LOG" || fail "fetch-exports' summary is not at <6>"

step "the close unit as billrun (after a nightly, as Requires= orders it), on the 1st at 04:00"
month_end units
JOB_ENV=("BILLRUN_NOW=$CLOSE_NOW")
run_unit billrun-nightly.service || fail "billrun-nightly.service failed ($?): $(tail -20 "$LOG")"
run_unit billrun-close.service || fail "billrun-close.service failed ($?): $(tail -20 "$LOG")"
JOB_ENV=()
has "$LOG" "2026-11 closed"
ls /var/lib/billrun/invoices/2026-11/ >"$SCRATCH/files"
has "$SCRATCH/files" summary-202611.xlsx
has "$SCRATCH/files" INV-202611-000005_acc-77001.xlsx
promtool check metrics </var/lib/billrun/metrics/billrun-close.prom >/dev/null || fail "the close's metrics"

step "what the jobs wrote: billrun's, files 0640, folders 0750"
modes_ok

step "the failure hook logs at err (priority 3), naming the unit"
hook=$(unit_key billrun-failure@.service ExecStart)
out=$(cd / && runuser -u nobody -- /bin/sh -c "exec ${hook//%i/billrun-nightly.service}")
[[ $out == "<3>billrun: billrun-nightly.service failed; see journalctl -u billrun-nightly.service"* ]] ||
    fail "the hook says: $out"

step "the lock: only billrun may take it; a job that holds it makes the nightly wait (here: 1 s)"
! runuser -u nobody -- flock -n /run/billrun/billrun.lock true 2>"$LOG" || fail "nobody took the jobs' lock"
has "$LOG" "Permission denied"
cp "$SRC/samples/inbox/eas-2026-11-w1.csv" "$BUCKET/eas-2026-12-held.csv"
chmod 644 "$BUCKET/eas-2026-12-held.csv"
runuser -u billrun -- flock /run/billrun/billrun.lock sleep 4 &
holder=$!
sleep 0.5
sed -i 's/flock -w 7200 /flock -w 1 /g' /etc/cron.d/billrun
job 1 cron_job 1
[[ ! -s $LOG ]] || fail "the nightly said something: $(cat "$LOG")" # flock -w gives up silently
[[ ! -e /var/lib/billrun/inbox/eas-2026-12-held.csv ]] || fail "fetched while the lock was held"
wait "$holder"
job 3 cron_job 1 # the lock free: the same job runs
# fetched, then applied and archived by the run
compgen -G "/var/lib/billrun/archive/*/eas-2026-12-held.csv" >/dev/null ||
    fail "not fetched and archived once the lock was free"
cp /usr/share/billrun/billrun.crontab /etc/cron.d/billrun

step "the cron jobs as billrun, on a second database: nightly, close"
edit_settings -e "s#^PGDATABASE=.*#PGDATABASE=$DB_CRON#"
createdb "$DB_CRON"
billrun db init --quiet --db "dbname=$DB_CRON" >/dev/null
find /var/lib/billrun/inbox /var/lib/billrun/archive /var/lib/billrun/invoices /var/lib/billrun/metrics -mindepth 1 -delete
rm -f "$BUCKET"/accounts-2026-12-late-*.csv "$BUCKET/eas-2026-12-held.csv"
job 3 cron_job 1
has "$LOG" "batch 1 committed"
month_end cron
JOB_ENV=("BILLRUN_NOW=$CLOSE_NOW")
job 0 cron_job 3
JOB_ENV=()
has "$LOG" "2026-11 closed"
ls /var/lib/billrun/invoices/2026-11/ >"$SCRATCH/files"
has "$SCRATCH/files" INV-202611-000005_acc-77001.xlsx
modes_ok

step "no secret on a command line: every process's, while a nightly runs"
cp "$SRC/samples/inbox/eas-2026-11-w2.csv" "$BUCKET/eas-2026-12-scan.csv"
chmod 644 "$BUCKET/eas-2026-12-scan.csv"
JOB_ENV=("BILLRUN_TEST_PAUSE=ingest:4")
cron_job 1 &
job=$!
JOB_ENV=()
for _ in $(seq 50); do
    pid=$(pgrep -u billrun -x billrun | head -1) && break
    sleep 0.1
done
[[ -n ${pid:-} ]] || fail "no billrun process of the user billrun"
for c in /proc/[0-9]*/cmdline; do
    { tr '\0' ' ' <"$c"; } 2>/dev/null || true # a process may have ended since
    echo
done >"$SCRATCH/cmdlines"
has "$SCRATCH/cmdlines" "billrun run --quiet --no-wait --inbox /var/lib/billrun/inbox"
hasnt "$SCRATCH/cmdlines" "$SECRET"
hasnt "$SCRATCH/cmdlines" "$KEY_ID"
# the keys are in the job's environment, which no other user may read
expect 1 runuser -u nobody -- cat "/proc/$pid/environ" 2>/dev/null
wait "$job" || true
grep -rqF "$SECRET" /var/lib/billrun "$LOG" && fail "the secret is in a file the job wrote"

step "a database over TCP with a password file (the settings' comments): billrun's, 0600"
psql -X -q -d postgres -c "ALTER ROLE billrun PASSWORD 'ops-test-pw-$$'"
install -m 600 -o billrun -g billrun /dev/null /etc/billrun/pgpass
echo "localhost:$PORT:$DB_CRON:billrun:ops-test-pw-$$" >/etc/billrun/pgpass
[[ $(stat -c '%U %a' /etc/billrun/pgpass) == "billrun 600" ]] || fail "pgpass mode"
edit_settings -e "s#^PGHOST=.*#PGHOST=localhost#" -e "s#^\#PGPASSFILE=.*#PGPASSFILE=/etc/billrun/pgpass#"
job 0 cron_job 1 # nothing new since the last night
has "$LOG" "fetch-exports: " # the job ran: its fetch says so
edit_settings -e "s#^PGHOST=.*#PGHOST=$SOCKDIR#" -e "s#^PGPASSFILE=.*#\#PGPASSFILE=/etc/billrun/pgpass#"

# --- From here on, what billrun itself must do (issue #17's C side).

step "[needs C: verify --metrics-file, billrun_build_info] the verify unit and cron job"
run_unit billrun-verify.service || fail "billrun-verify.service failed ($?): $(tail -5 "$LOG")"
has "$LOG" "checks passed"
V=/var/lib/billrun/metrics/billrun-verify.prom
promtool check metrics <"$V" >/dev/null || fail "the verify's metrics"
grep -qE '^billrun_verify_ok(\{[^}]*\})? 1$' "$V" || fail "no billrun_verify_ok 1: $(cat "$V")"
tip=$(psql -X -At -d "$DB_CRON" -c "SELECT batch_id || ' ' || encode(hash, 'hex') FROM ledger.batches ORDER BY batch_id DESC LIMIT 1")
grep -qE "^billrun_verify_tip_info\{batch_id=\"${tip% *}\",hash=\"${tip#* }\"\} 1$" "$V" ||
    fail "no billrun_verify_tip_info of batch ${tip% *}: $(cat "$V")"
version=$(billrun --version | awk '{print $2}')
for m in billrun-run.prom billrun-close.prom billrun-verify.prom; do
    grep -qE "^billrun_build_info\{([^}]*,)?version=\"$version\"(,[^}]*)?\} 1$" "/var/lib/billrun/metrics/$m" ||
        fail "$m has no billrun_build_info{version=\"$version\"} 1"
done
job 0 cron_job 2
has "$LOG" "checks passed"
modes_ok

step "[needs C: journald priorities] billrun's log lines in the journal start with their priority"
grep -E 'ts=[0-9T:.-]+Z level=' "$SCRATCH/nightly.log" >"$SCRATCH/logfmt"
[[ -s $SCRATCH/logfmt ]] || fail "no log lines of billrun in the nightly's journal"
bad=$(grep -vE '^(<3>ts=[^ ]+ level=error|<4>ts=[^ ]+ level=warn|<6>ts=[^ ]+ level=info|<7>ts=[^ ]+ level=debug) ' \
    "$SCRATCH/logfmt" | head -3 || true)
[[ -z $bad ]] || fail "log lines without their priority: $bad"

step "[needs C: a lock only billrun_writer may take] an auditor holding every lock it may take does not block a night"
cp "$SRC/samples/inbox/eas-2026-11-w3.csv" "$BUCKET/eas-2026-12-auditor.csv"
chmod 644 "$BUCKET/eas-2026-12-auditor.csv"
PGAPPNAME=billrun-ops-auditor psql -X -q -d "$DB_CRON" -v ON_ERROR_STOP=1 >"$SCRATCH/auditor.log" 2>&1 <<'SQL' &
SET ROLE billrun_auditor;
-- the advisory lock billrun took before issue #17, and any table lock the
-- auditor may take on billrun's tables, the strongest first
SELECT pg_advisory_lock(27709411998641518);
BEGIN;
DO $$
DECLARE
    r record;
    m text;
BEGIN
    FOR r IN SELECT c.oid::regclass AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname IN ('ledger', 'billing') AND c.relkind IN ('r', 'p') LOOP
        FOREACH m IN ARRAY ARRAY['ACCESS EXCLUSIVE', 'EXCLUSIVE', 'SHARE ROW EXCLUSIVE', 'SHARE',
                                 'SHARE UPDATE EXCLUSIVE', 'ROW EXCLUSIVE', 'ROW SHARE', 'ACCESS SHARE'] LOOP
            BEGIN
                EXECUTE format('LOCK TABLE %s IN %s MODE NOWAIT', r.t, m);
                EXIT;
            EXCEPTION WHEN insufficient_privilege OR lock_not_available THEN
                NULL;
            END;
        END LOOP;
    END LOOP;
END $$;
SELECT pg_sleep(300);
SQL
auditor=$!
for _ in $(seq 100); do
    [[ $(psql -X -At -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'billrun-ops-auditor' AND wait_event = 'PgSleep'") == 1 ]] && break
    kill -0 "$auditor" 2>/dev/null || fail "the auditor's session ended: $(cat "$SCRATCH/auditor.log")"
    sleep 0.1
done
started=$SECONDS
cron_job 1 &
night=$!
(sleep 120 && kill "$night") 2>/dev/null &
watchdog=$!
rc=0
wait "$night" || rc=$?
kill "$watchdog" 2>/dev/null || true
psql -X -q -d postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'billrun-ops-auditor'" >/dev/null
wait "$auditor" || true
[[ $rc == 0 || $rc == 3 ]] || fail "the nightly exited $rc while an auditor held locks: $(tail -5 "$LOG")"
has "$LOG" "committed"
echo "the night took $((SECONDS - started)) s beside the auditor"
echo "jobs.sh: passed"
