#!/bin/bash
# Regenerates the seed corpus of the fuzz targets (tests/fuzz/README.md):
#
#   tests/fuzz/make-corpus.sh [BUILD]     (default: build; needs `make` first)
#
# corpus/log/rec-*, corpus/meta/rec-*: events.log and meta of real
#   recordings made with BUILD/encore: the demo guest at three checkpoint
#   intervals and with an instruction limit; the echo test guest with
#   piped input, stopped by SIGINT, and killed by SIGKILL (a meta in state
#   "recording"); --realtime (pace events); a triple fault; an exit
#   status.  rec-*-cut-*: logs cut short by hand, as a killed recorder
#   leaves them.
# corpus/ckpt/rec-*: the checkpoints files of the same recordings, and
#   two cut short.
# corpus/log/hand-*: logs the recorder never writes, each breaking one
#   rule of the reader with every checksum right (make-seeds.c).
# corpus/meta/hand-*: the echo recording's meta with each key missing,
#   given twice, or with a bad value, and other edge cases, each sealed
#   (tests/tools/meta-seal); hand-checksum-*: checksum lines gone wrong.
# corpus/ckpt/hand-*: the echo recording's checkpoints pointed at the
#   fuzz target's fixed page store, each breaking one rule of the reader
#   or of its page checks with every checksum right; store-*: a few whole
#   recordings pointed at that store, so that their page checks pass
#   (make-ckpt-seeds.c).
# corpus/virtio_mmio/*: a virtio disk on the MMIO transport driven through
#   good requests, a broken queue, and its registers alone
#   (make-virtio-mmio-seeds.c).
# corpus/arm64_image/*: arm64 Image headers, good ones and ones breaking
#   each rule of the loader (make-arm64-image-seeds.py).
#
# Recordings differ a little from run to run (ids, host times).  Only
# these files are rewritten: inputs the fuzzers found and that were added
# to the corpus by hand (crash-*) stay.  Takes about 5 seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
encore=$build/encore
guests=build/guests
logs=tests/fuzz/corpus/log
metas=tests/fuzz/corpus/meta
ckpts=tests/fuzz/corpus/ckpt
for f in "$encore" "$build/tools/meta-seal" "$guests/echo.elf"; do
	[ -x "$f" ] || [ -f "$f" ] || { echo "make-corpus: $f is missing; run make" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$logs" "$metas" "$ckpts"

# keep NAME: the recording $tmp/NAME into the corpus.
keep() {
	cp "$tmp/$1/events.log" "$logs/rec-$1"
	cp "$tmp/$1/meta" "$metas/rec-$1"
	cp "$tmp/$1/checkpoints" "$ckpts/rec-$1"
}

# rec NAME ARGS...: record (stdin is the guest's input) and keep it.
rec() {
	local name=$1
	shift
	"$encore" record -o "$tmp/$name" --rtc base=2024-01-01 "$@" >/dev/null 2>&1 || true
	keep "$name"
}

# rec_signal NAME SIGNAL ARGS...: the echo guest waiting for more input,
# sent SIGNAL after a second.
rec_signal() {
	local name=$1 sig=$2
	shift 2
	"$encore" record -o "$tmp/$name" --rtc base=2024-01-01 --kernel "$guests/echo.elf" "$@" \
		< <(printf 'ab'; sleep 3) >/dev/null 2>&1 &
	local pid=$!
	sleep 1.2
	kill "-$sig" "$pid"
	wait "$pid" 2>/dev/null || true
	keep "$name"
}

rec demo-100k --demo --interval 100000 </dev/null
rec demo-1m --demo --interval 1000000 </dev/null
rec demo --demo </dev/null
rec demo-limit --demo --interval 100000 --max-insns 250000 </dev/null
printf 'hello fuzz\nq' | rec echo-input --kernel "$guests/echo.elf" --interval 200000
rec realtime --kernel "$guests/interrupts.elf" --realtime --interval 500000 </dev/null
rec triple-fault --kernel "$guests/triplefault.elf" </dev/null
rec exit42 --kernel "$guests/exit42.elf" </dev/null
rec_signal echo-sigint INT --interval 50000000
rec_signal echo-killed KILL --interval 50000000

# Cut short: inside a block, and a block that lost only its last byte.
size=$(stat -c %s "$logs/rec-demo-100k")
head -c $((size / 2)) "$logs/rec-demo-100k" >"$logs/rec-demo-100k-cut-half"
head -c -1 "$logs/rec-echo-input" >"$logs/rec-echo-input-cut-1"

size=$(stat -c %s "$ckpts/rec-demo-100k")
head -c $((size / 2)) "$ckpts/rec-demo-100k" >"$ckpts/rec-demo-100k-cut-half"
head -c -1 "$ckpts/rec-echo-input" >"$ckpts/rec-echo-input-cut-1"

# Hand-made logs and checkpoints.
for seeds in make-seeds make-ckpt-seeds; do
	cc -std=gnu11 -O1 -Iinclude -Isrc -o "$tmp/$seeds" "tests/fuzz/$seeds.c" \
		$(pkg-config --cflags --libs libzstd libxxhash)
done
"$tmp/make-seeds" "$logs"
"$tmp/make-ckpt-seeds" "$ckpts" "$tmp/echo-input/checkpoints" "$tmp/demo-1m/checkpoints" \
	"$tmp/echo-killed/checkpoints"
cc -std=gnu11 -O1 -Iinclude -o "$tmp/make-virtio-mmio-seeds" tests/fuzz/make-virtio-mmio-seeds.c
mkdir -p tests/fuzz/corpus/virtio_mmio
"$tmp/make-virtio-mmio-seeds" tests/fuzz/corpus/virtio_mmio
python3 tests/fuzz/make-arm64-image-seeds.py tests/fuzz/corpus/arm64_image

# Hand-made metadata, from the echo recording plus the keys it lacks.
base=$metas/hand-all-keys
hash=0123456789abcdef0123456789abcdef
sed "/^kernel-hash /a initrd initrd\ninitrd-hash $hash\nappend console=ttyS0 quiet" \
	"$metas/rec-echo-input" >"$base"
long=$(printf '%5000s' '' | tr ' ' x)
declare -A bad=(
	[id]=12345 [state]='done' [encore]=${long:0:32} [engine]=${long:0:16}
	[started]=${long:0:32} [guest]=${long:0:16} [kernel]=../kernel
	[kernel-hash]=${hash^^} [initrd]=.initrd [initrd-hash]=${hash:1}
	[append]=$long [mem]=0x10 [input-slice]=-1 [interval]=0 [realtime]=2
	[instructions]=18446744073709551616 [virtual-ns]=1e9 [wall-ns]=''
	[outcome]=${long:0:24} [exit-status]=2147483648 [state-hash]=0123456789abcdeg
	[console-bytes]=+5 [log-bytes]=' 5' [events]='5 ' [checkpoints]=$'\t5'
	[smp]=65 [vcpu-instructions]='1 2' [vcpu-quantum]=0
)
for key in $(sed -n '2,$s/ .*//p' "$base" | grep -vx checksum); do
	grep -v "^$key " "$base" >"$metas/hand-missing-$key"
	{ cat "$base"; grep "^$key " "$base"; } >"$metas/hand-twice-$key"
	awk -v k="$key" -v v="${bad[$key]}" '$1 == k { print k " " v; next } { print }' \
		"$base" >"$metas/hand-bad-$key"
done
printf '' >"$metas/hand-empty"
printf '\n\n' >"$metas/hand-newlines-only"
printf 'encore-recording 1\n' >"$metas/hand-header-only"
sed '1s/.*/encore-recording 2/' "$base" >"$metas/hand-version-2"
sed 's/^smp .*/smp 0/' "$base" >"$metas/hand-smp-0"
sed 's/^vcpu-instructions \(.*\)/vcpu-instructions \1 0/' "$base" >"$metas/hand-vcpu-instructions-extra"
sed 's/^vcpu-instructions .*/vcpu-instructions 1/' "$base" >"$metas/hand-vcpu-instructions-sum"
sed '1s/.*/encore-recording 99999999999999999999999/' "$base" >"$metas/hand-version-huge"
sed '1s/.*/encore-recording/' "$base" >"$metas/hand-version-missing"
head -c 64 "$logs/rec-demo" >"$metas/hand-binary"
sed 's/$/\r/' "$base" >"$metas/hand-crlf"
head -c -1 "$base" >"$metas/hand-no-final-newline"
sed 's/$/\n/' "$base" >"$metas/hand-blank-lines"
{ cat "$base"; echo "color blue"; } >"$metas/hand-unknown-key"
{ cat "$base"; echo " id 0123456789abcdef"; } >"$metas/hand-key-with-space"
sed 's/^encore .*/encore/' "$base" >"$metas/hand-key-without-value"
sed -e 's/^state .*/state recording/' -e '/^instructions /,$d' "$base" >"$metas/hand-recording"
sed 's/^state .*/state recording/' "$base" >"$metas/hand-recording-with-summary"
sed 's/^append .*/append /' "$base" >"$metas/hand-append-empty"
sed "s/^append .*/append ${long:0:4095}/" "$base" >"$metas/hand-append-longest"
sed '/^kernel-hash /d' "$base" >"$metas/hand-kernel-without-hash"
sed '/^initrd /d' "$base" >"$metas/hand-hash-without-initrd"
sed 's/^mem .*/mem 0/' "$base" >"$metas/hand-mem-0"
sed -e 's/^\(mem\|instructions\|virtual-ns\|wall-ns\|events\) .*/\1 18446744073709551615/' \
	-e 's/^exit-status .*/exit-status -2147483648/' -e 's/^\(id\|state-hash\) .*/\1 ffffffffffffffff/' \
	"$base" >"$metas/hand-huge-numbers"
sed 's/^exit-status .*/exit-status -0/' "$base" >"$metas/hand-exit-status-minus-0"
sed 's/^mem .*/mem \t-1/' "$base" >"$metas/hand-mem-tab-minus"
sed 's/^mem .*/mem 0000000000000000000000268435456/' "$base" >"$metas/hand-mem-zeros"
# Every hand-made meta is sealed (its checksum line made right) so that it
# reaches the check it breaks; then a few that break the checksum itself.
for f in "$metas"/hand-*; do "$build/tools/meta-seal" "$f"; done
head -c -1 "$base" >"$metas/hand-no-final-newline"
sed '$d' "$base" >"$metas/hand-checksum-missing"
sed 's/^mem .*/mem 134217728/' "$base" >"$metas/hand-checksum-stale"
{ cat "$base"; tail -n 1 "$base"; } >"$metas/hand-checksum-twice"
sed '$s/^checksum \(.*\)./checksum \1/' "$base" >"$metas/hand-checksum-short"
sed '$s/^checksum /checksum  /' "$base" >"$metas/hand-checksum-space"
{ tail -n 1 "$base"; sed '$d' "$base"; } >"$metas/hand-checksum-first"
echo "make-corpus: $(ls "$logs" | wc -l) log, $(ls "$metas" | wc -l) meta and" \
	"$(ls "$ckpts" | wc -l) checkpoints inputs, $(cat "$logs"/* "$metas"/* "$ckpts"/* | wc -c) bytes"
