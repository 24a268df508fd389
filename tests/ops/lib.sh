# shellcheck shell=bash
# Shared by the tests/ops/*.sh scripts (sourced): the environment ctest gives
# (BILLRUN_BIN, BILLRUN_SOURCE_DIR, the PG* variables of a PostgreSQL we may
# create databases on), a scratch folder and a throwaway database removed on
# exit, and small checks. Each script exits 0 when every check passed.
set -euo pipefail

: "${BILLRUN_BIN:?run through ctest (ops_test), or set BILLRUN_BIN}"
: "${BILLRUN_SOURCE_DIR:?run through ctest (ops_test), or set BILLRUN_SOURCE_DIR}"
SRC=$BILLRUN_SOURCE_DIR
BIN=$BILLRUN_BIN
BUILD=$(cd "$(dirname "$BIN")/../.." && pwd) # the CMake build folder
TEST_NAME=$(basename "$0" .sh)
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/billrun-ops-$TEST_NAME-XXXXXX")
DB=""
CLEANUPS=()

step() { printf '\n== %s: %s\n' "$TEST_NAME" "$*"; }
# fail writes to the script's own stderr (fd 7), also from a command whose
# stderr is redirected (expect 1 CMD 2>"$LOG"), where it would be lost.
exec 7>&2
fail() {
    printf 'FAILED %s: %s\n' "$TEST_NAME" "$*" >&7
    exit 1
}
# expect CODE COMMAND...: runs the command, fails unless it exits with CODE.
expect() {
    local want=$1 got=0
    shift
    "$@" || got=$?
    [[ $got == "$want" ]] || fail "exit $got, want $want: $*"
}
# has FILE TEXT: the file contains the text.
has() { grep -qF -- "$2" "$1" || fail "$1 does not contain '$2'"; }
hasnt() { ! grep -qF -- "$2" "$1" || fail "$1 contains '$2'"; }
# sql QUERY: one value (psql -At) from the test database.
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }

# A fresh database billrun_ops_<test>[_<tag>]_<pid> with the schema, in $DB
# (dropped on exit, as every database made here).
DBS=()
new_db() {
    DB=billrun_ops_${TEST_NAME//-/_}${1:+_$1}_$$
    DBS+=("$DB")
    dropdb --if-exists "$DB" 2>/dev/null || true
    createdb "$DB"
    "$BIN" db init --quiet --db "dbname=$DB" >/dev/null
}

cleanup() {
    local rc=$?
    local c
    for c in "${CLEANUPS[@]}"; do eval "$c" || true; done
    [[ -z $DB ]] || DBS+=("$DB")
    for c in "${DBS[@]}"; do dropdb --if-exists "$c" 2>/dev/null || true; done
    rm -rf "$SCRATCH"
    exit $rc
}
trap cleanup EXIT

# readme_blocks DIR: writes each ```sh block of README.md to
# DIR/NN.sh (in order), and lists "NN<TAB>line<TAB>section" in DIR/index,
# where section is the title of the ### (or ##) heading above the block.
readme_blocks() {
    mkdir -p "$1"
    awk -v dir="$1" '
        !inblock && /^##+ / { section = $0; sub(/^##+ /, "", section) }
        !inblock && /^```sh$/ { inblock = 1; n++; start = NR; f = sprintf("%s/%02d.sh", dir, n);
                                printf "" > f; next }
        inblock && /^```$/ { inblock = 0; close(f);
                             printf "%02d\t%d\t%s\n", n, start, section > (dir "/index"); next }
        inblock { print >> f }
    ' "$SRC/README.md"
}
# readme_block DIR SECTION [N]: the path of the Nth (default 1st) sh block
# under the heading SECTION.
readme_block() {
    local f
    f=$(awk -F'\t' -v s="$2" -v n="${3:-1}" '$3 == s && ++k == n { print $1 }' "$1/index")
    [[ -n $f ]] || fail "README.md has no sh block $((${3:-1})) under \"$2\""
    echo "$1/$f.sh"
}

# --- The tests that install the Debian package on this machine (readme.sh,
# jobs.sh): as root, one at a time on the machine (two suites may run at
# once, from two build folders or two clones), and what they add
# (the package, /etc/billrun, /etc/cron.d/billrun, /var/lib/billrun,
# /run/billrun, the user billrun) is removed on exit. A package installed
# by anything but one of these tests is never touched: the test fails.
PKG_MARK=/var/lib/billrun/.billrun-ops-test
PKG_MADE_USER=""
package_installed() { dpkg-query -W -f='${Status}' billrun 2>/dev/null | grep -q ' installed$'; }
# package_remove: purges the package and what the README added around it.
package_remove() {
    rm -f /etc/cron.d/billrun /etc/billrun/seller.conf /etc/billrun/pgpass
    if package_installed || dpkg-query -W billrun >/dev/null 2>&1; then
        dpkg --purge billrun >/dev/null
    fi
}
package_test_begin() {
    [[ $(id -u) == 0 ]] ||
        fail "this test installs the billrun package on this machine: run it as root (scripts/test does)"
    exec 8>/run/lock/billrun-ops-package-test.lock
    flock -w 3600 8 || fail "another package test has held the machine for an hour"
    if [[ -e $PKG_MARK ]]; then
        echo "(lib.sh) what an interrupted package test left: removing it"
        package_remove
        rm -rf /var/lib/billrun /run/billrun
        userdel billrun 2>/dev/null || true
        groupdel billrun 2>/dev/null || true
    fi
    ! package_installed || fail "the billrun package is installed on this machine; this test would replace it"
    [[ ! -e /var/lib/billrun ]] || fail "/var/lib/billrun exists on this machine; this test would mix into it"
    getent passwd billrun >/dev/null || PKG_MADE_USER=1
    CLEANUPS+=("package_test_end")
}
package_test_end() {
    package_remove
    rm -rf /var/lib/billrun /run/billrun
    if [[ -n $PKG_MADE_USER ]]; then
        # a job a failed step left running ends within seconds (userdel
        # refuses a user with processes)
        local _
        for _ in $(seq 60); do
            pgrep -u billrun >/dev/null || break
            sleep 0.5
        done
        userdel billrun 2>/dev/null || true
        groupdel billrun 2>/dev/null || true
    fi
}
# package_mark: called once the package is in: marks the state as a test's.
package_mark() { touch "$PKG_MARK"; }
