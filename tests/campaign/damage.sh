#!/bin/bash
# The damage campaign: every file of a recording, hurt in each of six ways,
# given to each command that reads recordings.
#
#   tests/campaign/damage.sh REC OTHER
#
# REC is a complete recording with at least three checkpoints; OTHER is
# another recording (its files are swapped in).  For every file of REC and
# each damage - one flipped bit at a random offset, a zeroed 4 KiB block at
# a random offset, truncation at a random offset, 4 KiB of garbage
# appended, the file removed, the file replaced by OTHER's - each of
#   replay, replay --from K (a middle checkpoint), simulate of interval K,
#   inspect --verify
# must end with a status other than 0, no crash, signal or time-out, a
# message naming the file, and never say "exactly".  A swapped file whose
# content equals REC's is no damage: that cell is counted as n/a.
#
# Prints "ok - ..." / "not ok - ..." per cell and "N passed, N failed";
# with DAMAGE_REPORT=FILE also writes the matrix there as Markdown.
# Environment: ENCORE (build/encore), DAMAGE_TOOL (next to ENCORE in
# tools/damage), SEED (random offsets; default 1), TIMEOUT per command
# (default 300 s), FILES to restrict the files (space-separated).
set -u
cd "$(dirname "$0")/../.."
[ $# = 2 ] || { echo "usage: damage.sh REC OTHER" >&2; exit 2; }
rec=$1 other=$2
ENCORE=${ENCORE:-build/encore}
DAMAGE_TOOL=${DAMAGE_TOOL:-$(dirname "$ENCORE")/tools/damage}
SEED=${SEED:-1}
TIMEOUT=${TIMEOUT:-300}
RANDOM=$SEED
for f in "$ENCORE" "$DAMAGE_TOOL"; do
	[ -x "$f" ] || { echo "damage.sh: $f is missing (make)" >&2; exit 2; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0 na=0
commands=(replay replay-from simulate verify)
damages=(flip zero4k truncate append4k remove swap)

n=$("$ENCORE" inspect --json "$rec" | jq '.checkpoints | length') || exit 2
[ "$n" -ge 3 ] || { echo "damage.sh: $rec needs at least 3 checkpoints" >&2; exit 2; }
K=$(( (n - 1) / 2 ))
files=${FILES:-$(cd "$rec" && ls)}
echo "damage.sh: $rec ($n checkpoints, the middle one $K), other $other, seed $SEED"

# A random offset below $1 (which may exceed 2^15).
random_below() {
	local r=$(( (RANDOM << 30) | (RANDOM << 15) | RANDOM ))
	echo $(( $1 > 0 ? r % $1 : 0 ))
}

# hurt FILE DAMAGE: damage $tmp/case/FILE; prints what was done.
hurt() {
	local f=$tmp/case/$1 size
	size=$("$DAMAGE_TOOL" "$f" size)
	case $2 in
	flip) local at; at=$(random_below "$size"); local bit=$((RANDOM % 8))
	      "$DAMAGE_TOOL" "$f" flip "$at" "$bit" && echo "bit $bit of byte $at";;
	zero4k) local at; at=$(random_below "$size")
		"$DAMAGE_TOOL" "$f" zero "$at" 4096 && echo "4 KiB zeroed at $at";;
	truncate) local at; at=$(random_below "$size")
		  "$DAMAGE_TOOL" "$f" cut "$at" && echo "cut to $at of $size bytes";;
	append4k) "$DAMAGE_TOOL" "$f" append 4096 "$RANDOM" && echo "4 KiB appended";;
	remove) rm -f "$f" && echo "removed";;
	swap) if [ ! -f "$other/$1" ]; then rm -f "$f"; echo "swapped for nothing (removed)"
	      elif cmp -s "$other/$1" "$f"; then echo "identical"
	      else cp "$other/$1" "$f" && echo "swapped"; fi;;
	esac
}

# run_cmd CMD: run one command on $tmp/case; its output in $tmp/out.
run_cmd() {
	local c=(timeout "$TIMEOUT" "$ENCORE")
	case $1 in
	replay) c+=(replay -q "$tmp/case");;
	replay-from) c+=(replay -q --from "$K" "$tmp/case");;
	simulate) rm -rf "$tmp/sim"; c+=(simulate -q -j 1 --intervals "$K" --plugin icount \
				       -o "$tmp/sim" "$tmp/case");;
	verify) c+=(inspect --verify "$tmp/case");;
	esac
	"${c[@]}" >"$tmp/out" 2>&1 </dev/null
}

# judge FILE RC: why the command's result is wrong, or nothing.
judge() {
	local file=$1 rc=$2
	if grep -q "AddressSanitizer\|runtime error:\|LeakSanitizer" "$tmp/out"; then echo "sanitizer report"
	elif [ "$rc" = 0 ]; then echo "status 0"
	elif [ "$rc" = 124 ]; then echo "timed out"
	elif [ "$rc" -ge 128 ]; then echo "killed by signal $((rc - 128))"
	elif grep -qi "exactly" "$tmp/out"; then echo "says 'exactly'"
	elif ! grep -q -- "$file" "$tmp/out"; then echo "does not name $file"
	fi
}

declare -A cell
for f in $files; do
	for d in "${damages[@]}"; do
		rm -rf "$tmp/case"
		cp -r "$rec" "$tmp/case"
		what=$(hurt "$f" "$d")
		for c in "${commands[@]}"; do
			if [ "$what" = identical ]; then
				na=$((na + 1)); cell[$f,$d,$c]="n/a"
				echo "ok - $f $d $c # SKIP identical to $other's"
				continue
			fi
			run_cmd "$c"
			rc=$?
			why=$(judge "$f" "$rc")
			if [ -z "$why" ]; then
				passed=$((passed + 1)); cell[$f,$d,$c]="ok ($rc)"
				echo "ok - $f $d ($what) $c: status $rc"
			else
				failed=$((failed + 1)); cell[$f,$d,$c]="**$why**"
				echo "not ok - $f $d ($what) $c: $why"
				tail -n 3 "$tmp/out" | sed 's/^/#   /'
			fi
		done
	done
done

if [ -n "${DAMAGE_REPORT:-}" ]; then
	{
		hdr="| file | damage |"
		for c in "${commands[@]}"; do hdr+=" $c |"; done
		echo "$hdr"
		echo "|---|---|$(printf -- '---|%.0s' "${commands[@]}")"
		for f in $files; do
			for d in "${damages[@]}"; do
				row="| $f | $d |"
				for c in "${commands[@]}"; do row+=" ${cell[$f,$d,$c]} |"; done
				echo "$row"
			done
		done
		echo
		echo "$passed of $((passed + failed)) cells pass ($na n/a: the swapped file was identical)."
	} >"$DAMAGE_REPORT"
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
