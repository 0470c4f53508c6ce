#!/bin/bash
# encore replay --gdb on the Arm board, driven by Debian's gdb-multiarch
# in batch mode (set architecture aarch64, the guest's ELF for symbols):
#   - the timer guest (tests/guest/arm64/timer.c: 20 virtual-timer
#     interrupts through the GICv2) recorded with a checkpoint every 1000
#     instructions (it runs ~38k, the interrupts come ~120 apart near the
#     end), so the checks below cross checkpoints:
#   - 30 stepi then 30 reverse-stepi give the same positions (monitor
#     when) and registers (x0-x30, sp, pc, cpsr, fpsr, fpcr, v0-v31), step
#     for step: from the start and across a checkpoint;
#   - a breakpoint on the interrupt handler (timer_irq) hit 8 times going
#     forward is hit again, in reverse order, by reverse-continue, across
#     a checkpoint;
#   - a watchpoint on the handler's `ticks` stops after the writing
#     instruction forward and before it in reverse;
#   - the IRQ's exception entry: from the vector (VBAR_EL1+0x280)
#     reverse-stepi lands on the interrupted instruction, whose PC and
#     PSTATE are what ELR_EL1 and SPSR_EL1 hold in the vector; steps both
#     ways across the entry agree (a breakpoint on the vector's first
#     instruction does not stop yet: docs/gdb.md, known limits);
#   - every register is readable; `monitor regs` shows the system
#     registers (VBAR_EL1 = &vectors, TTBR0_EL1 = &boot_l1, SP_EL1, PSTATE
#     = cpsr); monitor phys, hash and checkpoint work as on x86-64;
#     reverse-finish and reverse-nexti go back to a call;
#   - with two vCPUs (timer --smp 2: CPU 1 started by PSCI, woken by an
#     SGI), each is a gdb thread with its own registers; steps both ways
#     agree; across a switch of vCPU each stop shows the vCPU encore is
#     on; a breakpoint only CPU 1 reaches stops in thread 2;
#   - `kill` ends encore (status 0) and leaves no process behind.
# Skipped (77) without gdb-multiarch or the AArch64 guests.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
. tests/e2e/helpers/gdb_serve.sh
ENCORE=${ENCORE:-build/encore}
GUEST_DIR=${GUEST_DIR:-build/guests}
GDB=${GDB:-gdb-multiarch}
A64=$GUEST_DIR/arm64
HELPER=tests/e2e/helpers/timetravel.py
tmp=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$tmp"' EXIT

[ -x "$ENCORE" ] || { echo "arm64_gdb.sh: $ENCORE is missing (make)" >&2; exit 1; }
if ! command -v "$GDB" >/dev/null; then
	echo "skipped: no $GDB (apt-get install gdb-multiarch)"
	exit 77
fi
if [ ! -f "$A64/timer.elf" ]; then
	echo "skipped: no AArch64 guests in $A64 (make builds them with aarch64-linux-gnu-gcc)"
	exit 77
fi
t_start=$SECONDS

# gdb_run NAME ELF COMMAND...: gdb-multiarch in batch mode with ELF's
# symbols and the helper, attached to $port; output in NAME.gdb.
gdb_run() {
	local name=$1 elf=$2 c
	shift 2
	local args=()
	for c in "$@"; do args+=(-ex "$c"); done
	timeout 300 "$GDB" -batch -nx -ex 'set architecture aarch64' -ex "file $elf" -x "$HELPER" \
		-ex "target remote $port" "${args[@]}" >"$tmp/$name.gdb" 2>&1
}
# server_ends WHAT: the server exits by itself with status 0, and no
# process of this test (in-memory checkpoints are forked copies) is left.
server_ends() {
	local rc left
	for _ in $(seq 100); do kill -0 "$server" 2>/dev/null || break; sleep 0.05; done
	kill -0 "$server" 2>/dev/null && kill "$server"
	wait "$server"
	rc=$?
	server=
	left=$(pgrep -f -- "$tmp/" | tr '\n' ' ')
	if [ $rc = 0 ] && [ -z "$left" ]; then ok "$1"
	else not_ok "$1 (status $rc, processes left: ${left:-none})" "$tmp/$2.err"; fi
}
# ckpts REC: the recording's checkpoint instructions, one a line.
ckpts() { "$ENCORE" inspect "$1" --events | awk '$2 == "checkpoint" { print $3 }'; }

# ---- one vCPU: timer.elf ----
elf=$A64/timer.elf
if ! "$ENCORE" record -o "$tmp/rec" --arch arm64 --rtc base=2026-01-01 --kernel "$elf" --interval 1k \
	>"$tmp/rec.out" 2>"$tmp/rec.err" </dev/null; then
	not_ok "record timer.elf" "$tmp/rec.err"
	finish
	exit
fi
ckpts "$tmp/rec" >"$tmp/ckpts"
mid=$(sed -n 19p "$tmp/ckpts") # checkpoint 18, instruction 18000
if gdb_serve "$tmp/rec" s1; then
	gdb_run steps "$elf" \
		"python step_check('30 stepi then 30 reverse-stepi from the start agree', 30)" \
		"python goto($mid - 15)" \
		"python step_check('... across checkpoint 18 at instruction $mid', 30)" \
		"python goto('start')" \
		"python breaks_check('8 hits of timer_irq, then back through them with reverse-continue', 'timer_irq', 8)" \
		"python goto('start')" \
		"python watch_check('a watchpoint on ticks stops after the write forward, before it in reverse', 'ticks')" \
		"python goto('start')" \
		"python a64_irq_entry_check('reverse-stepi out of the IRQ vector (VBAR_EL1+0x280)', value('(long)&vectors'), 0x280, 12)" \
		"python regs_check('registers x0-x30, sp, pc, cpsr, fpsr, fpcr, v0-v31 read')" \
		"python a64_types_check('cpsr shows its flags; v0 reads as lanes of every size and as d0, s0, all agreeing')" \
		"python sysregs_check('monitor regs: VBAR_EL1, TTBR0_EL1, SP_EL1, PSTATE as gdb sees them', {'vbar_el1': '(long)&vectors', 'ttbr0_el1': '(long)&boot_l1', 'sp_el1': '\$sp', 'pstate': '\$cpsr'})" \
		"python monitor_check('monitor regs, phys and hash (the same hash each time a place is reached)', 29500, 0x40004000)" \
		"python memory_checkpoint_check('monitor checkpoint: back to it from the start, the same machine', 30500, 20)" \
		"python goto('start')" \
		"python finish_check('reverse-finish and reverse-nexti go back to the call', 'cpu_start')" \
		"kill"
	checks steps 12
	# the reverse-continue check crossed a checkpoint
	hits=$(sed -n 's/^CHECK OK 8 hits of timer_irq.*hits at \[\(.*\)\]$/\1/p' "$tmp/steps.gdb" | tr -d ' ')
	first=${hits%%,*} last=${hits##*,}
	crossed=$(awk -v a="${first:-0}" -v b="${last:-0}" '$1 > a && $1 <= b' "$tmp/ckpts" | tr '\n' ' ')
	if [ -n "$crossed" ]; then
		ok "the 8 timer_irq hits ($first..$last) span checkpoints at ${crossed% }"
	else
		not_ok "no checkpoint between the timer_irq hits '$hits'" "$tmp/steps.gdb"
	fi
	server_ends "encore ends with status 0 when gdb kills the target, nothing left" s1
else
	not_ok "encore replay --gdb did not start" "$tmp/s1.err"
fi

# ---- two vCPUs: timer.elf --smp 2 ----
# CPU 1 first runs at instruction 40000 (where CPU 0's second quantum of
# MACHINE_QUANTUM_INSNS = 20000 ends), ~40 instructions to its WFI; CPU 0
# sends it SGI 5 near 60000.  At 50000 CPU 0 polls, CPU 1 waits.
if "$ENCORE" record -o "$tmp/smp" --arch arm64 --rtc base=2026-01-01 --smp 2 --kernel "$elf" \
	--interval 5k >"$tmp/smp.out" 2>"$tmp/smp.err" </dev/null && gdb_serve "$tmp/smp" s2; then
	gdb_run smp "$elf" "python goto(50000)" \
		"python threads_check('two vCPUs are two gdb threads', 2)" \
		"python thread_regs_check('each thread has its vCPU registers (monitor regs agrees)', 2)" \
		"thread 1" "python goto(49980)" \
		"python step_check('two vCPUs: 40 steps both ways', 40)" \
		"thread 1" "python goto(39990)" \
		"python thread_stops_check('two vCPUs: across a switch of vCPU, each stop is in its thread', 20)" \
		"python goto('start')" \
		"python thread_break_check('a breakpoint only CPU 1 reaches (cpu1_main) stops in thread 2', 'cpu1_main', 2)" \
		"kill"
	checks smp 5
	server_ends "encore ends after gdb on the two-vCPU recording, nothing left" s2
else
	not_ok "record timer.elf with two vCPUs" "$tmp/smp.err"
fi

echo "# $((SECONDS - t_start)) s"
finish
