#!/usr/bin/env bash
# Packaging: cmake --install puts billrun, its SQL migrations and billrun(1)
# under a prefix; the manual page renders without a warning and names every
# verb and option of `billrun --help`, the exit codes, the environment and
# the files; every verb answers --help; bad invocations exit 2.
source "$(dirname "$0")/lib.sh"

PREFIX=$SCRATCH/prefix
LOG=$SCRATCH/log

step "cmake --install into a prefix"
cmake --install "$BUILD" --prefix "$PREFIX" >"$LOG"
[[ -x $PREFIX/bin/billrun ]] || fail "no bin/billrun"
ls "$PREFIX"/share/billrun/sql/*.sql >/dev/null || fail "no share/billrun/sql"
for f in "$SRC"/sql/*.sql; do
    cmp -s "$f" "$PREFIX/share/billrun/sql/$(basename "$f")" || fail "$(basename "$f") not installed"
done
MAN=$PREFIX/share/man/man1/billrun.1
[[ -f $MAN ]] || fail "no share/man/man1/billrun.1"
"$PREFIX/bin/billrun" --version >"$LOG"
has "$LOG" "billrun "

step "the manual page renders, without a warning"
groff -ww -z -man "$MAN" >"$LOG" 2>&1 || fail "groff: $(cat "$LOG")"
[[ ! -s $LOG ]] || fail "groff warns: $(cat "$LOG")"
MANWIDTH=100 man -l "$MAN" 2>"$LOG" | col -b >"$SCRATCH/man.txt"
[[ ! -s $LOG ]] || fail "man warns: $(cat "$LOG")"
for s in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS "EXIT STATUS" ENVIRONMENT FILES EXAMPLES "SEE ALSO"; do
    grep -q "^$s" "$SCRATCH/man.txt" || fail "billrun(1) has no $s section"
done

step "it covers every verb and option of billrun --help, and the exit codes"
"$BIN" --help >"$SCRATCH/help"
verbs=$(sed -n 's/^  billrun \([a-z]*\) .*/\1/p' "$SCRATCH/help" | sort -u)
[[ -n $verbs ]] || fail "no verbs in billrun --help"
for v in $verbs; do
    grep -qE "^ +$v( |$)|^ +billrun $v" "$SCRATCH/man.txt" || fail "billrun(1) does not describe the verb $v"
done
for o in $(grep -oE -- '--[a-z][a-z-]*' "$SCRATCH/help" | sort -u); do
    has "$SCRATCH/man.txt" "$o"
done
for e in PGHOST PGDATABASE BILLRUN_SELLER_CONF /etc/billrun/seller.conf; do has "$SCRATCH/man.txt" "$e"; done
for c in 0 1 2 3; do grep -qE "^ +$c +[A-Z]" "$SCRATCH/man.txt" || fail "exit code $c not described"; done

step "every verb answers --help (exit 0) with its usage"
for v in $verbs; do
    "$BIN" "$v" --help >"$LOG" || fail "billrun $v --help failed"
    has "$LOG" "usage: billrun $v"
done
"$BIN" --help >/dev/null
for s in fetch-exports billrun-close-previous; do
    "$SRC/scripts/$s" --help >"$LOG" || fail "$s --help"
    has "$LOG" "Usage:"
done

step "bad invocations exit 2"
expect 2 "$BIN" 2>"$LOG"
expect 2 "$BIN" frobnicate 2>"$LOG"
has "$LOG" "unknown verb"
expect 2 "$BIN" run 2>"$LOG"
has "$LOG" "--inbox DIR is required"
expect 2 "$BIN" run --inbox x --bogus 2>"$LOG"
has "$LOG" "unknown option --bogus"
expect 2 "$BIN" run --inbox x --threads 0 2>"$LOG"
expect 2 "$BIN" run --inbox x --as-of yesterday 2>"$LOG"
expect 2 "$BIN" close --period 2026-13 --out x 2>"$LOG"
expect 2 "$BIN" close --period 2026-11 2>"$LOG"
expect 2 "$BIN" db init --tz-offset 8 2>"$LOG"
expect 2 "$BIN" explain --account a 2>"$LOG"
expect 2 "$BIN" verify extra 2>"$LOG"
echo "install.sh: passed"
