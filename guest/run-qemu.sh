#!/bin/bash
# Run a kernel and initramfs under QEMU's TCG, the guest's serial console on
# stdin and stdout:
#   guest/run-qemu.sh [OPTIONS] KERNEL INITRD [APPEND]
# --icount        -icount shift=0: guest time follows the instruction count,
#                 one ns per instruction
# --icount-auto   -icount shift=auto, the instruction-counting mode QEMU's
#                 record/replay uses, without recording
# --record FILE   record the run with QEMU's record/replay into FILE
#                 (-icount shift=auto,rr=record,rrfile=FILE): the serial
#                 console's input is in the log
# --replay FILE   replay FILE (-icount shift=auto,rr=replay,rrfile=FILE) with
#                 the same KERNEL, INITRD and APPEND: the console input comes
#                 from the log, stdin is not read
# --insns         with --replay: at the end print QEMU's instruction count
#                 as "instructions: N" on stderr (the run stops at power-off
#                 with -no-shutdown and is asked through a monitor on a pipe;
#                 the console output is printed when QEMU has quit)
# --disk FILE     attach FILE, a raw disk image (build/guest/disk.img), as a
#                 virtio disk (-drive file=FILE,if=virtio,format=raw): the
#                 guest sees /dev/vda and writes to FILE.  With --record or
#                 --replay it goes through QEMU's blkreplay driver and FILE
#                 is left as it was (snapshot=on), so both runs start from it
# --net SPEC      a virtio network card on QEMU's user network: SPEC is
#                 user[,hostfwd=...] as encore run --net takes it, given to
#                 QEMU as -nic user,model=virtio-net-pci[,hostfwd=...]
# --smp N         N virtual CPUs (-smp N)
# --single        TCG on one host thread, the vCPUs in turn (-accel tcg,thread=single)
# --times         print the host time at which each shell prompt appears
# --timeout SECS  stop QEMU after SECS seconds (exit status 124)
# --dry-run       print the QEMU command line and exit
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
	echo "usage: run-qemu.sh [--icount | --icount-auto | --record FILE | --replay FILE [--insns]]" >&2
	echo "                   [--disk FILE] [--net SPEC] [--smp N] [--single] [--times]" >&2
	echo "                   [--timeout SECS]" >&2
	echo "                   [--dry-run]" >&2
	echo "                   KERNEL INITRD [APPEND]" >&2
	exit 2
}
qemu_opts=() times=() timeout=() icount=0 rr='' rr_file='' insns=0 dry=0 accel=tcg disk='' net=''
while [ $# -gt 0 ]; do
	case $1 in
	--icount) qemu_opts+=(-icount shift=0) icount=$((icount + 1)) ;;
	--icount-auto) qemu_opts+=(-icount shift=auto) icount=$((icount + 1)) ;;
	--record | --replay)
		[ $# -ge 2 ] || usage
		rr=${1#--} rr_file=$2
		qemu_opts+=(-icount "shift=auto,rr=$rr,rrfile=$rr_file")
		icount=$((icount + 1))
		shift
		;;
	--insns) insns=1 ;;
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
if [ "$insns" = 1 ] && [ "$rr" != replay ]; then
	echo "run-qemu: --insns needs --replay" >&2
	exit 2
fi
# quiet: every console byte costs the guest UART accesses.  cryptomgr.notests:
# the crypto self-tests are half the boot's instructions.
append="console=ttyS0 quiet panic=-1 cryptomgr.notests ${3:-}"
qemu=(qemu-system-x86_64 -accel "$accel" "${qemu_opts[@]}" -m 256M
	-nodefaults -display none -no-reboot
	-kernel "$1" -initrd "$2" -append "${append% }")
if [ -n "$net" ]; then
	qemu+=(-nic "user,model=virtio-net-pci${net#user}")
fi
if [ -n "$disk" ] && [ -z "$rr" ]; then
	qemu+=(-drive "file=$disk,if=virtio,format=raw")
elif [ -n "$disk" ]; then
	# Record/replay sees the disk's requests only through blkreplay.
	# shellcheck disable=SC2054 # the commas are within QEMU's option values
	qemu+=(-drive "file=$disk,if=none,format=raw,snapshot=on,id=disk-direct"
		-drive "driver=blkreplay,if=none,image=disk-direct,id=disk"
		-device virtio-blk-pci,drive=disk)
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
	[ -r "$f" ] || { echo "run-qemu: cannot read $f" >&2; exit 2; }
done
if [ "$rr" = replay ] && [ ! -r "$rr_file" ]; then
	echo "run-qemu: cannot read $rr_file" >&2
	exit 2
fi
qemu=("${timeout[@]}" "${qemu[@]}")

# A person gets ^C passed to the guest and QEMU's ^A x to quit.
if [ -t 0 ] && [ "$rr" != replay ]; then
	exec "${qemu[@]}" -serial mon:stdio
fi
qemu+=(-serial stdio)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
set +e
if [ "$rr" = replay ] && [ "$insns" = 1 ]; then
	# Wait for the guest's power-off (-no-shutdown stops the VM there), then
	# ask the monitor for the count and quit.  Holding both fifos open
	# read-write keeps QEMU's opens and our writes from blocking.
	mkfifo "$work/mon.in" "$work/mon.out"
	exec 5<>"$work/mon.in" 6<>"$work/mon.out"
	"${qemu[@]}" -no-shutdown -monitor "pipe:$work/mon" </dev/null >"$work/log" 5>&- 6>&- &
	qpid=$!
	# monitor CMD PATTERN: send CMD every second until a reply line matches
	# PATTERN (printed) or QEMU has gone.
	monitor() {
		local line
		while kill -0 "$qpid" 2>/dev/null; do
			printf '%s\n' "$1" >&5
			while IFS= read -r -t 1 line <&6; do
				if [[ $line =~ $2 ]]; then
					echo "${BASH_REMATCH[0]}"
					return 0
				fi
			done
		done
		return 1
	}
	monitor 'info status' 'VM status: .*shutdown' >/dev/null
	count=$(monitor 'info replay' 'instruction count = [0-9]+')
	kill -0 "$qpid" 2>/dev/null && printf 'quit\n' >&5
	wait "$qpid"
	status=($?)
	cat "$work/log"
	if [ -n "$count" ]; then
		echo "instructions: ${count##* }" >&2
	elif [ "${status[0]}" = 0 ]; then
		echo "run-qemu: no instruction count from QEMU's monitor" >&2
		status=(1)
	fi
	status+=(0)
elif [ "$rr" = replay ]; then
	"${qemu[@]}" </dev/null | tee "$work/log"
	status=("${PIPESTATUS[@]}")
else
	mkfifo "$work/in"
	# QEMU's console output is copied to stdout and to a log, to look for the
	# kernel's last words.  The helper reads the lines to type from fd 4.
	exec 4<&0
	# shellcheck disable=SC2094 # $work/in is a fifo: QEMU reads what the helper writes
	"${qemu[@]}" <"$work/in" 4<&- |
		"$here/send-after-prompt" "${times[@]}" "$PROMPT" /dev/fd/4 "$work/in" |
		tee "$work/log"
	status=("${PIPESTATUS[@]}")
fi
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
