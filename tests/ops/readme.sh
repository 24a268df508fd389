#!/usr/bin/env bash
# README.md, run for real: every ```sh block in order, in one shell, as root
# on this machine, from a scratch folder holding the repository's samples/,
# scripts/, packaging/, docs/ and sql/, with build/release this build. The
# install block makes the Debian package and installs it with apt-get, as
# written; the rest uses what it installed. Three things differ from an
# operator's machine: PGDATABASE=billing names a throwaway database, the
# bucket is a local folder holding the samples (an rclone alias remote named
# "oss"), and where systemd is not running (a container) `systemctl
# daemon-reload` is skipped and `systemctl enable --now` only enables (the
# units it enables are checked with systemd-analyze verify). Then every
# ```sql block runs as billrun_auditor and must return rows. The blocks
# `scripts/demo` and `scripts/test` are left to tests/integration/readme_test.c.
# Everything installed is removed on exit (lib.sh: package_test_begin).
source "$(dirname "$0")/lib.sh"

README=$SRC/README.md
REPO=$SCRATCH/repo
DB=billrun_ops_readme_$$

package_test_begin

step "scratch repository and bucket"
mkdir -p "$REPO/build"
for d in samples scripts packaging docs sql; do ln -s "$SRC/$d" "$REPO/$d"; done
ln -s "$BUILD" "$REPO/build/release"
mkdir -p "$SCRATCH/bucket/billing-exports/daily"
cp "$SRC"/samples/inbox/*.csv "$SCRATCH/bucket/billing-exports/daily/"
export RCLONE_CONFIG_OSS_TYPE=alias RCLONE_CONFIG_OSS_REMOTE=$SCRATCH/bucket

step "roles the README creates (cluster-wide): none yet, and removed afterwards"
for r in billrun alice; do
    if [[ $(psql -X -At -d postgres -c "SELECT count(*) FROM pg_roles WHERE rolname = '$r'") == 1 ]]; then
        psql -X -q -d postgres -c "DROP ROLE $r" ||
            fail "role $r exists on this server and cannot be dropped; the README creates it"
    fi
done
CLEANUPS+=("psql -X -q -d postgres -c 'DROP ROLE IF EXISTS alice' -c 'DROP ROLE IF EXISTS billrun'")
CLEANUPS+=("psql -X -q -d postgres -c 'ALTER ROLE billrun_auditor NOLOGIN PASSWORD NULL' 2>/dev/null")

step "extract the blocks"
awk -v sh="$SCRATCH/blocks.sh" -v sqldir="$SCRATCH" '
    /^```sh$/  { kind = "sh"; start = NR; buf = ""; next }
    /^```sql$/ { kind = "sql"; start = NR; buf = ""; next }
    /^```/ && kind != "" {
        if (kind == "sh") {
            if (buf == "scripts/demo\n" || buf == "scripts/test\n") {
                setup[buf] = 1
            } else {
                printf "# --- README.md line %d\n%s", start, buf >> sh
                nsh++
            }
        } else {
            nsql++
            printf "%s", buf > (sqldir "/block-" sprintf("%02d", nsql) "-line" start ".sql")
        }
        kind = ""
        next
    }
    kind != "" { buf = buf $0 "\n" }
    END {
        if (!setup["scripts/demo\n"] || !setup["scripts/test\n"])
            { print "README.md lacks the sh blocks scripts/demo and scripts/test" > "/dev/stderr"; exit 1 }
        printf "%d sh blocks, %d sql blocks\n", nsh, nsql
    }' "$README"

step "run the sh blocks"
cat >"$SCRATCH/run.sh" <<EOF
set -euo pipefail
# Without a running systemd (a container), daemon-reload has nothing to
# reload and enable --now can only enable: the units it enables are checked
# with systemd-analyze verify instead.
if [[ ! -d /run/systemd/system ]]; then
    systemctl() {
        case "\$1" in
        daemon-reload) echo "(readme.sh) systemctl daemon-reload: skipped, systemd is not running"; return 0 ;;
        enable)
            shift
            [[ "\$1" != --now ]] || shift
            command systemctl enable "\$@"
            local u units=()
            for u in "\$@"; do units+=("/lib/systemd/system/\$u" "/lib/systemd/system/\${u%.timer}.service"); done
            systemd-analyze verify "\${units[@]}" >"$SCRATCH/verify.out" 2>&1 || { cat "$SCRATCH/verify.out"; return 1; }
            if [[ -s $SCRATCH/verify.out ]]; then cat "$SCRATCH/verify.out"; return 1; fi
            ;;
        *) echo "(readme.sh) systemctl \$*: not supported here" >&2; return 1 ;;
        esac
    }
fi
set -x
EOF
sed -e "s#PGDATABASE=billing#PGDATABASE=$DB#g" "$SCRATCH/blocks.sh" >>"$SCRATCH/run.sh"
DBS+=("$DB")
(cd "$REPO" && bash "$SCRATCH/run.sh") || fail "a README sh block failed (see the trace above)"
package_installed && package_mark

step "what the blocks did"
package_installed || fail "the billrun package is not installed"
[[ $(command -v billrun) == /usr/bin/billrun ]] || fail "billrun is not /usr/bin/billrun"
for p in billrun fetch-exports billrun-close-previous; do
    man -w "$p" >/dev/null || fail "no manual page for $p"
done
grep -q '^billrun:x:[0-9]*:[0-9]*:.*:/var/lib/billrun:/usr/sbin/nologin$' /etc/passwd ||
    fail "the package did not create the user billrun"
[[ $(stat -c '%U:%G %a' /etc/default/billrun) == "root:billrun 640" ]] ||
    fail "/etc/default/billrun is $(stat -c '%U:%G %a' /etc/default/billrun), not root:billrun 640"
for t in nightly verify close; do
    [[ -L /etc/systemd/system/timers.target.wants/billrun-$t.timer ]] || fail "the $t timer is not enabled"
done
cmp -s /etc/cron.d/billrun /usr/share/billrun/billrun.crontab || fail "/etc/cron.d/billrun is not the crontab"
[[ $(sql "SELECT count(*) FROM billing.rejects WHERE status = 'reprocessed'") == 2 ]] ||
    fail "reprocessing did not rate the two rows the README says"
ls "$REPO/out/invoices/2026-11/" >"$SCRATCH/files"
has "$SCRATCH/files" summary-202611.xlsx
has "$SCRATCH/files" INV-202611-000006_acc-77001.xlsx
[[ -f $REPO/out/inbox/orders-2026-11.csv ]] || fail "fetch-exports did not fill out/inbox"

step "run the sql blocks as billrun_auditor"
for f in "$SCRATCH"/block-*.sql; do
    out=$(psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -c 'SET ROLE billrun_auditor' -f "$f") ||
        fail "$(basename "$f"): the query failed as billrun_auditor"
    [[ -n $out ]] || fail "$(basename "$f"): no rows"
    printf '%s: %d rows\n' "$(basename "$f")" "$(printf '%s\n' "$out" | wc -l)"
done
echo "readme.sh: every README command ran"
