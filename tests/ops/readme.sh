#!/usr/bin/env bash
# README.md, run: every ```sh block in order in one shell, against a
# throwaway database, from a scratch folder with the repository's samples/,
# scripts/ and packaging/ (and build/release pointing at this build). Paths
# under /etc, /usr/local and /var/lib/billrun move under a scratch root;
# PGDATABASE=billing names the throwaway database; the bucket is a local
# folder holding the samples (an rclone alias remote "oss"); systemctl and
# systemd-sysusers act on the scratch root (no running systemd here) and the
# units are checked with systemd-analyze verify. Then every ```sql block runs
# as billrun_auditor and must return rows. The blocks `scripts/demo` and
# `scripts/test` are left to tests/integration/readme_test.c.
source "$(dirname "$0")/lib.sh"

README=$SRC/README.md
ROOT=$SCRATCH/root
REPO=$SCRATCH/repo
DB=billrun_ops_readme_$$

step "scratch root, repository and bucket"
mkdir -p "$ROOT"/{etc/sysusers.d,etc/systemd/system,etc/default,etc/cron.d,usr/local/bin,var/lib}
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
export PATH="$ROOT/usr/local/bin:\$PATH"
ROOT="$ROOT"
# No running systemd here: enable acts on the scratch root and the units it
# enables are checked with systemd-analyze verify (paths moved to the root).
systemctl() {
    case "\$1" in
    daemon-reload) echo "(readme.sh) systemctl daemon-reload: skipped"; return 0 ;;
    enable)
        shift
        [[ "\$1" != --now ]] || shift
        command systemctl --root="\$ROOT" enable "\$@"
        local v="$SCRATCH/verify" u
        mkdir -p "\$v"
        for u in "\$@"; do
            for f in "\$ROOT/etc/systemd/system/\$u" "\$ROOT/etc/systemd/system/\${u%.timer}.service"; do
                [[ -f \$f ]] || { echo "no unit \$f" >&2; return 1; }
                sed "s#/usr/local/#\$ROOT/usr/local/#g" "\$f" >"\$v/\$(basename "\$f")"
            done
        done
        MANPATH="\$ROOT/usr/local/share/man" systemd-analyze verify "\$v"/*.service "\$v"/*.timer \
            >"\$v/out" 2>&1 || { cat "\$v/out"; return 1; }
        if [[ -s \$v/out ]]; then cat "\$v/out"; return 1; fi
        ;;
    *) echo "(readme.sh) systemctl \$*: not supported here" >&2; return 1 ;;
    esac
}
systemd-sysusers() { command systemd-sysusers --root="\$ROOT" "\$@"; }
set -x
EOF
sed -e "s#/etc/#$ROOT/etc/#g" -e "s#/usr/local#$ROOT/usr/local#g" \
    -e "s#/var/lib/billrun#$ROOT/var/lib/billrun#g" -e "s#PGDATABASE=billing#PGDATABASE=$DB#g" \
    "$SCRATCH/blocks.sh" >>"$SCRATCH/run.sh"
(cd "$REPO" && bash "$SCRATCH/run.sh") || fail "a README sh block failed (see the trace above)"

step "what the blocks did"
[[ -x $ROOT/usr/local/bin/billrun && -f $ROOT/usr/local/share/man/man1/billrun.1 ]] ||
    fail "cmake --install did not install billrun and billrun(1)"
grep -q '^billrun:' "$ROOT/etc/passwd" || fail "systemd-sysusers did not create the user billrun"
[[ -L $ROOT/etc/systemd/system/timers.target.wants/billrun-nightly.timer ]] ||
    fail "the nightly timer is not enabled"
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
