#!/usr/bin/env bash
# Cross-check a bare-metal guest on QEMU (TCG) under the same start state
# that `encore run --kernel` gives (see shim.S):
#
#   tests/guest/qemu/run.sh build/guests/paging.elf
#   SMP=2 tests/guest/qemu/run.sh build/guests/smp.elf   # with 2 CPUs
#
# Exits with the guest's status (isa-debug-exit at port 0xf4 is decoded),
# or 200 when QEMU stopped without it (a triple fault with -no-reboot).
# Needs `make guests-qemu` first.  Known TCG (QEMU 7.2) deviations from the
# SDM that the guests check: no #GP for unknown MSRs; IDT error codes as
# vector*16+2 instead of vector*8+2; RSVD page faults without the P bit;
# #GP instead of #SS for non-canonical RSP-based addresses.
set -u
shim=${SHIM:-build/guests/qemu/shim.elf}
accel=${ACCEL:-tcg}
[ -f "$shim" ] || { echo "run.sh: $shim missing (make guests-qemu)" >&2; exit 2; }
timeout "${TIMEOUT:-120}" qemu-system-x86_64 -machine q35,accel="$accel" -cpu max -m 256 -smp "${SMP:-1}" \
	-display none -serial stdio -monitor none -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$shim" -initrd "$1"
rc=$?
if [ $((rc & 1)) = 1 ]; then
	exit $((rc >> 1))
fi
echo "run.sh: QEMU exited with $rc without a guest exit (triple fault?)" >&2
exit 200
