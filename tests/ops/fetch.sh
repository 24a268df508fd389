#!/usr/bin/env bash
# scripts/fetch-exports against rclone's local backend (a folder as the
# bucket): new files arrive whole, files fetched before are not fetched
# again (even once billrun has archived them out of the inbox), a file that
# changed in the bucket (even at the same size) is fetched again and said
# so, and a failed, truncated or corrupted transfer
# leaves nothing in the inbox (a fake rclone on PATH breaks the downloads).
# What it writes is 0640 in 0750 folders whatever the umask, and its
# messages carry syslog priorities when stderr is the journal.
source "$(dirname "$0")/lib.sh"

FETCH=$SRC/scripts/fetch-exports
BUCKET=$SCRATCH/bucket/exports
INBOX=$SCRATCH/inbox
LOG=$SCRATCH/log
mkdir -p "$BUCKET"
cp "$SRC"/samples/inbox/*.csv "$BUCKET/"
echo "not an export" >"$BUCKET/README.txt"
mkdir -p "$BUCKET/archive" && cp "$SRC/samples/inbox/eas-2026-11-w1.csv" "$BUCKET/archive/eas-old.csv"

# inbox_state: names, sizes and inodes of what billrun would see.
inbox_state() { (cd "$INBOX" && find . -maxdepth 1 -type f -printf '%f %s %i\n' | sort); }
# no_partials: nothing but the lock is left in .partial, and the inbox holds
# only whole files of the bucket (same bytes).
no_partials() {
    local left
    left=$(find "$INBOX/.partial" -mindepth 1 ! -name lock | wc -l)
    [[ $left == 0 ]] || fail "$left partial files left in $INBOX/.partial"
    local f
    for f in "$INBOX"/*.csv; do
        [[ -e $f ]] || continue
        cmp -s "$f" "$BUCKET/$(basename "$f")" || fail "$(basename "$f") in the inbox is not the bucket's"
    done
}

step "usage"
expect 2 "$FETCH" 2>"$LOG"
has "$LOG" "usage: fetch-exports REMOTE:BUCKET/PREFIX INBOX"
expect 2 "$FETCH" "" "$INBOX" 2>"$LOG"
expect 0 "$FETCH" --help >"$LOG"
has "$LOG" "Exit status"

step "a first fetch brings the 12 exports, nothing else"
expect 0 "$FETCH" "$BUCKET" "$INBOX" 2>"$LOG"
has "$LOG" "12 fetched (0 of them changed since fetched before), 0 fetched before, 1 other files"
[[ $(wc -l <"$INBOX/.fetched") == 12 ]] || fail "the manifest does not list the 12 files"
[[ $(ls "$INBOX"/*.csv | wc -l) == 12 ]] || fail "not 12 files in the inbox"
[[ ! -e $INBOX/README.txt && ! -e $INBOX/eas-old.csv ]] || fail "fetched a file that is not an export"
no_partials
before=$(inbox_state)

step "files 0640, folders 0750, whatever the caller's umask"
# modes FOLDER: "mode type name" of everything under it
modes() { (cd "$1" && find . -mindepth 1 -printf '%m %y %p\n' | sort); }
for m in 000 077; do
    (umask $m && exec "$FETCH" "$BUCKET" "$SCRATCH/inbox-umask$m") 2>"$LOG"
    bad=$(modes "$SCRATCH/inbox-umask$m" | grep -vE '^(640 f|750 d) ' || true)
    [[ -z $bad ]] || fail "umask $m: $bad"
    [[ $(stat -c %a "$SCRATCH/inbox-umask$m") == 750 ]] || fail "umask $m: the inbox is not 0750"
done
rm -rf "$SCRATCH"/inbox-umask*

step "again: idempotent (nothing fetched, the same files)"
expect 0 "$FETCH" "$BUCKET" "$INBOX" 2>"$LOG"
has "$LOG" "0 fetched (0 of them changed since fetched before), 12 fetched before"
[[ $(inbox_state) == "$before" ]] || fail "a second fetch changed the inbox"

step "rclone's :local: remote syntax, and a new file"
printf 'account_id,name,address,tax_id,email\nacc-52860,Inkstone,Hangzhou,9133,ap@ink.example\n' \
    >"$BUCKET/accounts-2026-12.csv"
expect 0 "$FETCH" ":local:$BUCKET/" "$INBOX" 2>"$LOG"
has "$LOG" "fetched accounts-2026-12.csv"
has "$LOG" "1 fetched (0 of them changed since fetched before), 12 fetched before"
no_partials

step "a file that changed in the bucket, even at the same size, is fetched again (exit 3)"
cp "$INBOX/eas-2026-11-w4.csv" "$SCRATCH/w4.orig"
sed -i 's/812346/812347/; s/A10,2026-11-2/A10,2026-11-2/' "$BUCKET/eas-2026-11-w4.csv"
sed -i '2s/./X/' "$BUCKET/eas-2026-11-w4.csv" # one byte: the same size, another MD5
[[ $(stat -c %s "$BUCKET/eas-2026-11-w4.csv") == $(stat -c %s "$SCRATCH/w4.orig") ]] ||
    fail "the changed file should keep its size"
printf 'item,spec,unit_price,effective_from,effective_to,tod_from,tod_to,free_per_month\n' \
    >"$BUCKET/prices-2026-12.csv"
expect 3 "$FETCH" "$BUCKET" "$INBOX" 2>"$LOG"
has "$LOG" "eas-2026-11-w4.csv changed in the bucket since it was fetched"
has "$LOG" "fetched prices-2026-12.csv"
cmp -s "$INBOX/eas-2026-11-w4.csv" "$BUCKET/eas-2026-11-w4.csv" || fail "the new version is not in the inbox"
cp "$SCRATCH/w4.orig" "$BUCKET/eas-2026-11-w4.csv" # back as it was: changed again, fetched again
expect 3 "$FETCH" "$BUCKET" "$INBOX" 2>"$LOG"
cmp -s "$INBOX/eas-2026-11-w4.csv" "$SCRATCH/w4.orig" || fail "the first version is not back"

# A fake rclone first on PATH: lists like the real one, but breaks the
# download of one file in the way $FAKE_MODE says.
mkdir -p "$SCRATCH/fakebin"
real_rclone=$(command -v rclone)
cat >"$SCRATCH/fakebin/rclone" <<EOF
#!/usr/bin/env bash
# rclone copy -q --no-traverse --files-from-raw LIST SRC DEST, with
# oss-2026-11-w2.csv broken in DEST
if [[ \$1 == copy ]]; then
    dest=\${@: -1} src=\${@: -2:1}
    "$real_rclone" "\$@" || exit
    f=\$dest/oss-2026-11-w2.csv
    [[ -f \$f ]] || exit 0
    size=\$(stat -c %s "\$f")
    case \$FAKE_MODE in
    fail) truncate -s \$((size / 2)) "\$f"; echo "ERROR : oss-2026-11-w2.csv: Failed to copy: connection reset" >&2; exit 1 ;;
    short) truncate -s \$((size / 2)) "\$f" ;;
    corrupt) tr 'a-z' 'A-Z' <"\${src#:local:}/oss-2026-11-w2.csv" >"\$f" ;;
    esac
    exit 0
fi
exec "$real_rclone" "\$@"
EOF
chmod +x "$SCRATCH/fakebin/rclone"
# two files as if never fetched: out of the inbox and of the manifest
rm "$INBOX/oss-2026-11-w2.csv" "$INBOX/oss-2026-11-w3.csv"
sed -i '/^oss-2026-11-w[23]\.csv\t/d' "$INBOX/.fetched"
for mode in fail short corrupt; do
    step "a $mode transfer: exit 1, nothing half-written in the inbox"
    before=$(inbox_state)
    expect 1 env FAKE_MODE=$mode PATH="$SCRATCH/fakebin:$PATH" "$FETCH" "$BUCKET" "$INBOX" 2>"$LOG"
    case $mode in
    fail) has "$LOG" "download failed" && has "$LOG" "oss-2026-11-w2.csv" ;;
    short) has "$LOG" "oss-2026-11-w2.csv: downloaded" ;;
    corrupt) has "$LOG" "oss-2026-11-w2.csv: MD5" ;;
    esac
    [[ ! -e $INBOX/oss-2026-11-w2.csv ]] || fail "$mode: the broken file is in the inbox"
    [[ $(inbox_state) == "$before" ]] || fail "$mode: the inbox changed"
    no_partials
done

step "a crash left a partial file: the next fetch removes it and fetches whole"
head -c 100 "$BUCKET/oss-2026-11-w2.csv" >"$INBOX/.partial/oss-2026-11-w2.csv"
expect 0 "$FETCH" "$BUCKET" "$INBOX" 2>"$LOG"
has "$LOG" "2 fetched"
no_partials

step "one fetch at a time per inbox"
expect 1 flock "$INBOX/.partial/lock" "$FETCH" "$BUCKET" "$INBOX" 2>"$LOG"
has "$LOG" "another fetch-exports is filling"

step "a remote that cannot be listed: exit 1, inbox untouched"
before=$(inbox_state)
expect 1 "$FETCH" "$SCRATCH/no-such-bucket" "$INBOX" 2>"$LOG"
has "$LOG" "cannot list"
[[ $(inbox_state) == "$before" ]] || fail "the inbox changed"

step "stderr is the journal (JOURNAL_STREAM): syslog priorities; otherwise none"
: >"$LOG"
stream=$(stat -c '%d:%i' "$LOG")
expect 0 env JOURNAL_STREAM="$stream" "$FETCH" "$BUCKET" "$INBOX" 2>>"$LOG"
grep -qx '<6>fetch-exports: .* 0 fetched .* 14 fetched before.*' "$LOG" || fail "no <6> summary: $(cat "$LOG")"
: >"$LOG"
expect 1 env JOURNAL_STREAM="$stream" "$FETCH" "$SCRATCH/no-such-bucket" "$INBOX" 2>>"$LOG"
grep -q '^<3>fetch-exports: cannot list' "$LOG" || fail "no <3> error: $(cat "$LOG")"
: >"$LOG"
expect 2 env JOURNAL_STREAM="$stream" BILLRUN_TZ_OFFSET=8 "$SRC/scripts/billrun-close-previous" --print 2>>"$LOG"
grep -q '^<3>billrun-close-previous: BILLRUN_TZ_OFFSET' "$LOG" || fail "close-previous: no <3>"
# another stream (stderr is a file, not the journal): plain lines
expect 0 env JOURNAL_STREAM=1:1 "$FETCH" "$BUCKET" "$INBOX" 2>"$LOG"
grep -q '^fetch-exports: ' "$LOG" || fail "a prefix without the journal: $(cat "$LOG")"

step "billrun reads the fetched inbox: the samples and the two new files"
new_db
expect 3 "$BIN" run --quiet --db "dbname=$DB" --inbox "$INBOX" --as-of 2026-12-01T00:00:00+08:00 >"$LOG"
has "$LOG" "files     14 seen: 14 applied, 0 skipped (already applied), 0 refused"
# the samples' 15 rejects, less the top-up of acc-52860 whose account came
[[ $(sql "SELECT count(*) FROM billing.rejects") == 14 ]] || fail "not 14 rejects"

step "billrun archives what it read; the next fetch brings nothing back"
expect 0 "$BIN" run --quiet --db "dbname=$DB" --inbox "$INBOX" --archive "$SCRATCH/archive" \
    --as-of 2026-12-01T00:00:00+08:00 >"$LOG"
has "$LOG" "archived  14 files moved out of the inbox"
[[ $(ls "$INBOX"/*.csv 2>/dev/null | wc -l) == 0 ]] || fail "files left in the inbox"
[[ $(ls "$SCRATCH/archive/2026-12-01"/*.csv | wc -l) == 14 ]] || fail "not 14 files archived"
expect 0 "$FETCH" "$BUCKET" "$INBOX" 2>"$LOG"
has "$LOG" "0 fetched (0 of them changed since fetched before), 14 fetched before"
[[ $(ls "$INBOX"/*.csv 2>/dev/null | wc -l) == 0 ]] || fail "a fetch brought archived files back"
echo "fetch.sh: passed"
