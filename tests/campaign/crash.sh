#!/bin/bash
# The crash campaign: SIGKILL the recorder of the default Linux guest's
# boot and workload at random moments, from its first milliseconds to its
# finalisation, and check what each kill leaves:
#   - no recording (killed before it was published), or one that
#     `inspect --verify` finds sound (cut short is not damaged), and
#   - whose replay ends with status 0 or 3, printing a prefix of the
#     console output the killed recording stored, itself a prefix of what
#     the recorder had shown.
#
#   tests/campaign/crash.sh [KILLS]      (default 20)
#
# Environment: ENCORE (build/encore), SEED (default 1), TIMEOUT per replay
# (default 600 s), CRASH_REPORT=FILE for a Markdown table.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
ENCORE=${ENCORE:-build/encore}
KILLS=${1:-20}
SEED=${SEED:-1}
TIMEOUT=${TIMEOUT:-600}
RANDOM=$SEED
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'workload\npoweroff -f\n' >"$tmp/lines"

# The whole run once, for its wall time.
if ! record_typed full "$tmp/lines" >/dev/null; then
	echo "crash.sh: the full recording failed" >&2
	cat "$tmp/full.err" >&2
	exit 2
fi
wall_ms=$(( $(sed -n 's/^wall-ns //p' "$tmp/full/meta") / 1000000 ))
echo "crash.sh: the full recording took $wall_ms ms; $KILLS kills, seed $SEED"
rows=()
for ((i = 1; i <= KILLS; i++)); do
	# Anywhere in the run, finalisation included (a little past its end).
	at_ms=$(( (RANDOM * 32768 + RANDOM) % (wall_ms * 105 / 100 + 1) ))
	dir=$tmp/k$i
	"$ENCORE" record -o "$dir" <"$tmp/lines" >"$dir.shown" 2>"$dir.err" &
	pid=$!
	sleep "$(printf '%d.%03d' $((at_ms / 1000)) $((at_ms % 1000)))"
	kill -KILL $pid 2>/dev/null
	wait $pid 2>/dev/null
	what="killed at $at_ms ms"
	if [ ! -d "$dir" ]; then
		ok "$what: no recording (killed before it was published)"
		rows+=("| $at_ms | none | - | - |")
		continue
	fi
	state=$(sed -n 's/^state //p' "$dir/meta")
	"$ENCORE" inspect --verify "$dir" >/dev/null 2>"$dir.verify"
	vrc=$?
	timeout "$TIMEOUT" "$ENCORE" replay "$dir" >"$dir.replay" 2>"$dir.replay.err" </dev/null
	rc=$?
	n=$(stat -c %s "$dir.replay")
	stored=$(stat -c %s "$dir/console.out")
	shown=$(stat -c %s "$dir.shown")
	common=$(( stored < shown ? stored : shown ))
	why=
	if [ $vrc != 0 ]; then why="inspect --verify exit $vrc: $(head -c 300 "$dir.verify")"
	elif [ $rc != 0 ] && [ $rc != 3 ]; then why="replay exit $rc"
	elif ! cmp -s -n "$n" "$dir.replay" "$dir/console.out"; then why="replay output differs from console.out"
	elif ! cmp -s -n "$common" "$dir/console.out" "$dir.shown"; then why="console.out differs from what was shown"
	fi
	if [ -z "$why" ]; then
		ok "$what: state $state, verify 0, replay exit $rc, $n of $stored stored console bytes"
		rows+=("| $at_ms | $state | $rc | $n of $stored |")
	else
		not_ok "$what: $why" "$dir.replay.err"
		rows+=("| $at_ms | $state | **$why** | |")
	fi
done
if [ -n "${CRASH_REPORT:-}" ]; then
	{
		echo "| killed at (ms of $wall_ms) | meta state | replay exit | replay output bytes |"
		echo "|---|---|---|---|"
		printf '%s\n' "${rows[@]}"
		echo
		echo "$passed of $KILLS kills left no recording or a sound, replayable prefix."
	} >"$CRASH_REPORT"
fi
finish
