#!/bin/bash
# Build encore's default guest for arm64 from Debian's arm64 packages into
# OUT (default build/guest-arm64), skipping whatever is already up to date.
# The same guest as guest/build-guest.sh builds for x86-64, file for file:
#   OUT/Image, OUT/kernel-config  Debian's stock arm64 kernel, a raw Image
#                             (guest/fetch-kernel-arm64.sh)
#   OUT/modules               its modules for virtio-mmio devices and ext4
#                             (guest/fetch-kernel-arm64.sh)
#   OUT/busybox               busybox from busybox-static:arm64, unpacked,
#                             not installed
#   OUT/threads               guest/threads.c, cross-built static against
#                             the arm64 cross glibc (aarch64-linux-gnu-gcc,
#                             or CROSS_CC)
#   OUT/initramfs.cpio        uncompressed newc cpio laid out as the x86-64
#                             one: busybox and its applet symlinks, /init
#                             (guest/init), /bin/workload, /bin/disktest,
#                             /bin/threads and the modules in /lib/modules;
#                             byte-identical on every build with the same
#                             cross compiler
#   OUT/disk.img, OUT/disk.sha256  the guest's disk (guest/build-disk.sh),
#                             the same bytes as the x86-64 guest's
#   OUT/tftp/numbers.txt      what the user network serves the workload
# Downloading arm64 packages needs dpkg's arm64 architecture and its apt
# lists: guest/fetch-kernel-arm64.sh adds and updates them when apt does not
# know the kernel package.  No arm64 package is installed.  Needs
# dpkg-deb, objcopy, cpio, gcc-aarch64-linux-gnu (with its cross libc6-dev),
# qemu-user (qemu-aarch64, to ask busybox for its applets; not needed on an
# arm64 host) and e2fsprogs.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-build/guest-arm64}
CROSS_CC=${CROSS_CC:-aarch64-linux-gnu-gcc}
mkdir -p "$OUT"
umask 022
die() { echo "build-guest-arm64: $*" >&2; exit 1; }
command -v cpio >/dev/null || die "cpio is not installed (apt-get install cpio)"

guest/fetch-kernel-arm64.sh "$OUT"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# busybox-static:arm64, downloaded and unpacked (the kernel's fetch made
# apt's lists know arm64).  The stamp names the version unpacked.
ver=$(apt-cache show --no-all-versions busybox-static:arm64 2>/dev/null |
	sed -n 's/^Version: //p' | head -n 1)
[ -n "$ver" ] || die "apt does not know busybox-static:arm64 (run apt-get update)"
stamp=$(cat "$OUT/busybox-package" 2>/dev/null || true)
if [ ! -s "$OUT/busybox" ] || [ "$stamp" != "busybox-static:arm64 $ver" ]; then
	mkdir "$work/deb"
	# Sandbox::User=root: as root, apt downloads as its _apt user, which
	# cannot write into the private temp dir (it warns and falls back).
	(cd "$work/deb" &&
		apt-get download -q -o APT::Sandbox::User=root "busybox-static:arm64=$ver" >/dev/null) ||
		die "could not download busybox-static:arm64 $ver (stale apt lists? run apt-get update)"
	dpkg-deb -x "$work"/deb/*.deb "$work/bb"
	[ -x "$work/bb/bin/busybox" ] || die "busybox-static:arm64 $ver has no bin/busybox"
	cp "$work/bb/bin/busybox" "$OUT/busybox"
	echo "busybox-static:arm64 $ver" >"$OUT/busybox-package"
	echo "build-guest-arm64: busybox-static:arm64 $ver -> $OUT/busybox"
fi

# The multiprocessor workload: static, so the initramfs needs no libc.
if [ ! -s "$OUT/threads" ] || [ guest/threads.c -nt "$OUT/threads" ]; then
	command -v "$CROSS_CC" >/dev/null ||
		die "$CROSS_CC is not installed (apt-get install gcc-aarch64-linux-gnu)"
	"$CROSS_CC" -std=gnu11 -O2 -Wall -Wextra -static -pthread guest/threads.c -o "$OUT/threads" ||
		die "could not cross-build guest/threads.c statically (is libc6-dev-arm64-cross installed?)"
	echo "build-guest-arm64: guest/threads.c -> $OUT/threads ($CROSS_CC)"
fi

# The initramfs is rebuilt when any of its inputs is newer than it.
# fetch-kernel-arm64.sh writes the modules afresh (and their directories),
# so their times tell.
cpio_out=$OUT/initramfs.cpio
inputs=("$OUT/busybox" "$OUT/threads" guest/init guest/workload.sh guest/disktest.sh
	guest/build-guest-arm64.sh)
[ -d "$OUT/modules/lib/modules" ] || die "fetch-kernel-arm64.sh left no $OUT/modules/lib/modules"
mapfile -t -O ${#inputs[@]} inputs < <(find "$OUT/modules/lib/modules")
fresh=1
[ -s "$cpio_out" ] || fresh=0
for f in "${inputs[@]}"; do
	[ "$cpio_out" -nt "$f" ] || fresh=0
done

# arm64 busybox: run under qemu-user on another host.
arm64() {
	if [ "$(uname -m)" = aarch64 ]; then
		"$@"
	elif command -v qemu-aarch64 >/dev/null; then
		qemu-aarch64 "$@"
	else
		die "qemu-aarch64 is not installed (apt-get install qemu-user): it lists busybox's applets"
	fi
}

if [ "$fresh" = 0 ]; then
	root=$work/root
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,etc,tmp,root,mnt,lib}
	chmod 1777 "$root/tmp"
	chmod 0700 "$root/root"
	install -m 0755 "$OUT/busybox" "$root/bin/busybox"
	install -m 0755 guest/init "$root/init"
	install -m 0755 guest/workload.sh "$root/bin/workload"
	install -m 0755 guest/disktest.sh "$root/bin/disktest"
	install -m 0755 "$OUT/threads" "$root/bin/threads"
	# /lib/modules/KVER with the modules and their modules.dep, for modprobe.
	cp -r "$OUT/modules/lib/modules" "$root/lib/modules"
	find "$root/lib" -type d -exec chmod 0755 {} +
	find "$root/lib" -type f -exec chmod 0644 {} +
	# One symlink per applet, where busybox --install would put it.
	arm64 "$OUT/busybox" --list-full >"$work/applets" ||
		die "$OUT/busybox --list-full failed"
	while read -r applet; do
		case $applet in
		bin/busybox | linuxrc) ;; # the binary itself; linuxrc is for initrds
		*) ln -s /bin/busybox "$root/$applet" ;;
		esac
	done <"$work/applets"
	[ -L "$root/bin/sh" ] || die "busybox --list-full did not list bin/sh"
	# Fixed times, a sorted list, owner root and renumbered inodes make the
	# archive depend on nothing but its inputs.
	find "$root" -exec touch -h -d @0 {} +
	(cd "$root" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --reproducible --quiet) >"$cpio_out.tmp" ||
		die "cpio failed"
	mv "$cpio_out.tmp" "$cpio_out"
	echo "build-guest-arm64: $cpio_out ($(wc -c <"$cpio_out") bytes)"
fi

# The disk, built when it is not up to date: the x86-64 guest's bytes.
guest/build-disk.sh "$OUT"
# The network's side of the workload: a file 10.0.2.2 serves over TFTP.
mkdir -p "$OUT/tftp"
[ -s "$OUT/tftp/numbers.txt" ] || seq 1 20000 >"$OUT/tftp/numbers.txt"
