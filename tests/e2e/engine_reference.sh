#!/bin/bash
# The engine's results must not move when the engine gets faster: every
# bare-metal test guest (and the default Linux guest, in linux.sh) retires
# the same number of instructions and ends in the same state hash as the
# reference recorded in tests/reference/engine.txt before the speed work
# of issue 17.  A line there is
#
#   NAME ELF-SHA256 INSTRUCTIONS STATE-HASH EXIT-STATUS [run options...]
#
# ELF-SHA256 is the hash of the guest with its debug information stripped
# (which holds build paths): a guest built by another compiler is skipped
# with its reason, never compared against another binary's counts.
# tests/reference/recordings/ holds recordings made by that engine too.
#
#   tests/e2e/engine_reference.sh            compare
#   tests/e2e/engine_reference.sh --update   rewrite the reference (only
#                                            from an engine known good)
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
ENCORE=${ENCORE:-build/encore}
GUEST_DIR=${GUEST_DIR:-build/guests}
REF=tests/reference/engine.txt
TIMEOUT=${TIMEOUT:-120}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The runs: a name, the guest, its options.  Every guest runs alone with
# a fixed boot time and no input; those that need several vCPUs also (or
# only) with them.
runs() {
	local elf g
	for elf in "$GUEST_DIR"/*.elf; do
		g=$(basename "$elf" .elf)
		case $g in
		smp) echo "smp.2 $g --smp 2"; echo "smp.4 $g --smp 4" ;;
		isolation_ap) echo "$g.2 $g --smp 2" ;;
		*) echo "$g $g" ;;
		esac
	done
}

stripped_hash() {
	strip --strip-debug -o "$tmp/stripped" "$1" && sha256sum "$tmp/stripped" | cut -d' ' -f1
}

# measure NAME GUEST OPTIONS...: prints "INSTRUCTIONS STATE-HASH STATUS".
measure() {
	local name=$1 g=$2; shift 2
	timeout "$TIMEOUT" "$ENCORE" run --rtc base=2026-01-01 --summary --kernel "$GUEST_DIR/$g.elf" "$@" \
		</dev/null >"$tmp/$name.out" 2>"$tmp/$name.err"
	local rc=$?
	echo "$(sed -n 's/^instructions: //p' "$tmp/$name.err") $(sed -n 's/^state-hash: //p' "$tmp/$name.err") $rc"
}

if [ "${1:-}" = --update ]; then
	runs | while read -r name g opts; do
		# shellcheck disable=SC2086
		echo "$name $(stripped_hash "$GUEST_DIR/$g.elf") $(measure "$name" "$g" $opts) $opts"
	done | sed 's/ *$//' >"$REF.new" && mv "$REF.new" "$REF"
	echo "engine_reference.sh: wrote $REF ($(wc -l <"$REF") runs)"
	exit 0
fi

[ -r "$REF" ] || { not_ok "reference file $REF is missing"; finish; exit; }
# Both execution paths of the interpreter engine: with the translator (the
# default on x86-64 hosts) and the interpreter alone (ENCORE_TRANSLATE=0);
# each must give the reference's count and hash on every guest.
for path in translated interpreted; do
translate=1
[ $path = translated ] || translate=0
while read -r name g opts; do
	line=$(awk -v n="$name" '$1 == n' "$REF")
	if [ -z "$line" ]; then
		not_ok "$name: no reference in $REF (add it with --update from an engine known good)"
		continue
	fi
	read -r _ want_sha want_insns want_hash want_rc _ <<<"$line"
	if [ "$(stripped_hash "$GUEST_DIR/$g.elf")" != "$want_sha" ]; then
		skip "$name: same count and hash as the reference" "guest built differently (other compiler?)"
		continue
	fi
	if [ "${ENCORE_SANITIZED:-0}" = 1 ] && [ "$want_insns" -gt 100000000 ]; then
		skip "$name: same count and hash as the reference" "long under the sanitizers; the plain build runs it"
		continue
	fi
	# shellcheck disable=SC2086
	read -r insns hash rc <<<"$(ENCORE_TRANSLATE=$translate measure "$name" "$g" $opts)"
	if [ "$insns $hash $rc" = "$want_insns $want_hash $want_rc" ]; then
		ok "$name ($path): $insns instructions, state hash $hash, status $rc, as the reference"
	else
		not_ok "$name ($path): $insns instructions, state hash $hash, status $rc; reference: $want_insns, $want_hash, $want_rc" "$tmp/$name.err"
	fi
done < <(runs)
done

# Exact stops: a run cut at an instruction count anywhere (inside a block,
# a chain of translated blocks, a REP) ends in the same state on both
# execution paths.
stop_hash() { # GUEST COUNT TRANSLATE: "INSTRUCTIONS STATE-HASH"
	ENCORE_TRANSLATE=$3 timeout "$TIMEOUT" "$ENCORE" run --rtc base=2026-01-01 --summary \
		--max-insns "$2" --kernel "$GUEST_DIR/$1.elf" </dev/null >/dev/null 2>"$tmp/stop.err"
	echo "$(sed -n 's/^instructions: //p' "$tmp/stop.err") $(sed -n 's/^state-hash: //p' "$tmp/stop.err")"
}
for g in count strings smc paging usermode interrupts; do
	[ -f "$GUEST_DIR/$g.elf" ] || continue
	bad=
	for n in 1 17 4099 65537 100003 262147; do
		a=$(stop_hash "$g" "$n" 1) b=$(stop_hash "$g" "$n" 0)
		{ [ -n "${a% *}" ] && [ "$a" = "$b" ]; } || bad="$bad $n ($a against $b)"
	done
	if [ -z "$bad" ]; then ok "$g stopped at 6 counts: the same state translated and interpreted"
	else not_ok "$g: translated and interpreted differ at:$bad"; fi
done

# Recordings made by the engine before the speed work: engine speed is
# not part of the format, so each must still replay exactly.
for rec in tests/reference/recordings/*/; do
	name=recording-$(basename "$rec")
	timeout "$TIMEOUT" "$ENCORE" replay "$rec" >/dev/null 2>"$tmp/$name.err"
	rc=$?
	if [ $rc = 0 ] && grep -q "replayed exactly" "$tmp/$name.err"; then
		ok "$name (made before issue 17) replays exactly"
	else
		not_ok "$name (made before issue 17): replay exit $rc" "$tmp/$name.err"
	fi
done

# What hooks see must not move either: every built-in plugin on those
# recordings writes what tests/reference/plugins.txt holds (from the engine
# before the speed work for echo and ticks; for smp2 that engine diverged
# with memtrace and a second plugin, so its reference is this engine's,
# the same outputs the old one gave plugin by plugin; memtrace's as
# `encore memtrace` prints it, the same for the format versions 2 and 3).
PLUGINS=(--plugin memtrace --plugin icount --plugin coverage --plugin hotspots --plugin syscalls)
for rec in tests/reference/recordings/*/; do
	name=$(basename "$rec")
	rm -rf "$tmp/sim"
	if ! timeout "$TIMEOUT" "$ENCORE" simulate "$rec" -q -j 1 "${PLUGINS[@]}" -o "$tmp/sim" \
		>/dev/null 2>"$tmp/sim.err"; then
		not_ok "plugins on recording-$name: simulate failed" "$tmp/sim.err"
		continue
	fi
	# memtrace by what it decodes to: the accesses, not the format's bytes.
	"$ENCORE" memtrace "$tmp/sim/memtrace.zst" >"$tmp/sim/memtrace.txt" 2>>"$tmp/sim.err"
	bad=
	while read -r r file sum; do
		[ "$r" = "$name" ] || continue
		[ "$(sha256sum <"$tmp/sim/$file" | cut -c1-64)" = "$sum" ] || bad="$bad $file"
	done <tests/reference/plugins.txt
	if [ -z "$bad" ]; then ok "plugins on recording-$name: every output as the reference"
	else not_ok "plugins on recording-$name: outputs differ from the reference:$bad"; fi
done
finish
