#!/bin/bash
# Multiprocessor Linux on encore:
#   - Debian's stock kernel at --smp 1, 2 and 4 finds every CPU (nproc,
#     /sys/devices/system/cpu/online, the kernel's own count), routes the
#     ISA interrupts through the I/O APIC (/proc/interrupts), sees the PCI
#     root bridge the ACPI tables describe, and a plain `poweroff` (no -f)
#     powers the machine off through ACPI: exit status 0;
#   - the threads workload (guest/threads.c: a pinned thread per CPU,
#     atomics, a mutex, a condition variable and an unsynchronised
#     counter) recorded at --smp 2 with its commands typed at the prompts
#     replays three times with identical output (the racy value included),
#     instruction count and state hash; every interval replays alone from
#     its checkpoint; simulate -j 1 and -j 2 write byte-identical outputs
#     for every built-in plugin;
#   - QEMU -smp 2 running the same kernel and program prints the same
#     synchronised results (not the racy one, which depends on QEMU's
#     interleaving).
#
# Skipped under the sanitizer pass (minutes of ASan for code the small
# guests' tests run there too), and if the default guest is not built.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
ENCORE=${ENCORE:-build/encore}
GUEST=${GUEST:-build/guest}
export ENCORE_GUEST_DIR=$GUEST
TIMEOUT=${TIMEOUT:-600}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ "${ENCORE_SANITIZED:-0}" = 1 ]; then
	echo "skipped under the sanitizer build (the bare-metal SMP guests run there)"
	exit 77
fi
for f in vmlinux vmlinuz initramfs.cpio; do
	[ -r "$GUEST/$f" ] || { echo "skipped: $GUEST/$f is missing (guest/build-guest.sh)"; exit 77; }
done
. tests/e2e/helpers/simulate.sh

# ---- boots at --smp 1, 2, 4 ----
# clean FILE: the console without carriage returns
clean() { tr -d '\r' <"$1"; }
cat >"$tmp/probe.lines" <<'EOF'
echo "cpus $(nproc) online $(cat /sys/devices/system/cpu/online)"
echo "ioapic $(grep -c IO-APIC /proc/interrupts) timer $(grep -c 'IO-APIC.*timer' /proc/interrupts)"
echo "pci $(ls /sys/bus/pci/devices)"
poweroff
EOF
for n in 1 2 4; do
	t0=$EPOCHREALTIME
	timeout "$TIMEOUT" "$ENCORE" run --smp "$n" --summary <"$tmp/probe.lines" \
		>"$tmp/boot$n.out" 2>"$tmp/boot$n.err"
	rc=$?
	secs=$(elapsed "$t0")
	online=$([ "$n" = 1 ] && echo 0 || echo "0-$((n - 1))")
	out=$(clean "$tmp/boot$n.out")
	if [ $rc = 0 ] && grep -qx "cpus $n online $online" <<<"$out" &&
	   grep -q "smpboot: Total of $n processors activated" <<<"$out" &&
	   grep -qE "^ioapic ([4-9]|[1-9][0-9]+) timer 1$" <<<"$out" &&
	   grep -qx "pci 0000:00:00.0" <<<"$out" &&
	   grep -q "ACPI: PM: Preparing to enter system sleep state S5" <<<"$out"; then
		ok "--smp $n: $n CPUs online ($online), ISA interrupts through the I/O APIC, PCI root bridge, poweroff through ACPI S5, exit 0 ($secs s)"
	else
		not_ok "--smp $n: exit $rc ($secs s)" "$tmp/boot$n.out"
	fi
done

# ---- the threads workload at --smp 2: record, replay ----
printf 'threads 30000\npoweroff\n' >"$tmp/threads.lines"
t0=$EPOCHREALTIME
record_typed rec "$tmp/threads.lines" --smp 2 --interval 100M
rc=$?
secs=$(elapsed "$t0")
clean "$tmp/rec.out" | grep '^threads: ' >"$tmp/rec.results"
if [ $rc = 0 ] && grep -qx 'threads: done' "$tmp/rec.results" &&
   grep -qx 'threads: pinned 2 of 2' "$tmp/rec.results" &&
   grep -qx 'threads: atomic 60000 (want 60000)' "$tmp/rec.results" &&
   grep -qx 'threads: mutex 120000 (want 120000)' "$tmp/rec.results" &&
   cmp -s "$tmp/rec.out" "$tmp/rec/console.out"; then
	ok "record --smp 2: threads pinned to both CPUs, atomics and mutex exact, $(grep racy "$tmp/rec.results" | cut -d' ' -f2-), exit 0 ($secs s)"
else
	not_ok "record --smp 2 (exit $rc)" "$tmp/rec.err"
fi
"$ENCORE" inspect --json "$tmp/rec" >"$tmp/rec.json" 2>"$tmp/rec.json.err"
read -r vcpus ncheck vcpu_sum insns < <(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(d["vcpus"], len(d["checkpoints"]), sum(d["vcpu_instructions"]), d["instructions"])' \
	"$tmp/rec.json" 2>>"$tmp/rec.json.err")
if [ "${vcpus:-0}" = 2 ] && [ "${vcpu_sum:-x}" = "${insns:-y}" ] && [ "${ncheck:-0}" -ge 4 ]; then
	ok "inspect: 2 vCPUs whose instructions add up to the machine's $insns, $ncheck checkpoints"
else
	not_ok "inspect: vcpus '${vcpus:-}', sum '${vcpu_sum:-}' of '${insns:-}'" "$tmp/rec.json.err"
fi
want_hash=$(sed -n 's/^state-hash //p' "$tmp/rec/meta")
for k in 1 2 3; do
	timeout "$TIMEOUT" "$ENCORE" replay --summary "$tmp/rec" </dev/null \
		>"$tmp/replay$k.out" 2>"$tmp/replay$k.err"
	rc=$?
	hash=$(sed -n 's/^state-hash: //p' "$tmp/replay$k.err")
	got=$(sed -n 's/^instructions: //p' "$tmp/replay$k.err")
	if [ $rc = 0 ] && cmp -s "$tmp/replay$k.out" "$tmp/rec.out" && [ "$hash" = "$want_hash" ] &&
	   [ "$got" = "$insns" ]; then
		ok "replay $k: exit 0, identical output (racy value included), $got instructions, state hash $hash"
	else
		not_ok "replay $k (exit $rc, $got instructions, hash '$hash', want '$want_hash')" \
			"$tmp/replay$k.err"
	fi
done

# ---- every interval alone ----
last=$((ncheck - 2))
bad=
for k in $(seq 0 "$last"); do
	timeout "$TIMEOUT" "$ENCORE" replay -q --from "$k" --to $((k + 1)) "$tmp/rec" </dev/null \
		>/dev/null 2>"$tmp/interval$k.err" || bad+=" $k:exit-$?"
done
[ -z "$bad" ] && ok "every one of the $((last + 1)) intervals replays alone (--from K --to K+1)" ||
	not_ok "intervals that fail alone:$bad" "$tmp/interval${bad%%:*}.err"

# ---- simulate: -j 1 and -j 2 agree for every built-in plugin ----
plugins=(--plugin icount --plugin coverage --plugin hotspots --plugin syscalls)
sim j1 "$tmp/rec" -j 1 "${plugins[@]}" -o "$tmp/j1"
rc1=$rc s1=$secs
sim j2 "$tmp/rec" -j 2 "${plugins[@]}" -o "$tmp/j2"
rc2=$rc s2=$secs
# memtrace writes every access: two intervals of the threads' run are enough.
tail_iv="$((last - 1))-$last"
sim m1 "$tmp/rec" -j 1 --plugin memtrace,level=1 --intervals "$tail_iv" -o "$tmp/m1"
rcm1=$rc
sim m2 "$tmp/rec" -j 2 --plugin memtrace,level=1 --intervals "$tail_iv" -o "$tmp/m2"
rcm2=$rc
differ=
for f in icount.txt coverage.txt hotspots.txt syscalls.txt; do
	[ -s "$tmp/j1/$f" ] && cmp -s "$tmp/j1/$f" "$tmp/j2/$f" || differ+=" $f"
done
[ -s "$tmp/m1/memtrace.zst" ] && cmp -s "$tmp/m1/memtrace.zst" "$tmp/m2/memtrace.zst" ||
	differ+=" memtrace.zst"
if [ "$rc1$rc2$rcm1$rcm2" = 0000 ] && [ -z "$differ" ]; then
	ok "simulate -j 1 ($s1 s) and -j 2 ($s2 s): byte-identical icount, coverage, hotspots, syscalls, and memtrace over intervals $tail_iv"
else
	not_ok "simulate: exits $rc1 $rc2 $rcm1 $rcm2, differing:$differ" "$tmp/j2.err"
fi
# The machine's table, then one row per interval and vCPU: the totals must
# be the recording's, the machine's and each vCPU's.
read -r total per_vcpu < <(awk '$1 == "total" && NF == 5 { m = $NF }
	$1 == "total" && NF == 6 { v = v (v ? "," : "") $NF } END { print m, v }' "$tmp/j1/icount.txt")
want_vcpu=$(python3 -c 'import json, sys
print(",".join(str(x) for x in json.load(open(sys.argv[1]))["vcpu_instructions"]))' "$tmp/rec.json")
if [ "$total" = "$insns" ] && [ "$per_vcpu" = "$want_vcpu" ]; then
	ok "icount adds up to the recording's $insns instructions, and per vCPU to $per_vcpu"
else
	not_ok "icount total '$total' per vCPU '$per_vcpu'; recording $insns, $want_vcpu" \
		"$tmp/j1/icount.txt"
fi

# ---- QEMU -smp 2: the same synchronised results ----
if command -v qemu-system-x86_64 >/dev/null; then
	t0=$EPOCHREALTIME
	timeout "$TIMEOUT" guest/run-qemu.sh --smp 2 "$GUEST/vmlinuz" "$GUEST/initramfs.cpio" \
		<"$tmp/threads.lines" >"$tmp/qemu.out" 2>&1
	rc=$?
	secs=$(elapsed "$t0")
	clean "$tmp/qemu.out" | grep '^threads: ' | grep -v '^threads: racy' >"$tmp/qemu.results"
	grep -v '^threads: racy' "$tmp/rec.results" >"$tmp/encore.results"
	if [ $rc = 0 ] && grep -qx 'threads: done' "$tmp/qemu.results" &&
	   cmp -s "$tmp/qemu.results" "$tmp/encore.results"; then
		ok "QEMU -smp 2 prints the same $(wc -l <"$tmp/qemu.results") synchronised results ($secs s)"
	else
		not_ok "QEMU -smp 2 (exit $rc): its results differ from encore's" "$tmp/qemu.out"
		diff "$tmp/qemu.results" "$tmp/encore.results" | head -n 10 | sed 's/^/#   /'
	fi
else
	skip "QEMU comparison" "qemu-system-x86_64 is not installed"
fi
finish
