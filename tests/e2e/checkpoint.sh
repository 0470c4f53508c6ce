#!/bin/bash
# Checkpoints on a small guest (tests/guest/echo.c, input typed with
# pauses, a checkpoint every 2M instructions: dozens of them):
#   - every interval [K, K+1] replays alone (--from K --to K+1), printing
#     exactly the recorded console output of that stretch;
#   - --from a middle checkpoint to the end, and --from K --to L, sparse
#     and --full-restore, print exactly their stretch;
#   - --interval 0 (start and end only) and --interval 1ms (virtual time);
#   - damaged page stores and checkpoint files (a flipped byte, a page
#     record cut out, a damaged record header, a file cut mid-record) get
#     exit status 2 and a message naming the checkpoint and the page, while
#     what they do not touch still replays; inspect --verify finds them.
# tests/e2e/checkpoint_linux.sh does the same on the default Linux guest.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
ENCORE=${ENCORE:-build/encore}
GUEST_DIR=${GUEST_DIR:-build/guests}
ECHO_GUEST=$GUEST_DIR/echo.elf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for f in "$ECHO_GUEST" "$ENCORE"; do
	[ -f "$f" ] || { echo "checkpoint.sh: $f is missing (make)" >&2; exit 1; }
done

# ---- helpers ----
# ckpt REC K FIELD: a field of checkpoint K in `inspect --json`.
ckpt() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(str(d["checkpoints"][int(sys.argv[2])][sys.argv[3]]).lower())' "$1.json" "$2" "$3"
}
# inspect_json REC: `inspect --json` into REC.json.
inspect_json() { "$ENCORE" inspect --json "$1" >"$1.json" 2>"$1.json.err"; }
# console_bytes REC: bytes[] from REC.json
console_bytes() {
	read -r -a bytes < <(python3 -c 'import json, sys
print(" ".join(str(c["console_bytes"]) for c in json.load(open(sys.argv[1]))["checkpoints"]))' \
		"$1.json" 2>/dev/null)
}
# stretch FILE FROM [TO]: bytes FROM..TO (or the end) of FILE.
stretch() {
	if [ $# -ge 3 ]; then tail -c +$(($2 + 1)) "$1" | head -c $(($3 - $2))
	else tail -c +$(($2 + 1)) "$1"; fi
}
# record_span FILE KIND N: "offset length" of page record N (counting
# from 1, as page numbers do) or checkpoint record N (from 0).
record_span() {
	python3 - "$@" <<'EOF'
import struct, sys
path, kind, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
d = open(path, "rb").read()
at, i = 32, (1 if kind == "page" else 0)
while at + 32 <= len(d):
    if kind == "page":
        assert struct.unpack_from("<I", d, at)[0] == 0x45474150, "no PAGE magic at %d" % at
        size = 24 + struct.unpack_from("<I", d, at + 4)[0]
    else:
        assert struct.unpack_from("<I", d, at)[0] == 0x54504b43, "no CKPT magic at %d" % at
        size = 32 + struct.unpack_from("<I", d, at + 12)[0]
    if i == n:
        print(at, size)
        sys.exit(0)
    at, i = at + size, i + 1
sys.exit("%s has no %s record %d" % (path, kind, n))
EOF
}
flip_byte() { # flip_byte FILE OFFSET: invert one bit there
	python3 -c 'import sys; f = open(sys.argv[1], "r+b"); o = int(sys.argv[2]); f.seek(o)
b = f.read(1); f.seek(o); f.write(bytes([b[0] ^ 1]))' "$1" "$2"
}
cut_bytes() { # cut_bytes FILE OFFSET LENGTH: remove them from the file
	python3 -c 'import sys; p = sys.argv[1]; o, n = int(sys.argv[2]), int(sys.argv[3])
d = open(p, "rb").read(); open(p, "wb").write(d[:o] + d[o + n:])' "$1" "$2" "$3"
}
damaged() { rm -rf "$tmp/$1"; cp -r "$tmp/rec" "$tmp/$1"; }
# expect NAME STATUS PATTERN ARGS...: `encore` ARGS exits STATUS and
# prints on stderr a line matching PATTERN.
expect() {
	local name=$1 want=$2 pattern=$3; shift 3
	"$ENCORE" "$@" >/dev/null 2>"$tmp/cmd.out" </dev/null
	local got=$?
	if [ $got = "$want" ] && grep -qE -- "$pattern" "$tmp/cmd.out"; then
		ok "$name: exit $got, $(grep -E -m1 -- "$pattern" "$tmp/cmd.out" | cut -c1-160)"
	else
		not_ok "$name (exit $got, want $want, pattern '$pattern')" "$tmp/cmd.out"
	fi
}

# ---- the recording ----
type_slowly() { printf ab; sleep 0.2; printf cd; sleep 0.3; printf e; sleep 0.1; printf q; }
type_slowly | "$ENCORE" record -o "$tmp/rec" --kernel "$ECHO_GUEST" --interval 2M \
	>"$tmp/rec.out" 2>"$tmp/rec.err"
rc=$?
inspect_json "$tmp/rec"
n=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["checkpoints"]))' \
	"$tmp/rec.json" 2>/dev/null || echo 0)
last=$((n - 1))
# bytes[K]: console bytes printed by checkpoint K.
console_bytes "$tmp/rec"
if [ $rc = 0 ] && cmp -s "$tmp/rec.out" "$tmp/rec/console.out" && [ "$n" -ge 6 ] &&
   [ "$(ckpt "$tmp/rec" "$last" final)" = true ] && [ "$(ckpt "$tmp/rec" 0 final)" = false ]; then
	ok "record: exit 0, $n checkpoints (0 at the start, $last the final one)"
else
	not_ok "record (exit $rc, $n checkpoints)" "$tmp/rec.err"
	finish; exit
fi
if python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
c = d["checkpoints"]
assert [x["index"] for x in c] == list(range(len(c))), "indexes"
assert all(x["final"] == (x is c[-1]) for x in c), "final flags"
assert all(a["instructions"] <= b["instructions"] for a, b in zip(c, c[1:])), "order"
assert all(b["instructions"] - a["instructions"] >= 2000000 for a, b in zip(c[:-2], c[1:-1])), "interval"
assert c[-1]["instructions"] == d["instructions"] and c[-1]["state_hash"] == d["state_hash"], "final"
assert c[-1]["console_bytes"] == d["console_bytes"], "console"
assert c[0]["new_pages"] > 0 and sum(x["new_bytes"] for x in c) <= d["page_store_bytes"], "pages"
' "$tmp/rec.json" 2>"$tmp/json.err"; then
	ok "inspect --json: checkpoints in order, 2M apart, the final one is the end's state"
else
	not_ok "inspect --json checkpoints" "$tmp/json.err"
fi

# ---- every interval replays alone, with exactly its console output ----
# every_interval REC: replay each [K, K+1] of REC alone; bytes[] is REC's.
every_interval() {
	local rec=$1 k rc bad=()
	local n=${#bytes[@]}
	for ((k = 0; k + 1 < n; k++)); do
		"$ENCORE" replay "$rec" --from $k --to $((k + 1)) >"$tmp/iv.out" 2>"$tmp/iv$k.err" </dev/null
		rc=$?
		stretch "$rec/console.out" "${bytes[k]}" "${bytes[k + 1]}" >"$tmp/iv.want"
		if [ $rc != 0 ]; then bad+=("$k:exit-$rc")
		elif ! cmp -s "$tmp/iv.out" "$tmp/iv.want"; then bad+=("$k:output")
		else rm -f "$tmp/iv$k.err"; fi
	done
	if [ ${#bad[@]} = 0 ]; then
		ok "each of the $((n - 1)) intervals replays alone (--from K --to K+1): exit 0, its own output"
	else
		not_ok "${#bad[@]} of $((n - 1)) intervals fail alone (K:why): ${bad[*]}" \
			"$tmp/iv${bad[0]%%:*}.err"
	fi
}
every_interval "$tmp/rec"

# ---- longer stretches ----
mid=$((last / 2))
mid_bytes=${bytes[mid]}
"$ENCORE" replay "$tmp/rec" --from $mid --stats >"$tmp/mid.out" 2>"$tmp/mid.err" </dev/null
rc=$?
if [ $rc = 0 ] && cmp -s "$tmp/mid.out" <(stretch "$tmp/rec/console.out" "$mid_bytes") &&
   grep -q "replayed exactly" "$tmp/mid.err"; then
	ok "--from $mid to the end: exit 0, prints console.out from byte $mid_bytes on"
else
	not_ok "--from $mid to the end (exit $rc)" "$tmp/mid.err"
fi
nz=$(sed -n 's/^pages-nonzero-at-checkpoint: //p' "$tmp/mid.err")
loaded=$(sed -n 's/^pages-loaded: \([0-9]*\).*/\1/p' "$tmp/mid.err")
total=$(sed -n 's/^pages-in-guest: //p' "$tmp/mid.err")
if [ "$total" = 65536 ] && [ -n "$nz" ] && [ -n "$loaded" ] && [ "$loaded" -le "$nz" ] &&
   grep -qE "^restore: checkpoint $mid, sparse" "$tmp/mid.err"; then
	ok "  --stats: sparse restore loaded $loaded of $nz nonzero pages, $total in the guest"
else
	not_ok "  --stats (loaded '$loaded', nonzero '$nz', in guest '$total')" "$tmp/mid.err"
fi
a=$((mid / 2)) b=$(((mid + last) / 2))
for mode in sparse full; do
	opt=(); [ $mode = full ] && opt=(--full-restore)
	"$ENCORE" replay "$tmp/rec" --from $a --to $b "${opt[@]}" --stats >"$tmp/ab.out" 2>"$tmp/ab.err" </dev/null
	rc=$?
	if [ $rc = 0 ] && grep -q "^restore: checkpoint $a, $mode" "$tmp/ab.err" &&
	   cmp -s "$tmp/ab.out" <(stretch "$tmp/rec/console.out" "${bytes[a]}" "${bytes[b]}"); then
		ok "--from $a --to $b ($mode restore): exit 0, exactly that stretch of console.out"
	else
		not_ok "--from $a --to $b ($mode restore) (exit $rc)" "$tmp/ab.err"
	fi
done
"$ENCORE" replay -q "$tmp/rec" --from $a --full-restore --stats >/dev/null 2>"$tmp/full.err" </dev/null
rc=$?
nz=$(sed -n 's/^pages-nonzero-at-checkpoint: //p' "$tmp/full.err")
loaded=$(sed -n 's/^pages-loaded: \([0-9]*\).*/\1/p' "$tmp/full.err")
if [ $rc = 0 ] && [ -n "$nz" ] && [ "$loaded" = "$nz" ]; then
	ok "--from $a --full-restore to the end: exit 0, loaded all $nz nonzero pages"
else
	not_ok "--from $a --full-restore (exit $rc, loaded '$loaded' of '$nz')" "$tmp/full.err"
fi
expect "--to not after --from" 2 "later checkpoint" replay -q "$tmp/rec" --from 2 --to 2
expect "--from the final checkpoint" 2 "no checkpoint $last to start from" replay -q "$tmp/rec" --from $last
expect "--from beyond the last checkpoint" 2 "no checkpoint $n " replay -q "$tmp/rec" --from $n
expect "an intact recording verifies" 0 "match their hashes" inspect --verify "$tmp/rec"

# ---- a machine with two vCPUs (the second never started) ----
CKPT_EDIT=$(dirname "$ENCORE")/tools/ckpt-edit
META_SEAL=$(dirname "$ENCORE")/tools/meta-seal
type_slowly | "$ENCORE" record -o "$tmp/smp" --smp 2 --kernel "$ECHO_GUEST" --interval 2M \
	>"$tmp/smp.out" 2>"$tmp/smp.err"
inspect_json "$tmp/smp"
if python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))
assert d["vcpus"] == 2 and d["vcpu_instructions"][1] == 0
assert d["vcpu_instructions"][0] == d["instructions"]' "$tmp/smp.json" 2>"$tmp/json.err"; then
	ok "--smp 2 recording: 2 vCPUs, the AP never started (0 instructions)"
else
	not_ok "--smp 2 recording: inspect --json" "$tmp/json.err"
fi
expect "--smp 2: --from 2 --to 3" 0 "replayed exactly" replay -q "$tmp/smp" --from 2 --to 3
# damaged_smp NAME: a copy of the two-vCPU recording to damage.
damaged_smp() { rm -rf "$tmp/$1"; cp -r "$tmp/smp" "$tmp/$1"; }
damaged_smp smp-meta
grep -v '^vcpu-instructions' "$tmp/smp/meta" | sed 's/^smp 2$/smp 3/' >"$tmp/smp-meta/meta"
"$META_SEAL" "$tmp/smp-meta/meta"
expect "the metadata's CPU count edited: replay" 2 "metadata says 3 vCPUs, its checkpoints 2" \
	replay -q "$tmp/smp-meta"
expect "  ...simulate" 2 "metadata says 3 vCPUs, its checkpoints 2" \
	simulate -q --plugin icount -o "$tmp/smp-meta.sim" "$tmp/smp-meta"
damaged_smp smp-counts
sed -i 's/^vcpu-instructions \([0-9]*\) 0$/vcpu-instructions \1 1/' "$tmp/smp-counts/meta"
"$META_SEAL" "$tmp/smp-counts/meta"
expect "the per-vCPU instructions edited" 2 "vcpu-instructions must be 2 numbers adding up" \
	replay -q "$tmp/smp-counts"
damaged_smp smp-version
"$CKPT_EDIT" "$tmp/smp-version" 2 cpu1 version+ 1 || not_ok "ckpt-edit version"
expect "a vCPU's state layout version edited: --from 2" 2 \
	"checkpoint 2: the state of 'cpu1' has layout version 2; this encore reads version 1" \
	replay -q "$tmp/smp-version" --from 2
damaged_smp smp-state
"$CKPT_EDIT" "$tmp/smp-state" 2 cpu1 flip 16 || not_ok "ckpt-edit flip"
expect "a vCPU's stored state edited: --from 2" 2 "checkpoint 2 does not restore to its recorded state hash" \
	replay -q "$tmp/smp-state" --from 2
expect "  ...inspect --verify" 2 "checkpoint 2 is damaged: its stored state .* does not have its recorded state hash" \
	inspect --verify "$tmp/smp-state"
damaged_smp smp-device
"$CKPT_EDIT" "$tmp/smp-device" 1 lapic1 version+ 3 || not_ok "ckpt-edit device version"
expect "a device's state layout version edited: --from 1" 2 \
	"checkpoint 1: the state of 'lapic1' has layout version 4; this encore reads version 1" \
	replay -q "$tmp/smp-device" --from 1

# ---- --interval 0 (start and end only) and in virtual time ----
printf abq | "$ENCORE" record -o "$tmp/i0" --kernel "$ECHO_GUEST" --interval 0 >/dev/null 2>"$tmp/i0.err"
rc=$?
inspect_json "$tmp/i0"
console_bytes "$tmp/i0"
if [ $rc = 0 ] && [ ${#bytes[@]} = 2 ] && [ "$(ckpt "$tmp/i0" 1 final)" = true ] &&
   grep -q '^interval 0$' "$tmp/i0/meta"; then
	ok "--interval 0: two checkpoints, the start and the final one"
else
	not_ok "--interval 0 (exit $rc, ${#bytes[@]} checkpoints)" "$tmp/i0.err"
fi
every_interval "$tmp/i0"
printf abq | "$ENCORE" record -o "$tmp/ims" --kernel "$ECHO_GUEST" --interval 1ms >/dev/null 2>"$tmp/ims.err"
rc=$?
inspect_json "$tmp/ims"
console_bytes "$tmp/ims"
if [ $rc = 0 ] && grep -q '^interval-ns 1000000$' "$tmp/ims/meta" && [ ${#bytes[@]} -ge 4 ] &&
   python3 -c 'import json, sys
c = json.load(open(sys.argv[1]))["checkpoints"]
assert all(b["virtual_ns"] - a["virtual_ns"] >= 1000000 for a, b in zip(c[:-2], c[1:-1]))' \
	"$tmp/ims.json" 2>"$tmp/json.err"; then
	ok "--interval 1ms: ${#bytes[@]} checkpoints, 1 ms of virtual time apart"
else
	not_ok "--interval 1ms (exit $rc, ${#bytes[@]} checkpoints)" "$tmp/ims.err"
	cat "$tmp/json.err"
fi
every_interval "$tmp/ims"
console_bytes "$tmp/rec"

# ---- damaged page store ----
# (a) a flipped byte inside the first page (stored by checkpoint 0, so a
# full restore of checkpoint 0 must load it).
read -r off len < <(record_span "$tmp/rec/pages" page 1)
damaged flip-page
flip_byte "$tmp/flip-page/pages" $((off + 24 + (len - 24) / 2))
expect "a flipped byte in page 1: --from 0 --full-restore" 2 \
	"pages is damaged: the [0-9]+ pages checkpoint 0 stored \(bytes 32 to [0-9]+\) fail their checksum" \
	replay -q "$tmp/flip-page" --from 0 --full-restore
expect "  ...a replay from the start, which does not need the page store, runs" 2 \
	"replayed without diverging" replay -q "$tmp/flip-page"
expect "  ...but ends saying the recording is damaged" 2 \
	"flip-page is damaged \(see above\), although what was replayed matched it" \
	replay -q "$tmp/flip-page"
expect "  ...and what is usable" 2 \
	"what is usable: a replay from the start can run; no checkpoint can be restored" \
	replay -q "$tmp/flip-page"
expect "  ...inspect --verify finds it" 2 "page 1 .*checkpoint 0" inspect --verify "$tmp/flip-page"
damaged flip-page-hash
flip_byte "$tmp/flip-page-hash/pages" $((off + 8))
expect "a flipped byte in page 1's stored hash: --from 0 (sparse)" 2 \
	"pages checkpoint 0 stored .* fail their checksum" replay -q "$tmp/flip-page-hash" --from 0
expect "  ...inspect --verify names the page" 2 \
	"page 1 \(stored by checkpoint 0, at byte 32\) is not where the checkpoint says" \
	inspect --verify "$tmp/flip-page-hash"

# (b) a page record cut out of the store: the first one of checkpoint 1's
# pages (or, if it stored none, of the first checkpoint after it that did).
c=1
while [ $c -lt $last ] && [ "$(ckpt "$tmp/rec" $c new_pages)" = 0 ]; do c=$((c + 1)); done
first=1
for ((q = 0; q < c; q++)); do first=$((first + $(ckpt "$tmp/rec" $q new_pages))); done
read -r off len < <(record_span "$tmp/rec/pages" page $first)
damaged cut-page
cut_bytes "$tmp/cut-page/pages" "$off" "$len"
expect "page $first (checkpoint $c's first) cut out of the store: --from $c --full-restore" 2 \
	"pages checkpoint $c stored .* fail their checksum" \
	replay -q "$tmp/cut-page" --from $c --full-restore
expect "  ...--from an earlier checkpoint still replays to the end, saying it is damaged" 2 \
	"replayed without diverging from checkpoint $((c - 1))" \
	replay -q "$tmp/cut-page" --from $((c - 1)) --full-restore
expect "  ...inspect --verify finds it" 2 "pages is corrupt: page [0-9]+ .*checkpoint|checkpoint [0-9]+ refers to page" \
	inspect --verify "$tmp/cut-page"
damaged short-pages
truncate -s $((off + 10)) "$tmp/short-pages/pages"
expect "the page store cut inside page $first: --from $c" 2 \
	"pages checkpoint $c stored .* lie beyond its end" replay -q "$tmp/short-pages" --from $c
expect "  ...--from $((c - 1)) still replays to the end, saying it is damaged" 2 \
	"replayed without diverging" replay -q "$tmp/short-pages" --from $((c - 1))

# ---- damaged checkpoints file ----
# (c) a flipped byte in checkpoint 1's payload, then in its header.
read -r off len < <(record_span "$tmp/rec/checkpoints" ckpt 1)
damaged flip-ckpt
flip_byte "$tmp/flip-ckpt/checkpoints" $((off + 32 + (len - 32) / 2))
expect "a flipped byte in checkpoint 1's record: --from 1" 2 "checkpoint 1 is corrupt" \
	replay -q "$tmp/flip-ckpt" --from 1
damaged flip-ckpt-header
flip_byte "$tmp/flip-ckpt-header/checkpoints" $((off + 13))
expect "a flipped byte in checkpoint 1's record header: --from 1" 2 \
	"checkpoint 1: its record header is damaged" replay -q "$tmp/flip-ckpt-header" --from 1
damaged ckpt-magic
printf 'X' | dd of="$tmp/ckpt-magic/checkpoints" bs=1 seek=0 conv=notrunc status=none
expect "checkpoints file with a bad magic: --from 0" 2 "checkpoints" replay -q "$tmp/ckpt-magic" --from 0

# (d) the checkpoints file cut inside record j, as a killed recorder
# leaves it: the records before j still restore, j is gone.
j=$mid
read -r off len < <(record_span "$tmp/rec/checkpoints" ckpt $j)
damaged cut-ckpt
truncate -s $((off + len / 2)) "$tmp/cut-ckpt/checkpoints"
expect "checkpoints cut inside record $j: named" 2 \
	"checkpoints ends inside the record of checkpoint $j: it was cut short after the recording was complete" \
	replay -q "$tmp/cut-ckpt" --from $((j - 1))
expect "  ...--from $((j - 1)) still replays to the end" 2 \
	"replayed without diverging from checkpoint $((j - 1))" replay -q "$tmp/cut-ckpt" --from $((j - 1))
expect "  ...--from $j is refused" 2 "cannot be replayed from checkpoint $j: the damage reaches it" \
	replay -q "$tmp/cut-ckpt" --from $j
expect "  ...a replay from the start still runs" 2 "replayed without diverging" replay -q "$tmp/cut-ckpt"
inspect_json "$tmp/cut-ckpt"
if python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))
assert d["checkpoints_torn"] is True and len(d["checkpoints"]) == int(sys.argv[2]), d["checkpoints_torn"]' \
	"$tmp/cut-ckpt.json" $j 2>"$tmp/json.err"; then
	ok "  ...inspect --json: $j checkpoints, checkpoints_torn"
else
	not_ok "  ...inspect --json of the cut checkpoints file" "$tmp/json.err"
fi
damaged cut-ckpt-header
truncate -s $((off + 10)) "$tmp/cut-ckpt-header/checkpoints"
expect "checkpoints cut inside record $j's header: --from $((j - 1)) still replays" 2 \
	"replayed without diverging" replay -q "$tmp/cut-ckpt-header" --from $((j - 1)) --to $j

finish
