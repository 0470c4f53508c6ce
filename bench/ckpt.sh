#!/bin/bash
# Continuous incremental checkpoints on the default guest (Debian's vmlinux +
# busybox initramfs, the boot and workload of bench/rr.sh with the same piped
# input):
#  1. cost: record wall time with the default --interval against
#     --interval 0 (start and end checkpoints only), and the recorder's own
#     "checkpoints held the guest T s";
#  2. storage: the recording's page store and checkpoint records against the
#     raw size of the dirty and changed pages and of guest memory;
#     deduplication and compression ratios;
#  3. restore at the middle checkpoint K, sparse (pages fetched on first
#     touch) against --full-restore: restore time, pages loaded, page-store
#     bytes read, peak RSS, and the wall time to replay [K, K+1].
# Runs are interleaved (the two records alternate in order, then the two
# restores) and each time is the best of BENCH_REPS (default 3).  Prints
# Markdown; bench/run.sh includes it in the report.
#   bench/ckpt.sh [BUILD]
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
GUEST=build/guest
OUT=$BUILD/bench/ckpt
REPS=${BENCH_REPS:-3}
ENCORE=$BUILD/encore
KERNEL=$GUEST/vmlinux
INITRD=$GUEST/initramfs.cpio
APPEND="console=ttyS0 quiet panic=-1 cryptomgr.notests" # bench/rr.sh's
RTC=2026-01-01
rm -rf "$OUT"
mkdir -p "$OUT"
printf 'workload\npoweroff -f\n' >"$OUT/workload.input"
enc_opts=(--kernel "$KERNEL" --initrd "$INITRD" --append "$APPEND" --rtc "base=$RTC")
warnings=()
warn() { warnings+=("$*"); }

# timed CMD...: run CMD (it redirects its own output); wall seconds in T,
# user + system CPU seconds of it and its threads in CPU, exit status in RC.
timed() {
	local TIMEFORMAT='%3R %3U %3S' tm u s
	set +e
	tm=$({ time "$@"; } 2>&1)
	RC=$?
	set -e
	read -r T u s <<<"$tm"
	CPU=$(echo "$u + $s" | bc -l)
}
# keep_min NAME [VALUE]: NAME = min(NAME, VALUE), VALUE defaulting to T.
keep_min() {
	local cur=${!1:-} v=${2:-$T}
	if [ -z "$cur" ] || [ "$(echo "$v < $cur" | bc -l)" = 1 ]; then
		printf -v "$1" %s "$v"
	fi
}
# keep_max NAME VALUE
keep_max() {
	local cur=${!1:-}
	if [ -z "$cur" ] || [ "$(echo "$2 > $cur" | bc -l)" = 1 ]; then
		printf -v "$1" %s "$2"
	fi
}
. bench/lib.sh
f() { printf "%.${1}f" "$2"; } # DIGITS VALUE
mb() { printf '%.1f' "$(calc "$1 / 1000000")"; }
mib() { printf '%.1f' "$(calc "$1 / 1048576")"; }
pct_less() { printf '%.1f' "$(calc "(1 - $1 / $2) * 100")"; } # NEW OLD: % reduction
json() { jq -r "$2" <<<"$1"; }                                # JSON FILTER
stat_field() { sed -n "s/^$2: *//p" "$1" | head -1; }         # FILE FIELD, from --stats

enc_record() { # REC [OPTION...]
	rm -rf "$1"
	"$ENCORE" record -o "$1" "${enc_opts[@]}" "${@:2}" <"$OUT/workload.input" >"$1.out" 2>"$1.err"
}
# record_one NAME [OPTION...]: timed record into $OUT/NAME; best time in
# t_NAME, the recorder's "checkpoints held the guest" seconds (best) in
# held_NAME, its checkpoint count in ncp_NAME.
record_one() {
	local name=$1 rec=$OUT/$1 line held
	timed enc_record "$rec" "${@:2}"
	if [ "$RC" != 0 ]; then
		warn "encore record ${*:2} exited with status $RC: $(tr '\n' ' ' <"$rec.err")"
		return
	fi
	keep_min "t_$name"
	keep_min "cpu_$name" "$CPU"
	line=$(grep '^encore: recorded ' "$rec.err" || true)
	held=$(sed -n 's/.*checkpoints held the guest \([0-9.]*\) s.*/\1/p' <<<"$line")
	if [ -z "$held" ]; then
		warn "no \"checkpoints held the guest\" figure in: $line"
	else
		keep_min "held_$name" "$held"
	fi
	printf -v "ncp_$name" %s "$(sed -n 's/.* \([0-9]*\) checkpoints (.*/\1/p' <<<"$line")"
	insns+=("$(sed -n 's/^encore: recorded \([0-9]*\) instructions.*/\1/p' <<<"$line")")
}

# 1. Cost: default interval against --interval 0, alternating which goes first.
insns=()
for i in $(seq "$REPS"); do
	if [ $((i % 2)) = 1 ]; then
		record_one def
		record_one zero --interval 0
	else
		record_one zero --interval 0
		record_one def
	fi
done
mapfile -t distinct < <(printf '%s\n' "${insns[@]}" | sort -u)
[ ${#distinct[@]} = 1 ] || warn "instruction counts differ between recordings: ${insns[*]}"
if [ -z "${t_def:-}" ] || [ -z "${t_zero:-}" ] || [ -z "${cpu_def:-}" ] || [ -z "${cpu_zero:-}" ]; then
	echo "## Checkpoints: recording failed"
	printf 'WARNING: %s\n' "${warnings[@]}"
	exit 1
fi
def_json=$("$ENCORE" inspect "$OUT/def" --json)
zero_json=$("$ENCORE" inspect "$OUT/zero" --json)
interval=$(json "$def_json" .interval)

# 2. Storage, from inspect --json.
# storage JSON: "disk dirty changed new new_bytes n_checkpoints" (bytes, pages).
storage() {
	jq -r '[(.page_store_bytes + .checkpoint_file_bytes),
		([.checkpoints[].dirty_pages] | add), ([.checkpoints[].changed_pages] | add),
		([.checkpoints[].new_pages] | add), .page_store_bytes, (.checkpoints | length)] | @tsv' <<<"$1"
}
read -r d_disk d_dirty d_changed d_new d_store d_n < <(storage "$def_json")
read -r z_disk z_dirty z_changed z_new z_store z_n < <(storage "$zero_json")
mem=$(json "$def_json" .mem)
[ "$d_n" = "${ncp_def:-}" ] || warn "recorder said ${ncp_def:-?} checkpoints, inspect lists $d_n"

# 3. Restore at the middle checkpoint K, sparse and full, alternating.
K=$((d_n / 2))
[ $((K + 1)) -lt "$d_n" ] || K=$((d_n - 2))
L=$((K + 1))
replays_ok=0 replays=0
enc_replay() { # BASE [OPTION...]
	"$ENCORE" replay "$OUT/def" --from "$K" --to "$L" --stats -q "${@:2}" >"$1.out" 2>"$1.err"
}
restore_one() { # MODE [OPTION...]
	local mode=$1 base=$OUT/restore.$1 ms rss
	timed enc_replay "$base" "${@:2}"
	replays=$((replays + 1))
	if [ "$RC" != 0 ]; then
		warn "encore replay --from $K --to $L ${*:2} exited with status $RC: $(tr '\n' ' ' <"$base.err")"
		return
	fi
	replays_ok=$((replays_ok + 1))
	keep_min "wall_$mode"
	ms=$(sed -n 's/^restore: checkpoint [0-9]*, [a-z]*, \([0-9.]*\) ms$/\1/p' "$base.err")
	rss=$(stat_field "$base.err" peak-rss-mib)
	if [ -n "$ms" ]; then keep_min "ms_$mode" "$ms"; else warn "no restore: line from replay ${*:2}"; fi
	if [ -n "$rss" ]; then keep_max "rss_$mode" "$rss"; else warn "no peak-rss-mib from replay ${*:2}"; fi
	printf -v "loaded_$mode" %s "$(stat_field "$base.err" pages-loaded | cut -d' ' -f1)"
	printf -v "read_$mode" %s "$(stat_field "$base.err" page-store-bytes-read)"
	printf -v "guestpages_$mode" %s "$(stat_field "$base.err" pages-in-guest)"
	printf -v "nonzero_$mode" %s "$(stat_field "$base.err" pages-nonzero-at-checkpoint)"
}
for i in $(seq "$REPS"); do
	if [ $((i % 2)) = 1 ]; then
		restore_one sparse
		restore_one full --full-restore
	else
		restore_one full --full-restore
		restore_one sparse
	fi
done

# Markdown.
n() { [ -n "${!1:-}" ] && f 2 "${!1}" || echo failed; }
d_insns=$(json "$def_json" .instructions)
echo "## Checkpoints (default guest, $REPS interleaved runs each, best shown)"
echo
echo "\`encore record\` of the boot and workload of bench/rr.sh (\`$KERNEL\`, \`$INITRD\`,"
echo "\`--append '$APPEND' --rtc base=$RTC\`, \`workload\` then \`poweroff -f\`"
echo "piped to the console; $d_insns guest instructions), with the default"
echo "interval (every $interval instructions) and with \`--interval 0\` (first and last checkpoint only)."
echo
echo "### Cost of checkpointing"
echo
echo "| recording | checkpoints | record wall s | overhead (wall) | record CPU s | overhead (CPU) | checkpoints held the guest s |"
echo "|---|---|---|---|---|---|---|"
printf '| --interval 0 | %s | %s | | %s | | %s |\n' "$z_n" "$(n t_zero)" "$(n cpu_zero)" "$(n held_zero)"
overhead=$(calc "($t_def / $t_zero - 1) * 100")
printf '| default (%s instructions) | %s | %s | %+.1f%% | %s | %+.1f%% | %s |\n' "$interval" "$d_n" \
	"$(n t_def)" "$overhead" "$(n cpu_def)" "$(calc "($cpu_def / $cpu_zero - 1) * 100")" "$(n held_def)"
echo
echo "Overhead: best record time with the default interval against the best with"
echo "\`--interval 0\` (goal: under 3%). CPU s is user + system time of the recorder,"
echo "its page-compression thread included. The recorder's own figure: the guest stood still"
printf 'for %s s in all at its %s checkpoints, %.2f%% of the best record wall time (best of %s;\n' \
	"$(n held_def)" "$d_n" "$(calc "${held_def:-0} / $t_def * 100")" "$REPS"
echo "with \`--interval 0\`, $(n held_zero) s at its $z_n, the first of which covers all of guest memory)."
echo
echo "### Storage"
echo
echo "| | default interval | --interval 0 |"
echo "|---|---|---|"
printf '| checkpoints | %s | %s |\n' "$d_n" "$z_n"
printf '| on disk: pages + checkpoints files, MB | %s (%s + %s) | %s (%s + %s) |\n' \
	"$(mb "$d_disk")" "$(mb "$d_store")" "$(mb "$(calc "$d_disk - $d_store")")" \
	"$(mb "$z_disk")" "$(mb "$z_store")" "$(mb "$(calc "$z_disk - $z_store")")"
printf '| dirty pages (sum over checkpoints) x 4 KiB, MB | %s (%s pages) | %s (%s pages) |\n' \
	"$(mb "$(calc "$d_dirty * 4096")")" "$d_dirty" "$(mb "$(calc "$z_dirty * 4096")")" "$z_dirty"
printf '| changed pages (sum) x 4 KiB, MB | %s (%s pages) | %s (%s pages) |\n' \
	"$(mb "$(calc "$d_changed * 4096")")" "$d_changed" "$(mb "$(calc "$z_changed * 4096")")" "$z_changed"
printf '| unique pages stored x 4 KiB, MB | %s (%s pages) | %s (%s pages) |\n' \
	"$(mb "$(calc "$d_new * 4096")")" "$d_new" "$(mb "$(calc "$z_new * 4096")")" "$z_new"
printf '| guest memory, MB | %s | %s |\n' "$(mb "$mem")" "$(mb "$mem")"
printf '| every checkpoint as a full RAM image, MB | %s | %s |\n' \
	"$(mb "$(calc "$d_n * $mem")")" "$(mb "$(calc "$z_n * $mem")")"
printf '| on disk / dirty pages | %.3f | %.3f |\n' "$(calc "$d_disk / ($d_dirty * 4096)")" \
	"$(calc "$z_disk / ($z_dirty * 4096)")"
printf '| on disk / changed pages | %.3f | %.3f |\n' "$(calc "$d_disk / ($d_changed * 4096)")" \
	"$(calc "$z_disk / ($z_changed * 4096)")"
printf '| on disk / guest memory | %.3f | %.3f |\n' "$(calc "$d_disk / $mem")" "$(calc "$z_disk / $mem")"
printf '| deduplication: changed / unique pages | %.2f | %.2f |\n' "$(calc "$d_changed / $d_new")" \
	"$(calc "$z_changed / $z_new")"
printf '| compression: unique pages x 4 KiB / page store | %.2f | %.2f |\n' \
	"$(calc "$d_new * 4096 / $d_store")" "$(calc "$z_new * 4096 / $z_store")"
echo
echo "From \`encore inspect --json\` of the last recording of each kind. Dirty pages: frames"
echo "the guest got the right to write in the interval before each checkpoint (checkpoint 0"
echo "counts all $(calc "$mem / 4096" | cut -d. -f1) frames of guest memory); changed: dirty frames whose content"
echo "differs from the previous checkpoint's; unique: pages whose content the page store"
echo "had not seen before (all-zero pages are not stored)."
echo
echo "### Restore at the middle checkpoint"
echo
echo "\`encore replay REC --from $K --to $L --stats -q [--full-restore]\` on the default-interval"
echo "recording ($d_n checkpoints; $K is instruction $(json "$def_json" ".checkpoints[$K].instructions"))."
echo
echo "| restore | restore ms | pages loaded | of them x 4 KiB, MiB | page-store bytes read | peak RSS MiB | replay [$K, $L] wall s |"
echo "|---|---|---|---|---|---|---|"
restore_row() { # LABEL MODE
	local loaded=loaded_$2 read=read_$2
	printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$(n "ms_$2")" "${!loaded:--}" \
		"$([ -n "${!loaded:-}" ] && mib "$(calc "${!loaded} * 4096")" || echo -)" "${!read:--}" \
		"$(n "rss_$2")" "$(n "wall_$2")"
}
restore_row sparse sparse
restore_row "full (--full-restore)" full
red() { # NAME_SPARSE NAME_FULL
	[ -n "${!1:-}" ] && [ -n "${!2:-}" ] && pct_less "${!1}" "${!2}" || echo -
}
printf '| sparse reduction | %s%% | %s%% | %s%% | %s%% | %s%% | %s%% |\n' "$(red ms_sparse ms_full)" \
	"$(red loaded_sparse loaded_full)" "$(red loaded_sparse loaded_full)" "$(red read_sparse read_full)" \
	"$(red rss_sparse rss_full)" "$(red wall_sparse wall_full)"
echo "| anchor: KIT sparse checkpointing, up to | 89% | | | | 79% | |"
echo
echo "Pages in the guest: ${guestpages_sparse:--}; non-zero at checkpoint $K: ${nonzero_sparse:--}."
echo "Restore ms is encore's \`restore:\` figure: for a full restore it includes reading,"
echo "checking and decompressing every non-zero page; for a sparse one it does not,"
echo "since pages are fetched as the guest first touches them during the replay (that"
echo "cost is inside the replay wall time). Peak RSS is encore's \`peak-rss-mib\` of the"
echo "whole replay process (guest pages touched, the interpreter's block cache, page-store"
echo "buffers; the largest of the $REPS runs); pages loaded x 4 KiB is the guest-memory part."
echo "Replay wall time is the whole command, start to exit. The page store is read from"
echo "the host's page cache (it was just written). $replays_ok of $replays replays exact (exit 0)."
echo "Instruction counts of the $((2 * REPS)) recordings: $(printf '%s\n' "${insns[@]}" | sort -u | paste -sd ' ' -)$([ ${#distinct[@]} = 1 ] && echo " (all equal)")."
if [ ${#warnings[@]} -gt 0 ]; then
	echo
	for w in "${warnings[@]}"; do
		echo "WARNING: $w"
	done
fi
# Recordings hold copies of the guest files.
rm -rf "$OUT/def" "$OUT/zero"
