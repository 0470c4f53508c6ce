#!/bin/bash
# What each built-in plugin costs on one worker: `encore simulate --serial`
# with the plugin against a plain `encore replay` of the same stretch of
# the default guest's recording (its workload, user and kernel code).
# The host's speed swings (up to 2x on a shared machine), so each plugin's
# runs alternate with plain replays, BENCH_REPS (default 3) of each, and
# its ratio is its best time over the best replay of those same rounds.
# Issue 17's goals: memtrace at most 2x a plain replay, every other
# built-in plugin at most 1.5x.  Also host instructions per guest
# instruction with memtrace, under callgrind, on cwork at 1/20
# (bench/run.sh builds it).  Prints Markdown.
#   bench/plugins.sh [BUILD] [RECORDING]
# Without RECORDING, records the default guest's boot and workload first.
# BENCH_PLUGINS_INTERVALS (default 12-16) picks the stretch.
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
ENCORE=$BUILD/encore
OUT=$BUILD/bench/plugins
REPS=${BENCH_REPS:-3}
SEL=${BENCH_PLUGINS_INTERVALS:-12-16}
mkdir -p "$OUT"
REC=${2:-$OUT/rec}
if [ -z "${2:-}" ]; then
	rm -rf "$REC"
	printf 'workload\npoweroff -f\n' >"$OUT/workload.input"
	"$ENCORE" record -o "$REC" --kernel build/guest/vmlinux --initrd build/guest/initramfs.cpio \
		--append "console=ttyS0 quiet panic=-1 cryptomgr.notests" --rtc base=2026-01-01 \
		<"$OUT/workload.input" >"$OUT/rec.out" 2>"$OUT/rec.err"
fi
first=${SEL%-*} last=${SEL#*-}

. bench/lib.sh
# seconds one run of a command takes
timed() {
	local t0
	t0=$(now)
	"$@" >/dev/null 2>"$OUT/last.err" || { cat "$OUT/last.err" >&2; exit 1; }
	echo "$(now) - $t0" | bc -l
}
min() { if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc -l)" = 1 ]; then echo "$2"; else echo "$1"; fi; }
replay() { "$ENCORE" replay "$REC" -q --from "$first" --to "$((last + 1))"; }
# Sets t_plugin and t_replay: the best of $REPS rounds of plugin $1 then a plain replay.
paired() {
	t_plugin= t_replay=
	for _ in $(seq "$REPS"); do
		rm -rf "$OUT/sim"
		t_plugin=$(min "$t_plugin" "$(timed "$ENCORE" simulate "$REC" -q --serial --intervals "$SEL" \
			--plugin "$1" -o "$OUT/sim")")
		t_replay=$(min "$t_replay" "$(timed replay)")
	done
}

insns=$("$ENCORE" inspect --json "$REC" | jq -r "[.checkpoints[$first].instructions, .checkpoints[$((last + 1))].instructions] | .[1] - .[0]")
echo "## Plugin cost on one worker (issue 17)"
echo
echo "Command: \`bench/plugins.sh $BUILD\` ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores).  The default"
echo "guest's recording, intervals $SEL ($insns instructions of its workload).  Each"
echo "plugin's runs alternate with plain replays (\`encore replay --from $first --to $((last + 1))\`),"
echo "$REPS of each; the best of each is shown."
echo
echo "| plugin | simulate --serial s | replay s, same rounds | relative to replay |"
echo "|---|---|---|---|"
for p in memtrace icount coverage hotspots syscalls; do
	paired "$p"
	printf '| %s | %.2f | %.2f | %.2f |\n' "$p" "$t_plugin" "$t_replay" \
		"$(echo "$t_plugin / $t_replay" | bc -l)"
done
rm -rf "$OUT/sim"

# Host instructions per guest instruction with memtrace, on a guest with no
# recording to restore: cwork at 1/20 recorded, then one interval simulated.
if command -v valgrind >/dev/null && [ -r "$BUILD/bench/cwork_div20.elf" ]; then
	rm -rf "$OUT/cw"
	"$ENCORE" record -o "$OUT/cw" --kernel "$BUILD/bench/cwork_div20.elf" --rtc base=2026-01-01 \
		</dev/null >/dev/null 2>&1
	n=$("$ENCORE" inspect --json "$OUT/cw" | jq -r .instructions)
	for p in none memtrace; do
		rm -rf "$OUT/sim"
		args=(); [ $p = none ] || args=(--plugin "$p")
		valgrind --tool=callgrind --smc-check=all-non-file --callgrind-out-file=/dev/null --trace-children=yes \
			"$ENCORE" simulate "$OUT/cw" -q --serial "${args[@]}" -o "$OUT/sim" \
			>/dev/null 2>"$OUT/cg.$p.err" || true
		host=$(sed -n 's/.*Collected : *\([0-9]*\).*/\1/p' "$OUT/cg.$p.err" | sort -n | tail -1)
		printf -v "cg_$p" %s "$(echo "$host / $n" | bc -l)"
	done
	echo
	echo "Host instructions per guest instruction (callgrind, cwork at 1/20, $n guest instructions,"
	printf 'simulate --serial): %.1f without a plugin, %.1f with memtrace.\n' "$cg_none" "$cg_memtrace"
fi
