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
fail() {
    printf 'FAILED %s: %s\n' "$TEST_NAME" "$*" >&2
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
