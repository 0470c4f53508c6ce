#!/bin/bash
# Run an arm64 kernel Image and initramfs under QEMU's TCG on the board
# encore's AArch64 guest copies (QEMU's virt: PL011 UART, GICv2, the generic
# timer, PSCI over HVC, virtio over MMIO, a device tree), the guest's serial
# console on stdin and stdout; the arm64 twin of guest/run-qemu.sh:
#   guest/run-qemu-arm64.sh [OPTIONS] IMAGE INITRD [APPEND]
# --icount        -icount shift=0: guest time follows the instruction count,
#                 one ns per instruction
# --icount-auto   -icount shift=auto
# --disk FILE     attach FILE, a raw disk image (build/guest-arm64/disk.img),
#                 as a virtio-mmio disk (virtio-blk-device): the guest sees
#                 /dev/vda and writes to FILE
# --net SPEC      a virtio-mmio network card (virtio-net-device) on QEMU's
#                 user network: SPEC is user[,hostfwd=...|,tftp=DIR...] as
#                 encore run --net takes it
# --smp N         N virtual CPUs (-smp N)
# --single        TCG on one host thread, the vCPUs in turn (-accel tcg,thread=single)
# --times         print the host time at which each shell prompt appears
# --verbose       the kernel's boot messages too: no quiet on its command line
# --timeout SECS  stop QEMU after SECS seconds (exit status 124)
# --dry-run       print the QEMU command line and exit
# The kernel command line is console=ttyAMA0 (the PL011), quiet (unless
# --verbose), panic=-1 and cryptomgr.notests, then APPEND; the kernel finds
# its UART, interrupt controller, timer and PSCI in the device tree QEMU
# makes, and /init in the initramfs, so it needs no earlycon, psci or rdinit
# argument (earlycon alone, in APPEND, prints the early boot from the device
# tree's stdout-path).  The device tree has no random seeds (dtb-randomness=off),
# so KASLR stays off and runs are alike.  From a terminal the console is
# interactive.  Otherwise stdin's lines are typed one at a time, each after
# the shell prompt appears (guest/send-after-prompt).
# Exit status: 0 when the guest powered off, 1 when it did not (QEMU failed,
# or the kernel panicked: panic=-1 with -no-reboot ends QEMU).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
PROMPT='encore# ' # guest/init's PS1
usage() {
	echo "usage: run-qemu-arm64.sh [--icount | --icount-auto] [--disk FILE] [--net SPEC]" >&2
	echo "                         [--smp N] [--single] [--times] [--verbose] [--timeout SECS]" >&2
	echo "                         [--dry-run]" >&2
	echo "                         IMAGE INITRD [APPEND]" >&2
	exit 2
}
qemu_opts=() times=() timeout=() icount=0 dry=0 accel=tcg disk='' net='' quiet=quiet
while [ $# -gt 0 ]; do
	case $1 in
	--icount) qemu_opts+=(-icount shift=0) icount=$((icount + 1)) ;;
	--icount-auto) qemu_opts+=(-icount shift=auto) icount=$((icount + 1)) ;;
	--single) accel=tcg,thread=single ;;
	--disk)
		[ $# -ge 2 ] || usage
		disk=$2
		shift
		;;
	--net)
		[ $# -ge 2 ] && [[ $2 == user* ]] || usage
		net=$2
		shift
		;;
	--smp)
		[ $# -ge 2 ] || usage
		qemu_opts+=(-smp "$2")
		shift
		;;
	--times) times=(-t) ;;
	--verbose) quiet= ;;
	--timeout)
		[ $# -ge 2 ] || usage
		# --foreground: QEMU may need the terminal's foreground process group.
		secs=$2
		timeout=(timeout --foreground "$secs")
		shift
		;;
	--dry-run) dry=1 ;;
	-*) usage ;;
	*) break ;;
	esac
	shift
done
if [ $# -lt 2 ] || [ $# -gt 3 ] || [ "$icount" -gt 1 ]; then
	usage
fi
# As guest/run-qemu.sh: quiet, as every console byte costs the guest UART
# accesses; cryptomgr.notests skips the crypto self-tests.
append="console=ttyAMA0${quiet:+ $quiet} panic=-1 cryptomgr.notests ${3:-}"
qemu=(qemu-system-aarch64 -M "virt,gic-version=2,dtb-randomness=off" -cpu cortex-a57
	-accel "$accel" "${qemu_opts[@]}" -m 512M -nodefaults -display none -no-reboot
	-kernel "$1" -initrd "$2" -append "${append% }")
if [ -n "$disk" ]; then
	qemu+=(-drive "file=$disk,if=none,format=raw,id=disk" -device "virtio-blk-device,drive=disk")
fi
if [ -n "$net" ]; then
	qemu+=(-netdev "user,id=net${net#user}" -device "virtio-net-device,netdev=net")
fi

if [ "$dry" = 1 ]; then
	# Single quotes around the words a shell would split or expand.
	line=
	for a in "${qemu[@]}" -serial stdio; do
		[[ $a =~ ^[A-Za-z0-9_./=:,+@%-]+$ ]] || a="'${a//\'/\'\\\'\'}'"
		line+="${line:+ }$a"
	done
	echo "$line"
	exit 0
fi
for f in "$1" "$2" ${disk:+"$disk"}; do
	[ -r "$f" ] || { echo "run-qemu-arm64: cannot read $f" >&2; exit 2; }
done
qemu=("${timeout[@]}" "${qemu[@]}")

# A person gets ^C passed to the guest and QEMU's ^A x to quit.
if [ -t 0 ]; then
	exec "${qemu[@]}" -serial mon:stdio
fi
qemu+=(-serial stdio)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkfifo "$work/in"
# QEMU's console output is copied to stdout and to a log, to look for the
# kernel's last words.  The helper reads the lines to type from fd 4.
exec 4<&0
set +e
# shellcheck disable=SC2094 # $work/in is a fifo: QEMU reads what the helper writes
"${qemu[@]}" <"$work/in" 4<&- |
	"$here/send-after-prompt" "${times[@]}" "$PROMPT" /dev/fd/4 "$work/in" |
	tee "$work/log"
status=("${PIPESTATUS[@]}")
set -e
if [ "${status[0]}" = 124 ] && [ ${#timeout[@]} -gt 0 ]; then
	echo "run-qemu-arm64: timed out after $secs s" >&2
	exit 124
fi
if [ "${status[0]}" != 0 ]; then
	echo "run-qemu-arm64: qemu-system-aarch64 failed (exit status ${status[0]})" >&2
	exit 1
fi
if [ "${status[1]}" != 0 ]; then
	echo "run-qemu-arm64: send-after-prompt failed (exit status ${status[1]})" >&2
	exit 1
fi
if ! grep -q 'reboot: Power down' "$work/log"; then
	echo "run-qemu-arm64: the guest did not power off" >&2
	exit 1
fi
