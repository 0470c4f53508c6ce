#!/bin/bash
# QEMU's record/replay plus a TCG plugin counting on the default guest: the
# baseline for encore's replay with counting (see README.md beside this).
#   bench/qemu_plugin/run.sh [BUILD_DIR]
# Uses BUILD_DIR/guest/vmlinux and BUILD_DIR/guest/initramfs.cpio (made by
# guest/build-guest.sh BUILD_DIR/guest; setup.sh makes build/guest).  Records
# the workload once per repetition with guest/run-qemu.sh --record, then
# replays that log without a plugin and with bench/qemu_plugin/icount.c in
# four modes; every replay must print its record's console output byte for
# byte.  Prints "key: value" lines: wall seconds and CPU seconds (user +
# system, QEMU's threads included), each the least of BENCH_REPS (default
# 1), and the counts.  Exits 0 with "skip: WHY" lines when something
# it needs is missing; exits 1 when a run fails.
# QEMU_PLUGIN_H=FILE uses that qemu-plugin.h instead of the one from Debian's
# qemu source package; QEMU_ICOUNT=0 skips the extra replay that asks QEMU's
# monitor for its own instruction count.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=$(realpath -m "${1:-build}")
GUEST=$BUILD/guest
KERNEL=$GUEST/vmlinux
INITRD=$GUEST/initramfs.cpio
OUT=$BUILD/bench/qemu_plugin
RUNS=$OUT/runs
REPS=${BENCH_REPS:-1}
TIMEOUT=900

skip() {
	echo "skip: $*"
	exit 0
}
fail() {
	echo "error: $*" >&2
	exit 1
}

command -v qemu-system-x86_64 >/dev/null ||
	skip "qemu-system-x86_64 is not installed (Debian package qemu-system-x86)"
{ [ -r "$KERNEL" ] && [ -r "$INITRD" ]; } ||
	skip "no guest in $GUEST (make it with: guest/build-guest.sh $GUEST)"
echo "qemu_version: $(qemu-system-x86_64 --version | sed -n 1p)"

# --- The plugin: header, then build. ---------------------------------------
plugin=
plugin_why=
qemu_help=$(qemu-system-x86_64 -help 2>/dev/null || true)
if ! grep -q '^-plugin' <<<"$qemu_help"; then
	plugin_why="this qemu-system-x86_64 has no -plugin option (built without TCG plugins)"
elif ! command -v gcc >/dev/null; then
	plugin_why="gcc is not installed"
fi

# fetch_header DIR: put qemu-plugin.h of the installed QEMU's Debian source
# package into DIR.  Debian ships the header in no binary package, so this
# downloads the source package (about 24 MB) with apt-get source into a
# scratch apt state, from deb-src entries made of the system's configured
# Debian repositories, and unpacks only the header.
fetch_header() (
	local dir=$1 src_pkg src_ver want tmp series
	src_pkg=$(dpkg-query -W -f='${source:Package}' qemu-system-x86 2>/dev/null) || return 1
	src_ver=$(dpkg-query -W -f='${source:Version}' qemu-system-x86 2>/dev/null) || return 1
	want="$src_pkg $src_ver"
	if [ -s "$dir/qemu-plugin.h" ] && [ "$(cat "$dir/source" 2>/dev/null)" = "$want" ]; then
		return 0
	fi
	tmp=$(mktemp -d)
	# Removed at the end: the scratch apt state names the archive's host.
	trap 'rm -rf "$tmp"' EXIT
	mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/src"
	# The Debian repositories apt is configured with (known by their Release
	# files: apt-get update must have run), as deb-src entries.
	debian_sources() {
		# shellcheck disable=SC2016 # $(...) are apt's fields
		apt-get indextargets --format 'deb-src $(REPO_URI) $(RELEASE) $(COMPONENT)' \
			'Created-By: Packages' 'Origin: Debian' | sort -u >"$tmp/sources.list"
	}
	debian_sources
	if [ ! -s "$tmp/sources.list" ] && [ "$(id -u)" = 0 ]; then
		apt-get update -q >/dev/null 2>&1 || true
		debian_sources
	fi
	if [ ! -s "$tmp/sources.list" ]; then
		echo "run: no Debian repository in apt's configuration (apt-get update?)" >&2
		return 1
	fi
	local apt_opts=(-q -o "Dir::Etc::SourceList=$tmp/sources.list"
		-o "Dir::Etc::SourceParts=$tmp/none" -o "Dir::State::Lists=$tmp/lists"
		-o "Dir::Cache=$tmp/cache" -o APT::Sandbox::User=root)
	apt-get "${apt_opts[@]}" update >"$tmp/update.log" 2>&1 || {
		cat "$tmp/update.log" >&2
		return 1
	}
	(cd "$tmp/src" && apt-get "${apt_opts[@]}" source --download-only "$src_pkg=$src_ver") \
		>"$tmp/source.log" 2>&1 || {
		cat "$tmp/source.log" >&2
		return 1
	}
	# Debian's patches to the header, if any, need the whole tree unpacked.
	series=$(tar -xJOf "$tmp"/src/*.debian.tar.xz debian/patches 2>/dev/null |
		grep -c '^+++ .*include/qemu/qemu-plugin\.h' || true)
	if [ "$series" != 0 ]; then
		command -v dpkg-source >/dev/null || {
			echo "run: Debian patches qemu-plugin.h; unpacking them needs dpkg-source (dpkg-dev)" >&2
			return 1
		}
		dpkg-source --no-check -x "$tmp"/src/*.dsc "$tmp/tree" >/dev/null || return 1
		mkdir -p "$dir"
		cp "$tmp/tree/include/qemu/qemu-plugin.h" "$dir/qemu-plugin.h"
	else
		tar -xJf "$tmp"/src/*.orig.tar.xz -C "$tmp" --wildcards '*/include/qemu/qemu-plugin.h' ||
			return 1
		mkdir -p "$dir"
		cp "$tmp"/*/include/qemu/qemu-plugin.h "$dir/qemu-plugin.h"
	fi
	echo "$want" >"$dir/source"
)

mkdir -p "$OUT"
if [ -z "$plugin_why" ]; then
	inc=$OUT/include
	if [ -n "${QEMU_PLUGIN_H:-}" ]; then
		mkdir -p "$inc"
		cp "$QEMU_PLUGIN_H" "$inc/qemu-plugin.h"
		echo "QEMU_PLUGIN_H=$QEMU_PLUGIN_H" >"$inc/source"
	elif ! fetch_header "$inc"; then
		plugin_why="could not get qemu-plugin.h from Debian's qemu source package"
	fi
fi
if [ -z "$plugin_why" ]; then
	echo "plugin_header: $(cat "$inc/source")"
	if gcc -O2 -Wall -shared -fPIC -fvisibility=hidden -I "$inc" \
		-o "$OUT/libicount.so" bench/qemu_plugin/icount.c 2>"$OUT/build.err"; then
		plugin=$OUT/libicount.so
	else
		cat "$OUT/build.err" >&2
		plugin_why="bench/qemu_plugin/icount.c did not build"
	fi
fi
if [ -n "$plugin" ]; then
	echo "plugin: yes"
else
	echo "plugin: no"
	echo "skip: plugin runs: $plugin_why"
fi

# --- Runs. -------------------------------------------------------------------
rm -rf "$RUNS"
mkdir -p "$RUNS"
printf 'workload\npoweroff -f\n' >"$RUNS/workload.input"
LOG=$RUNS/q.rr
# The replay's QEMU command line, exactly as guest/run-qemu.sh builds it
# (single-quoted where a shell would split), so that extra options can be
# added; rr.sh's QEMU replays run the same line.
replay_line=$(guest/run-qemu.sh --dry-run --replay "$LOG" "$KERNEL" "$INITRD")

HZ=$(getconf CLK_TCK)
# CPU ticks (user + system) of this shell's waited-for children so far.
child_ticks() {
	local stat
	stat=$(cat "/proc/$$/stat") # $$: the shell that waits for CMD
	stat=${stat##*) } # past "pid (comm) "
	awk '{ print $14 + $15 }' <<<"$stat"
}
T='' C=''
# timed CMD...: run CMD in this shell; its wall seconds in T, the CPU
# seconds of everything it ran (QEMU's threads included) in C; fails when
# CMD fails.
timed() {
	local t0=$EPOCHREALTIME c0 rc=0
	c0=$(child_ticks)
	"$@" || rc=$?
	T=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
	C=$(awk -v a="$c0" -v b="$(child_ticks)" -v hz="$HZ" 'BEGIN { printf "%.2f", (b - a) / hz }')
	return $rc
}
# keep_min NAME: NAME = min(NAME, T) and NAME_cpu = min(NAME_cpu, C).
keep_min() {
	local cur=${!1:-} cpu=${1}_cpu
	if [ -z "$cur" ] || awk -v t="$T" -v c="$cur" 'BEGIN { exit !(t < c) }'; then
		printf -v "$1" %s "$T"
	fi
	cur=${!cpu:-}
	if [ -z "$cur" ] || awk -v t="$C" -v c="$cur" 'BEGIN { exit !(t < c) }'; then
		printf -v "$cpu" %s "$C"
	fi
}
record() {
	rm -f "$LOG"
	guest/run-qemu.sh --timeout "$TIMEOUT" --record "$LOG" "$KERNEL" "$INITRD" \
		<"$RUNS/workload.input" >"$RUNS/record.out" 2>"$RUNS/record.err"
}
# replay NAME [QEMU OPTION...]: replay the log with the extra options;
# console output to RUNS/NAME.out.
replay() {
	local name=$1
	shift
	local extra=
	[ $# = 0 ] || extra=$(printf ' %q' "$@")
	eval "timeout $TIMEOUT $replay_line$extra" </dev/null >"$RUNS/$name.out" 2>"$RUNS/$name.err"
}
# check NAME: the replay printed its record's console output.
check() {
	cmp -s "$RUNS/record.out" "$RUNS/$1.out" ||
		fail "$1: console output differs from the record's (see $RUNS)"
}
field() { sed -n "s/^$2: //p" "$1"; } # FILE KEY

modes=()
if [ -n "$plugin" ]; then
	# name and plugin arguments
	modes=("insn:count=insn" "tb:count=tb" "mem_inline:mem=inline" "mem_cb:mem=cb")
fi
t_record='' t_replay='' t_record_cpu='' t_replay_cpu=''
for _ in $(seq "$REPS"); do
	timed record || fail "record failed: $(tr '\n' ' ' <"$RUNS/record.err")"
	keep_min t_record
	grep -q 'reboot: Power down' "$RUNS/record.out" || fail "the recorded guest did not power off"
	timed replay replay || fail "replay failed: $(tr '\n' ' ' <"$RUNS/replay.err")"
	check replay
	keep_min t_replay
	for m in "${modes[@]}"; do
		name=plugin_${m%%:*}
		args=${m#*:}
		rm -f "$RUNS/$name.txt"
		timed replay "$name" -plugin "$plugin,$args,out=$RUNS/$name.txt" ||
			fail "$name replay failed: $(tr '\n' ' ' <"$RUNS/$name.err")"
		check "$name"
		[ -s "$RUNS/$name.txt" ] || fail "$name: the plugin wrote no counts"
		keep_min "t_$name"
	done
done

echo "reps: $REPS"
echo "rr_log_bytes: $(stat -c %s "$LOG")"
echo "record_s: $t_record"
echo "record_cpu_s: $t_record_cpu"
echo "replay_s: $t_replay"
echo "replay_cpu_s: $t_replay_cpu"
for m in "${modes[@]}"; do
	name=plugin_${m%%:*}
	t=t_$name c=t_${name}_cpu
	echo "replay_${name}_s: ${!t}"
	echo "replay_${name}_cpu_s: ${!c}"
done
if [ -n "$plugin" ]; then
	f=$RUNS/plugin_insn.txt
	echo "plugin_insns: $(field "$f" insns)"
	echo "plugin_insns_kernel: $(field "$f" insns_kernel)"
	echo "plugin_insns_user: $(field "$f" insns_user)"
	echo "plugin_tb_insns: $(field "$RUNS/plugin_tb.txt" insns)"
	echo "plugin_mem_inline_accesses: $(field "$RUNS/plugin_mem_inline.txt" mem_accesses)"
	f=$RUNS/plugin_mem_cb.txt
	echo "plugin_mem_cb_accesses: $(field "$f" mem_accesses)"
	echo "plugin_mem_cb_reads: $(field "$f" mem_reads)"
	echo "plugin_mem_cb_writes: $(field "$f" mem_writes)"
	echo "plugin_mem_cb_bytes: $(field "$f" mem_bytes)"
fi
if [ "${QEMU_ICOUNT:-1}" != 0 ]; then
	# QEMU's own count (its monitor's "info replay" at the power-off stop).
	guest/run-qemu.sh --timeout "$TIMEOUT" --replay "$LOG" --insns "$KERNEL" "$INITRD" \
		</dev/null >"$RUNS/icount.out" 2>"$RUNS/icount.err" ||
		fail "the counting replay failed: $(tr '\n' ' ' <"$RUNS/icount.err")"
	echo "qemu_icount: $(field "$RUNS/icount.err" instructions)"
fi
rm -f "$LOG"
