#!/bin/bash
# The damage campaign's fast version (tests/campaign/damage.sh): a small
# bare-metal recording with a checkpoint every 200k instructions, each of
# its files hurt in six ways, given to replay, replay --from, simulate and
# inspect --verify; every one of the 144 cells must refuse the damage with
# a message naming the file.  `make campaign` runs it on the default Linux
# guest.  ENCORE_TEST_SEED picks the random offsets.
set -u
cd "$(dirname "$0")/../.."
ENCORE=${ENCORE:-build/encore}
GUEST_DIR=${GUEST_DIR:-build/guests}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'abcdefq' | "$ENCORE" record -o "$tmp/rec" --kernel "$GUEST_DIR/echo.elf" --mem 16M \
	--interval 200000 >/dev/null 2>"$tmp/rec.err" || { cat "$tmp/rec.err"; exit 1; }
printf 'xyzq' | "$ENCORE" record -o "$tmp/other" --kernel "$GUEST_DIR/hello.elf" --mem 16M \
	--interval 200000 >/dev/null 2>"$tmp/other.err" || { cat "$tmp/other.err"; exit 1; }
ENCORE=$ENCORE SEED=$(( ${ENCORE_TEST_SEED:-1} )) TIMEOUT=120 \
	tests/campaign/damage.sh "$tmp/rec" "$tmp/other"
