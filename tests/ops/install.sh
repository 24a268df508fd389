#!/usr/bin/env bash
# Packaging: cmake --install lays billrun out as the Debian package does
# (prefix /usr: /usr/bin, /lib/systemd/system, /etc/default/billrun 0640,
# sysusers.d, tmpfiles.d, three gzip'd manual pages, the SQL, the crontab;
# not billrun-gen), and under any other prefix keeps everything inside it,
# the units naming its bin/; cpack -G DEB makes that package, with its
# conffile and maintainer scripts; a default build needs no cmocka and no
# -Werror. The manual pages render without a warning; billrun(1) names every
# verb and option of `billrun --help`, the exit codes, the environment and
# the files; every verb answers --help; bad invocations exit 2.
source "$(dirname "$0")/lib.sh"

ROOT=$SCRATCH/root
PREFIX=$SCRATCH/prefix
LOG=$SCRATCH/log
UNITS="billrun-nightly.service billrun-nightly.timer billrun-verify.service billrun-verify.timer
billrun-close.service billrun-close.timer billrun-failure@.service"

step "cmake --install, prefix /usr (DESTDIR): the package's layout"
DESTDIR=$ROOT cmake --install "$BUILD" --prefix /usr >"$LOG"
for f in usr/bin/billrun usr/bin/fetch-exports usr/bin/billrun-close-previous; do
    [[ -x $ROOT/$f ]] || fail "no executable /$f"
done
for f in "$SRC"/sql/*.sql; do
    cmp -s "$f" "$ROOT/usr/share/billrun/sql/$(basename "$f")" || fail "$(basename "$f") not installed"
done
for p in billrun fetch-exports billrun-close-previous; do
    [[ -f $ROOT/usr/share/man/man1/$p.1.gz ]] || fail "no /usr/share/man/man1/$p.1.gz"
    zcat "$ROOT/usr/share/man/man1/$p.1.gz" | cmp -s - "$SRC/docs/$p.1" || fail "$p.1.gz is not docs/$p.1"
done
for u in $UNITS; do
    [[ -f $ROOT/lib/systemd/system/$u ]] || fail "no /lib/systemd/system/$u"
done
cmp -s "$ROOT/usr/lib/sysusers.d/billrun.conf" "$SRC/packaging/sysusers/billrun.conf" || fail "sysusers.d"
cmp -s "$ROOT/usr/lib/tmpfiles.d/billrun.conf" "$SRC/packaging/tmpfiles/billrun.conf" || fail "tmpfiles.d"
cmp -s "$ROOT/usr/share/billrun/billrun.crontab" "$SRC/packaging/cron/billrun.crontab" || fail "the crontab"
[[ $(stat -c %a "$ROOT/etc/default/billrun") == 640 ]] || fail "/etc/default/billrun is not 0640"
[[ -d $ROOT/etc/billrun ]] || fail "no /etc/billrun"
grep -q 'ExecStart=/usr/bin/flock .* /usr/bin/billrun run ' "$ROOT/lib/systemd/system/billrun-nightly.service" ||
    fail "the nightly unit does not run /usr/bin/billrun"
find "$ROOT" -name 'billrun-gen*' | grep -q . && fail "billrun-gen is installed"
grep -rlE "^[^#]*/usr/local" "$ROOT" && fail "an installed file names /usr/local (outside a comment)"
# nothing but these places
extra=$(cd "$ROOT" && find . -type f | grep -vE '^\./(usr/(bin|share/(billrun|man/man1)|lib/(sysusers|tmpfiles)\.d)|lib/systemd/system|etc/default)/' || true)
[[ -z $extra ]] || fail "installed elsewhere: $extra"

step "cmake --install --prefix P: everything inside P, the units naming P/bin"
cmake --install "$BUILD" --prefix "$PREFIX" >"$LOG"
[[ -x $PREFIX/bin/billrun && -f $PREFIX/etc/default/billrun && -f $PREFIX/lib/systemd/system/billrun-nightly.service ]] ||
    fail "not all inside the prefix"
has "$PREFIX/lib/systemd/system/billrun-nightly.service" "/usr/bin/flock -w 7200 \${BILLRUN_LOCK} $PREFIX/bin/fetch-exports "
has "$PREFIX/lib/systemd/system/billrun-close.service" "$PREFIX/bin/billrun-close-previous "
grep -q "^PATH=$PREFIX/bin:/usr/bin:" "$PREFIX/share/billrun/billrun.crontab" || fail "the crontab's PATH"
"$PREFIX/bin/billrun" --version >"$LOG"
has "$LOG" "billrun "

step "cpack -G DEB: the package, its conffile and its maintainer scripts"
cpack -G DEB --config "$BUILD/CPackConfig.cmake" -B "$SCRATCH/deb" >"$LOG" 2>&1 || fail "cpack: $(cat "$LOG")"
DEB=$(echo "$SCRATCH"/deb/billrun_*.deb)
[[ -f $DEB ]] || fail "no billrun_*.deb"
dpkg-deb -f "$DEB" Package Version Depends >"$LOG"
has "$LOG" "Package: billrun"
has "$LOG" "Version: $("$BIN" --version | awk '{print $2}')"
for d in libpq5 libxlsxwriter libcsv libcairo2 libpango adduser util-linux fonts-wqy-microhei; do
    has "$LOG" "$d"
done
dpkg-deb -c "$DEB" | awk '{print $1, $2, $NF}' >"$SCRATCH/contents"
has "$SCRATCH/contents" "-rw-r----- root/root ./etc/default/billrun"
has "$SCRATCH/contents" "-rwxr-xr-x root/root ./usr/bin/billrun"
has "$SCRATCH/contents" "./lib/systemd/system/billrun-nightly.service"
has "$SCRATCH/contents" "./usr/lib/sysusers.d/billrun.conf"
hasnt "$SCRATCH/contents" "billrun-gen"
hasnt "$SCRATCH/contents" "/usr/local"
# the same files as the DESTDIR install
(cd "$ROOT" && find . -type f | sort) >"$SCRATCH/destdir-files"
awk '$1 !~ /^d/ {print $3}' "$SCRATCH/contents" | sort >"$SCRATCH/deb-files"
cmp -s "$SCRATCH/destdir-files" "$SCRATCH/deb-files" ||
    fail "the package differs from the install: $(diff "$SCRATCH/destdir-files" "$SCRATCH/deb-files")"
dpkg-deb -e "$DEB" "$SCRATCH/control"
[[ $(cat "$SCRATCH/control/conffiles") == /etc/default/billrun ]] || fail "conffiles"
for s in postinst prerm postrm; do
    [[ -x $SCRATCH/control/$s ]] || fail "no $s"
    sh -n "$SCRATCH/control/$s" || fail "$s is not sh"
done
has "$SCRATCH/control/postinst" "systemd-sysusers billrun.conf"
has "$SCRATCH/control/postinst" "dpkg-statoverride --update --add root billrun 0640 /etc/default/billrun"

step "a user's build: no cmocka, no -Werror (cmocka hidden from pkg-config)"
mkdir -p "$SCRATCH/pc"
for d in $(pkg-config --variable pc_path pkg-config | tr : ' '); do
    [[ -d $d ]] && find "$d" -maxdepth 1 -name '*.pc' ! -name 'cmocka.pc' -exec ln -sf {} "$SCRATCH/pc/" \;
done
PKG_CONFIG_LIBDIR=$SCRATCH/pc cmake -S "$SRC" -B "$SCRATCH/userbuild" >"$LOG" 2>&1 ||
    fail "a default configure needs something missing: $(tail -20 "$LOG")"
grep -q '^BILLRUN_TESTS:BOOL=OFF' "$SCRATCH/userbuild/CMakeCache.txt" || fail "tests on by default"
grep -q '^BILLRUN_WERROR:BOOL=OFF' "$SCRATCH/userbuild/CMakeCache.txt" || fail "-Werror on by default"
PKG_CONFIG_LIBDIR=$SCRATCH/pc cmake --build "$SCRATCH/userbuild" -j 2 --target billrun >"$LOG" 2>&1 ||
    fail "the default build failed: $(tail -20 "$LOG")"
grep -q -- -Werror "$SCRATCH/userbuild/compile_commands.json" && fail "-Werror in a default build"
grep -q -- -Werror "$BUILD/compile_commands.json" || fail "-Werror is off in this (scripts/build) build"

MAN=$ROOT/usr/share/man/man1/billrun.1.gz
step "the manual pages render, without a warning"
for p in billrun fetch-exports billrun-close-previous; do
    zcat "$ROOT/usr/share/man/man1/$p.1.gz" | groff -ww -z -man >"$LOG" 2>&1 || fail "groff $p: $(cat "$LOG")"
    [[ ! -s $LOG ]] || fail "groff warns on $p(1): $(cat "$LOG")"
    MANWIDTH=100 man -l "$ROOT/usr/share/man/man1/$p.1.gz" 2>"$LOG" | col -b >"$SCRATCH/$p.txt"
    [[ ! -s $LOG ]] || fail "man warns on $p(1): $(cat "$LOG")"
    for s in NAME SYNOPSIS DESCRIPTION "EXIT STATUS" ENVIRONMENT FILES "SEE ALSO"; do
        grep -q "^$s" "$SCRATCH/$p.txt" || fail "$p(1) has no $s section"
    done
done
cp "$SCRATCH/billrun.txt" "$SCRATCH/man.txt"
for s in COMMANDS OPTIONS EXAMPLES; do
    grep -q "^$s" "$SCRATCH/man.txt" || fail "billrun(1) has no $s section"
done
for e in RCLONE_CONFIG JOURNAL_STREAM /etc/default/billrun; do has "$SCRATCH/fetch-exports.txt" "$e"; done
for e in BILLRUN_TZ_OFFSET --print; do has "$SCRATCH/billrun-close-previous.txt" "$e"; done

step "billrun(1) covers every verb and option of billrun --help, and the exit codes"
"$BIN" --help >"$SCRATCH/help"
verbs=$(sed -n 's/^  billrun \([a-z]*\) .*/\1/p' "$SCRATCH/help" | sort -u)
[[ -n $verbs ]] || fail "no verbs in billrun --help"
for v in $verbs; do
    grep -qE "^ +$v( |$)|^ +billrun $v" "$SCRATCH/man.txt" || fail "billrun(1) does not describe the verb $v"
done
for o in $(grep -oE -- '--[a-z][a-z-]*' "$SCRATCH/help" | sort -u); do
    has "$SCRATCH/man.txt" "$o"
done
for e in PGHOST PGDATABASE BILLRUN_SELLER_CONF /etc/billrun/seller.conf /etc/default/billrun; do
    has "$SCRATCH/man.txt" "$e"
done
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
