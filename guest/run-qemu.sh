#!/bin/bash
# Run a kernel and initramfs under QEMU's TCG, the guest's serial console on
# stdin and stdout:
#   guest/run-qemu.sh [--icount] [--times] [--timeout SECS] KERNEL INITRD [APPEND]
# --icount        -icount shift=0: guest time follows the instruction count,
#                 one ns per instruction
# --times         print the host time at which each shell prompt appears
# --timeout SECS  stop QEMU after SECS seconds (exit status 124)
# APPEND is added to the kernel command line.  From a terminal the console is
# interactive.  Otherwise stdin's lines are typed one at a time, each after
# the shell prompt appears (guest/send-after-prompt): bytes sent earlier are
# lost while the kernel sets up the UART, or echoed before the prompt.
# Exit status: 0 when the guest powered off, 1 when it did not (QEMU failed,
# or the kernel panicked: panic=-1 with -no-reboot ends QEMU).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
PROMPT='encore# ' # guest/init's PS1
usage() {
	echo "usage: run-qemu.sh [--icount] [--times] [--timeout SECS] KERNEL INITRD [APPEND]" >&2
	exit 2
}
qemu_opts=() times=() timeout=()
while [ $# -gt 0 ]; do
	case $1 in
	--icount) qemu_opts+=(-icount shift=0) ;;
	--times) times=(-t) ;;
	--timeout)
		[ $# -ge 2 ] || usage
		# --foreground: QEMU may need the terminal's foreground process group.
		secs=$2
		timeout=(timeout --foreground "$secs")
		shift
		;;
	-*) usage ;;
	*) break ;;
	esac
	shift
done
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	usage
fi
for f in "$1" "$2"; do
	[ -r "$f" ] || { echo "run-qemu: cannot read $f" >&2; exit 2; }
done
# quiet: every console byte costs the guest UART accesses.  cryptomgr.notests:
# the crypto self-tests are half the boot's instructions.
append="console=ttyS0 quiet panic=-1 cryptomgr.notests ${3:-}"
qemu=("${timeout[@]}" qemu-system-x86_64 -accel tcg "${qemu_opts[@]}" -m 256M
	-nodefaults -display none -no-reboot
	-kernel "$1" -initrd "$2" -append "$append")

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
	echo "run-qemu: timed out after $secs s" >&2
	exit 124
fi
if [ "${status[0]}" != 0 ]; then
	echo "run-qemu: qemu-system-x86_64 failed (exit status ${status[0]})" >&2
	exit 1
fi
if [ "${status[1]}" != 0 ]; then
	echo "run-qemu: send-after-prompt failed (exit status ${status[1]})" >&2
	exit 1
fi
if ! grep -q 'reboot: Power down' "$work/log"; then
	echo "run-qemu: the guest did not power off" >&2
	exit 1
fi
