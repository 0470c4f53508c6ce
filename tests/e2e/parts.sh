#!/bin/bash
# Every state part of a checkpoint, one at a time (the scheduler, each
# vCPU, each device of a two-vCPU PC), changed the way a hand edit or an
# encore with another layout would change it, with every checksum right
# (tests/tools/ckpt-edit):
#   - its layout version raised: `replay --from` refuses the checkpoint,
#     naming the part and both versions;
#   - one bit of its bytes flipped (for parts with any): `replay --from`
#     refuses it (the state hash), and `inspect --verify` names the
#     checkpoint and says that every other one can still be restored.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
ENCORE=${ENCORE:-build/encore}
GUEST_DIR=${GUEST_DIR:-build/guests}
EDIT=$(dirname "$ENCORE")/tools/ckpt-edit
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
K=1

printf 'abcdq' | "$ENCORE" record -o "$tmp/rec" --smp 2 --mem 16M --kernel "$GUEST_DIR/echo.elf" \
	--interval 200000 >/dev/null 2>"$tmp/rec.err" || { not_ok "record" "$tmp/rec.err"; finish; exit; }
n=$("$ENCORE" inspect --json "$tmp/rec" | jq '.checkpoints | length')
"$EDIT" "$tmp/rec" $K list >"$tmp/parts" || { not_ok "ckpt-edit list"; finish; exit; }
[ "$(wc -l <"$tmp/parts")" -ge 10 ] && ok "checkpoint $K of $n has $(wc -l <"$tmp/parts") state parts" ||
	not_ok "checkpoint $K lists too few parts"
others="0, 2-$((n - 1))"

while read -r name version size; do
	rm -rf "$tmp/v"; cp -r "$tmp/rec" "$tmp/v"
	"$EDIT" "$tmp/v" $K "$name" version+ 1
	"$ENCORE" replay -q --from $K "$tmp/v" >/dev/null 2>"$tmp/out" </dev/null
	rc=$?
	want="checkpoint $K: the state of '$name' has layout version $((version + 1)); this encore reads version $version"
	if [ $rc = 2 ] && grep -qF "$want" "$tmp/out"; then
		ok "$name: layout version $((version + 1)) refused by name"
	else
		not_ok "$name: layout version raised (exit $rc)" "$tmp/out"
	fi
	[ "$size" -gt 0 ] || continue
	rm -rf "$tmp/f"; cp -r "$tmp/rec" "$tmp/f"
	"$EDIT" "$tmp/f" $K "$name" flip $((size / 2))
	"$ENCORE" replay -q --from $K "$tmp/f" >/dev/null 2>"$tmp/out" </dev/null
	rc=$?
	"$ENCORE" inspect --verify "$tmp/f" >/dev/null 2>"$tmp/verify"
	vrc=$?
	if [ $rc = 2 ] && grep -q "checkpoint $K does not restore to its recorded state hash" "$tmp/out" &&
	   [ $vrc = 2 ] && grep -q "checkpoint $K is damaged: its stored state" "$tmp/verify" &&
	   grep -q "checkpoints $others can be restored, $K cannot" "$tmp/verify"; then
		ok "$name: byte $((size / 2)) flipped: refused, and inspect --verify keeps the other checkpoints"
	else
		not_ok "$name: byte $((size / 2)) flipped (replay exit $rc, verify exit $vrc)" "$tmp/verify"
		tail -n 3 "$tmp/out" | sed 's/^/#   /'
	fi
done <"$tmp/parts"
finish
