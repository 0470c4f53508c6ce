#!/bin/bash
# make campaign: the long campaigns behind a recording's promises, on the
# default Linux guest (boot and workload, a checkpoint every 100M
# instructions), each written up in BUILD/campaign/RESULTS.md:
#   damage  every file x six kinds of damage x four commands (damage.sh)
#   crash   SIGKILL of the recorder at CRASH_KILLS random moments (crash.sh)
#   disk    recording into a tmpfs that fills up at several points of the
#           run, and under file-size limits (root only for the tmpfs)
#   fuzz    every fuzz target for FUZZ_SECONDS (default 3600) under
#           libFuzzer; inputs that add coverage are merged into
#           tests/fuzz/corpus
#
#   tests/campaign/run.sh [BUILD] [PARTS...]     (default: build, all parts)
#
# Ends with "N passed, N failed" (one per part).
set -u
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
shift || true
parts=${*:-damage crash disk fuzz}
export ENCORE=$BUILD/encore
export TIMEOUT=${TIMEOUT:-900}
FUZZ_SECONDS=${FUZZ_SECONDS:-3600}
CRASH_KILLS=${CRASH_KILLS:-20}
SEED=${SEED:-$(date +%s)}
out=$BUILD/campaign
mkdir -p "$out"
report=$out/RESULTS.md
tmp=$(mktemp -d)
trap 'mountpoint -q "$tmp/mnt" 2>/dev/null && umount "$tmp/mnt"; rm -rf "$tmp"' EXIT
. tests/e2e/lib.sh
echo "# Campaigns, $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD 2>/dev/null), seed $SEED" >"$report"

# section TITLE COMMAND: a part's heading and the command that reruns it.
section() { printf '\n## %s\n\nCommand: `%s`\n\n' "$1" "$2" >>"$report"; }

# NAME LINES_FILE: record the default guest with a 100M interval and its
# disk (snapshot=on: the image stays as it is), so the damage campaign
# hurts the disk journal too.
linux_recording() {
	record_typed "$1" "$2" --interval 100M --disk build/guest/disk.img,snapshot=on >/dev/null
}

if [[ " $parts " == *" damage "* ]]; then
	printf 'workload\npoweroff -f\n' >"$tmp/workload.lines"
	printf 'echo another recording\npoweroff -f\n' >"$tmp/other.lines"
	if linux_recording rec "$tmp/workload.lines" && linux_recording other "$tmp/other.lines"; then
		section "Damage" "SEED=$SEED tests/campaign/run.sh $BUILD damage"
		start=$SECONDS
		SEED=$SEED DAMAGE_REPORT=$tmp/damage.md tests/campaign/damage.sh "$tmp/rec" "$tmp/other" \
			>"$out/damage.log" 2>&1
		rc=$?
		{ cat "$tmp/damage.md"; echo; echo "$((SECONDS - start)) s."; } >>"$report"
		[ $rc = 0 ] && ok "damage: $(tail -n 1 "$out/damage.log")" ||
			not_ok "damage: $(tail -n 1 "$out/damage.log")"
	else
		not_ok "damage: the recordings failed" "$tmp/rec.err"
	fi
fi

if [[ " $parts " == *" crash "* ]]; then
	section "Crash" "SEED=$SEED tests/campaign/crash.sh $CRASH_KILLS"
	start=$SECONDS
	SEED=$SEED CRASH_REPORT=$tmp/crash.md tests/campaign/crash.sh "$CRASH_KILLS" >"$out/crash.log" 2>&1
	rc=$?
	{ cat "$tmp/crash.md" 2>/dev/null; echo; echo "$((SECONDS - start)) s."; } >>"$report"
	[ $rc = 0 ] && ok "crash: $(tail -n 1 "$out/crash.log")" ||
		not_ok "crash: $(tail -n 1 "$out/crash.log")"
fi

# disk_attempt NAME DIR: record into DIR/rec under the current limits;
# one table row, and whether it was clean.
disk_attempt() {
	local name=$1 dir=$2
	"$ENCORE" record -o "$dir/rec" <"$tmp/workload.lines" >"$tmp/shown" 2>"$tmp/err"
	local rc=$? why= prc=- n=-
	if [ $rc -ge 128 ]; then why="killed by signal $((rc - 128))"
	elif ls -A "$dir" | grep -q '^\.rec\.'; then why="staging directory left"
	elif [ $rc != 0 ] && ! grep -qE "No space left on device|File too large" "$tmp/err"; then
		why="exit $rc without naming the cause"
	elif [ -s "$tmp/shown" ] && ! grep -q "workload: done" "$tmp/shown"; then
		why="the guest did not run to its end"
	elif [ ! -s "$tmp/shown" ] && [ -d "$dir/rec" ]; then why="a recording, but no guest run"
	elif [ -d "$dir/rec" ]; then
		timeout "$TIMEOUT" "$ENCORE" replay "$dir/rec" >"$tmp/replay" 2>/dev/null </dev/null
		prc=$?
		n=$(stat -c %s "$tmp/replay")
		if [ $prc != 0 ] && [ $prc != 3 ]; then why="replay exit $prc"
		elif ! cmp -s -n "$n" "$tmp/replay" "$tmp/shown"; then why="replay output differs"; fi
	fi
	local cause; cause=$(grep -m1 -oE "cannot [a-z]+ [^:]*: (No space left on device|File too large)" "$tmp/err" | sed 's|.*/||')
	echo "| $name | $rc | ${cause:--} | $prc | $n | ${why:-ok} |" >>"$tmp/disk.md"
	[ -z "$why" ]
}

if [[ " $parts " == *" disk "* ]]; then
	printf 'workload\npoweroff -f\n' >"$tmp/workload.lines"
	rm -rf "$tmp/size"
	"$ENCORE" record -o "$tmp/size" <"$tmp/workload.lines" >/dev/null 2>&1
	total_k=$(du -sk "$tmp/size" | cut -f1)
	section "Full disk and file-size limits" "tests/campaign/run.sh $BUILD disk"
	echo "A complete recording takes $total_k KiB." >>"$report"
	echo "| limit | record exit | cause | replay exit | replay bytes | result |" >"$tmp/disk.md"
	echo "|---|---|---|---|---|---|" >>"$tmp/disk.md"
	bad=0 tried=0
	largest_k=$(ls -s --block-size=1K "$tmp/size" | sort -n | tail -1 | awk '{print $1}')
	# A limit below the largest file (the kernel) stops the copy before the
	# guest starts; above it, nothing else reaches it.  tests/e2e/disk_full.sh
	# puts limits inside the run of a smaller guest.
	for pct in 50 99 101; do
		kib=$(( largest_k * pct / 100 + 1 )); mkdir -p "$tmp/u"; rm -rf "$tmp/u/rec"
		( ulimit -f "$kib"; disk_attempt "ulimit -f $kib (${pct}% of the largest file)" "$tmp/u" ) ||
			bad=$((bad + 1))
		tried=$((tried + 1))
	done
	mkdir -p "$tmp/mnt"
	for pct in 10 50 70 75 80 85 90 95 99; do
		kib=$(( total_k * pct / 100 + 16 ))
		mount -t tmpfs -o size=${kib}k tmpfs "$tmp/mnt" 2>/dev/null || { echo "(no tmpfs: not root)" >>"$tmp/disk.md"; break; }
		disk_attempt "tmpfs of $kib KiB (${pct}%)" "$tmp/mnt" || bad=$((bad + 1))
		tried=$((tried + 1))
		umount "$tmp/mnt"
	done
	cat "$tmp/disk.md" >>"$report"
	[ $bad = 0 ] && ok "disk: $tried attempts stopped cleanly" || not_ok "disk: $bad of $tried attempts"
fi

if [[ " $parts " == *" fuzz "* ]]; then
	section "Fuzzing" "make fuzz FUZZ_SECONDS=$FUZZ_SECONDS (then -merge=1 into tests/fuzz/corpus)"
	rm -rf "$BUILD-fuzz/artifacts" # this campaign's crashes only
	make fuzz FUZZ_SECONDS="$FUZZ_SECONDS" >"$out/fuzz.log" 2>&1
	rc=$?
	echo "| target | seconds | executions | crashes | corpus before | after merge |" >>"$report"
	echo "|---|---|---|---|---|---|" >>"$report"
	for t in $(ls tests/fuzz/corpus); do # one seed corpus per target
		fuzzer=$BUILD-fuzz/fuzz_$t
		[ -x "$fuzzer" ] || continue
		before=$(ls tests/fuzz/corpus/$t | wc -l)
		"$fuzzer" -merge=1 "tests/fuzz/corpus/$t" "$BUILD-fuzz/corpus/$t" >/dev/null 2>&1
		after=$(ls tests/fuzz/corpus/$t | wc -l)
		execs=$(awk -v t="fuzz_$t for" '$0 ~ t { on = 1 } on && /stat::number_of_executed_units/ { print $2; exit }' "$out/fuzz.log")
		crashes=$(ls "$BUILD-fuzz/artifacts/" 2>/dev/null | grep -c "^$t-")
		echo "| fuzz_$t | $FUZZ_SECONDS | ${execs:-?} | $crashes | $before | $after |" >>"$report"
	done
	[ $rc = 0 ] && ok "fuzz: $(tail -n 1 "$out/fuzz.log")" || not_ok "fuzz: see $out/fuzz.log"
fi
echo "campaign: results in $report"
finish
