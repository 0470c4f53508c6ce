#!/bin/bash
# Checkpoints of the default Linux guest: its boot and workload are
# recorded with the default interval (a few dozen checkpoints), each
# command typed when its prompt appears, then
#   - every interval [K, K+1] replays alone, printing exactly its stretch
#     of the console (the replays run two at a time);
#   - from a middle checkpoint to the end, a sparse restore loads only
#     the pages the guest touches (--stats), and --full-restore loads
#     every nonzero page; both print exactly their stretch;
#   - a recorder killed with SIGKILL mid-run leaves checkpoints that a
#     replay --from can start at.
#
# Skipped under the sanitizer pass (minutes of ASan; tests/e2e/checkpoint.sh
# runs the same code there on a small guest), and if the default guest
# has not been built.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
ENCORE=${ENCORE:-build/encore}
GUEST=${GUEST:-build/guest}
export ENCORE_GUEST_DIR=$GUEST
TIMEOUT=${TIMEOUT:-600}
PAR=${PAR:-2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ "${ENCORE_SANITIZED:-0}" = 1 ]; then
	echo "skipped under the sanitizer build (tests/e2e/checkpoint.sh covers the same code)"
	exit 77
fi
for f in vmlinux initramfs.cpio; do
	[ -r "$GUEST/$f" ] || { echo "skipped: $GUEST/$f is missing (guest/build-guest.sh)"; exit 77; }
done

# stretch FILE FROM [TO]: bytes FROM..TO (or the end) of FILE.
stretch() {
	if [ $# -ge 3 ]; then tail -c +$(($2 + 1)) "$1" | head -c $(($3 - $2))
	else tail -c +$(($2 + 1)) "$1"; fi
}
# stat_of FILE KEY: the number after "KEY: " in a --stats report.
stat_of() { sed -n "s/^$2: \([0-9]*\).*/\1/p" "$1"; }

# ---- the recording ----
printf 'workload\npoweroff -f\n' >"$tmp/workload.lines"
record_typed rec "$tmp/workload.lines"
rc=$?
"$ENCORE" inspect --json "$tmp/rec" >"$tmp/rec.json" 2>"$tmp/rec.json.err"
# bytes[K]: console bytes printed by checkpoint K; the last is the final one.
read -r -a bytes < <(python3 -c 'import json, sys
c = json.load(open(sys.argv[1]))["checkpoints"]
assert all(x["final"] == (x is c[-1]) for x in c) and c[0]["instructions"] == 0
print(" ".join(str(x["console_bytes"]) for x in c))' "$tmp/rec.json" 2>>"$tmp/rec.json.err")
n=${#bytes[@]}
last=$((n - 1))
if [ $rc = 0 ] && grep -qx 'workload: done' <(tr -d '\r' <"$tmp/rec.out") &&
   cmp -s "$tmp/rec.out" "$tmp/rec/console.out" && [ "$n" -ge 10 ] &&
   grep -q '^interval 200000000$' "$tmp/rec/meta"; then
	ok "record: boot and workload (exit 0), default interval, $n checkpoints"
else
	not_ok "record (exit $rc, $n checkpoints)" "$tmp/rec.err"
	cat "$tmp/rec.json.err"
	finish; exit
fi

# ---- the replays, two at a time ----
# job NAME ARGS...: `encore replay ARGS` with its stdout, stderr and exit
# status in $tmp/NAME.{out,err,rc}.
job() {
	local name=$1; shift
	timeout "$TIMEOUT" "$ENCORE" replay "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null
	echo $? >"$tmp/$name.rc"
}
mid=$((last / 2))
jobs=("mid $tmp/rec --from $mid --stats" "full $tmp/rec --from $mid --to $((mid + 2)) --full-restore --stats")
for ((k = 0; k < last; k++)); do
	jobs+=("iv$k $tmp/rec --from $k --to $((k + 1))")
done
t0=$SECONDS
running=0
for j in "${jobs[@]}"; do
	if [ $running -ge "$PAR" ]; then wait -n; running=$((running - 1)); fi
	job $j &
	running=$((running + 1))
done
wait
echo "# ${#jobs[@]} replays in $((SECONDS - t0)) s"

bad=()
for ((k = 0; k < last; k++)); do
	rc=$(cat "$tmp/iv$k.rc" 2>/dev/null || echo none)
	if [ "$rc" != 0 ]; then bad+=("$k:exit-$rc")
	elif ! cmp -s "$tmp/iv$k.out" <(stretch "$tmp/rec/console.out" "${bytes[k]}" "${bytes[k + 1]}")
	then bad+=("$k:output"); fi
done
if [ ${#bad[@]} = 0 ]; then
	ok "every one of the $last intervals replays alone (--from K --to K+1): exit 0, its own output"
else
	not_ok "${#bad[@]} of $last intervals fail alone (K:why): ${bad[*]}" "$tmp/iv${bad[0]%%:*}.err"
fi

rc=$(cat "$tmp/mid.rc")
if [ "$rc" = 0 ] && cmp -s "$tmp/mid.out" <(stretch "$tmp/rec/console.out" "${bytes[mid]}") &&
   grep -q "replayed exactly from checkpoint $mid to the end" "$tmp/mid.err"; then
	ok "--from $mid to the end: exit 0, prints console.out from byte ${bytes[mid]} on"
else
	not_ok "--from $mid to the end (exit $rc)" "$tmp/mid.err"
fi
total=$(stat_of "$tmp/mid.err" pages-in-guest)
nz=$(stat_of "$tmp/mid.err" pages-nonzero-at-checkpoint)
loaded=$(stat_of "$tmp/mid.err" pages-loaded)
if [ -n "$total" ] && [ -n "$nz" ] && [ -n "$loaded" ] && [ $((loaded * 2)) -lt "$total" ] &&
   [ "$loaded" -lt "$nz" ] && grep -q "^restore: checkpoint $mid, sparse" "$tmp/mid.err" &&
   grep -q "^page-store-bytes-read: [1-9]" "$tmp/mid.err" && grep -q "^peak-rss-mib: " "$tmp/mid.err"; then
	ok "  --stats: the sparse restore loaded $loaded pages, of $nz nonzero and $total in the guest"
else
	not_ok "  --stats (loaded '$loaded', nonzero '$nz', in the guest '$total')" "$tmp/mid.err"
fi
rc=$(cat "$tmp/full.rc")
nz=$(stat_of "$tmp/full.err" pages-nonzero-at-checkpoint)
loaded=$(stat_of "$tmp/full.err" pages-loaded)
if [ "$rc" = 0 ] && [ -n "$nz" ] && [ "$loaded" = "$nz" ] &&
   grep -q "^restore: checkpoint $mid, full" "$tmp/full.err" &&
   cmp -s "$tmp/full.out" <(stretch "$tmp/rec/console.out" "${bytes[mid]}" "${bytes[mid + 2]}"); then
	ok "--from $mid --to $((mid + 2)) --full-restore: exit 0, its own output, loaded all $nz nonzero pages"
else
	not_ok "--from $mid --to $((mid + 2)) --full-restore (exit $rc, loaded '$loaded' of '$nz')" "$tmp/full.err"
fi
"$ENCORE" inspect --verify "$tmp/rec" >/dev/null 2>"$tmp/verify.err"
rc=$?
[ $rc = 0 ] && ok "inspect --verify: $(tail -n 1 "$tmp/verify.err")" ||
	not_ok "inspect --verify (exit $rc)" "$tmp/verify.err"

# ---- a damaged page that still decompresses: its hash catches it ----
# The first page stored raw (incompressible): "page offset checkpoint".
read -r page off owner < <(python3 -c 'import json, struct, sys
c = json.load(open(sys.argv[2]))["checkpoints"]
d = open(sys.argv[1], "rb").read()
at, number = 32, 1
while at < len(d):
    packed = struct.unpack_from("<I", d, at + 4)[0]
    if packed == 4096:
        first = 1
        for x in c:
            if number < first + x["new_pages"]:
                print(number, at, x["index"])
                sys.exit(0)
            first += x["new_pages"]
    at, number = at + 24 + packed, number + 1' "$tmp/rec/pages" "$tmp/rec.json")
if [ -z "${page:-}" ]; then
	skip "a flipped byte in a raw page" "no page was stored raw"
elif [ "$owner" -ge "$last" ]; then
	skip "a flipped byte in a raw page" "the first raw page is the final checkpoint's"
else
	mkdir "$tmp/flip"
	ln -s "$(cd "$tmp/rec" && pwd)"/* "$tmp/flip/"
	rm "$tmp/flip/pages" && cp "$tmp/rec/pages" "$tmp/flip/pages"
	python3 -c 'import sys; f = open(sys.argv[1], "r+b"); o = int(sys.argv[2]); f.seek(o)
b = f.read(1); f.seek(o); f.write(bytes([b[0] ^ 1]))' "$tmp/flip/pages" $((off + 24 + 1000))
	"$ENCORE" replay -q "$tmp/flip" --from "$owner" --full-restore </dev/null >/dev/null 2>"$tmp/flip.err"
	rc=$?
	if [ $rc = 2 ] && grep -qE "pages is damaged: the [0-9]+ pages checkpoint $owner stored \(bytes [0-9]+ to [0-9]+\) fail their checksum" "$tmp/flip.err" &&
	   grep -q "cannot be replayed from checkpoint $owner: the damage reaches it" "$tmp/flip.err"; then
		ok "a flipped byte in raw page $page: --from $owner --full-restore: exit 2, $(grep -m1 damaged "$tmp/flip.err" | cut -c1-150)"
	else
		not_ok "a flipped byte in raw page $page: --from $owner --full-restore (exit $rc)" "$tmp/flip.err"
	fi
	"$ENCORE" inspect --verify "$tmp/flip" >/dev/null 2>"$tmp/flip-verify.err"
	rc=$?
	if [ $rc = 2 ] && grep -q "page $page (stored by checkpoint $owner, at byte $off) fails its XXH3-128" "$tmp/flip-verify.err" &&
	   grep -q "what is usable: a replay from the start can run; " "$tmp/flip-verify.err"; then
		ok "  ...inspect --verify: exit 2, names page $page and checkpoint $owner; $(grep -m1 'what is usable' "$tmp/flip-verify.err" | cut -c23-200)"
	else
		not_ok "  ...inspect --verify (exit $rc)" "$tmp/flip-verify.err"
	fi
fi

# ---- a recorder killed with SIGKILL mid-run ----
# Killed once the workload has begun (a fixed delay outlived the whole run
# on a fast host): its checkpoints up to there are whole, the rest not.
"$ENCORE" record -o "$tmp/killed" <"$tmp/workload.lines" >"$tmp/killed.out" 2>&1 &
pid=$!
for _ in $(seq 1200); do
	grep -q 'workload: ' "$tmp/killed.out" 2>/dev/null && break
	sleep 0.1
done
sleep 0.5
kill -KILL $pid 2>/dev/null
wait $pid 2>/dev/null
# The checkpoints that made it: a record and a CHECKPOINT event both.
"$ENCORE" inspect --json --events "$tmp/killed" >"$tmp/killed.json" 2>"$tmp/killed.json.err"
read -r -a usable < <(python3 -c 'import json, re, sys
d = json.load(open(sys.argv[1]))
logged = {int(m.group(1)) for e in d["event_list"] if e["kind"] == "checkpoint"
          for m in [re.match(r"#(\d+) ", e["details"])] if m}
c = d["checkpoints"]
print(" ".join("%d:%d" % (x["index"], x["console_bytes"]) for x in c if x["index"] in logged))
print(" ".join(str(x["index"]) for x in c if x["index"] not in logged), file=sys.stderr)' \
	"$tmp/killed.json" 2>"$tmp/unlogged")
if grep -q '^state recording' "$tmp/killed/meta" 2>/dev/null && [ ${#usable[@]} -ge 2 ]; then
	ok "SIGKILL mid-workload: a recording cut short, with ${#usable[@]} usable checkpoints"
else
	not_ok "SIGKILL mid-workload: ${#usable[@]} usable checkpoints" "$tmp/killed.json.err"
fi
# From the last usable checkpoint and from one halfway: exit 3 (or 0),
# printing a prefix of the rest of console.out.
picks=()
[ ${#usable[@]} -ge 1 ] && picks+=("${usable[-1]}")
[ ${#usable[@]} -ge 3 ] && picks+=("${usable[${#usable[@]} / 2]}")
for p in "${picks[@]}"; do
	k=${p%%:*} b=${p#*:}
	timeout "$TIMEOUT" "$ENCORE" replay "$tmp/killed" --from "$k" </dev/null \
		>"$tmp/killed$k.out" 2>"$tmp/killed$k.err"
	rc=$?
	got=$(stat -c %s "$tmp/killed$k.out")
	if { [ $rc = 0 ] || { [ $rc = 3 ] && grep -q "cut short" "$tmp/killed$k.err"; }; } &&
	   cmp -s "$tmp/killed$k.out" <(stretch "$tmp/killed/console.out" "$b" $((b + got))); then
		ok "  ...replay --from $k: exit $rc, $got bytes of output match console.out from byte $b"
	else
		not_ok "  ...replay --from $k: exit $rc, $got bytes" "$tmp/killed$k.err"
	fi
done
# A record on disk whose CHECKPOINT event the kill lost cannot be used.
read -r -a unlogged <"$tmp/unlogged"
if [ ${#unlogged[@]} -gt 0 ]; then
	k=${unlogged[0]}
	"$ENCORE" replay -q "$tmp/killed" --from "$k" </dev/null >/dev/null 2>"$tmp/unlogged.err"
	rc=$?
	[ $rc = 2 ] && grep -q "checkpoint $k" "$tmp/unlogged.err" &&
		ok "  ...--from $k, whose record made it but not its log event: exit 2, $(tail -n 1 "$tmp/unlogged.err")" ||
		not_ok "  ...--from $k, whose log event was lost (exit $rc)" "$tmp/unlogged.err"
fi

finish
