#!/bin/bash
# Build encore's default guest from Debian packages into OUT (default
# build/guest), skipping whatever is already up to date:
#   OUT/vmlinuz, OUT/vmlinux  Debian's stock kernel (guest/fetch-kernel.sh)
#   OUT/modules               its modules for virtio devices (guest/fetch-kernel.sh)
#   OUT/busybox               busybox from busybox-static, unpacked, not installed
#   OUT/threads               guest/threads.c, built static against the host's glibc
#   OUT/initramfs.cpio        uncompressed newc cpio: busybox and its applet
#                             symlinks, /init (guest/init), /bin/workload
#                             (guest/workload.sh), /bin/disktest
#                             (guest/disktest.sh), /bin/threads and the modules
#                             in /lib/modules; byte-identical on every build
#                             with the same compiler
#   OUT/disk.img, OUT/disk.sha256  the guest's disk (guest/build-disk.sh)
#   OUT/tftp/numbers.txt      what the user network serves the workload over
#                             TFTP (--net user,tftp=OUT/tftp)
# Needs apt lists, dpkg-deb, xz, objcopy, cpio, gcc with a static glibc
# (libc6-dev) and e2fsprogs.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-build/guest}
mkdir -p "$OUT"
umask 022
die() { echo "build-guest: $*" >&2; exit 1; }
command -v cpio >/dev/null || die "cpio is not installed (apt-get install cpio)"

guest/fetch-kernel.sh "$OUT"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# busybox-static conflicts with the host's busybox package, so download and
# unpack it rather than install it.  The stamp names the version unpacked.
bb_version() {
	apt-cache show --no-all-versions busybox-static 2>/dev/null |
		sed -n 's/^Version: //p' | head -n 1
}
ver=$(bb_version)
if [ -z "$ver" ]; then
	echo "build-guest: apt does not know busybox-static; running apt-get update"
	SUDO=
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	$SUDO apt-get update -q >/dev/null || die "apt-get update failed"
	ver=$(bb_version)
	[ -n "$ver" ] || die "apt does not know busybox-static even after apt-get update"
fi
stamp=$(cat "$OUT/busybox-package" 2>/dev/null || true)
if [ ! -x "$OUT/busybox" ] || [ "$stamp" != "busybox-static $ver" ]; then
	mkdir "$work/deb"
	# Sandbox::User=root: as root, apt downloads as its _apt user, which
	# cannot write into the private temp dir (it warns and falls back).
	(cd "$work/deb" &&
		apt-get download -q -o APT::Sandbox::User=root "busybox-static=$ver" >/dev/null) ||
		die "could not download busybox-static $ver (stale apt lists? run apt-get update)"
	dpkg-deb -x "$work"/deb/*.deb "$work/bb"
	[ -x "$work/bb/bin/busybox" ] || die "busybox-static $ver has no bin/busybox"
	cp "$work/bb/bin/busybox" "$OUT/busybox"
	echo "busybox-static $ver" >"$OUT/busybox-package"
	echo "build-guest: busybox-static $ver -> $OUT/busybox"
fi

# The multiprocessor workload: static, so the initramfs needs no libc.
if [ ! -x "$OUT/threads" ] || [ guest/threads.c -nt "$OUT/threads" ]; then
	${CC:-cc} -std=gnu11 -O2 -Wall -Wextra -static -pthread guest/threads.c -o "$OUT/threads" ||
		die "could not build guest/threads.c statically (is libc6-dev installed?)"
	echo "build-guest: guest/threads.c -> $OUT/threads"
fi

# The initramfs is rebuilt when any of its inputs is newer than it.
# fetch-kernel.sh writes the modules afresh (and their directories), so
# their times tell.
cpio_out=$OUT/initramfs.cpio
inputs=("$OUT/busybox" "$OUT/threads" guest/init guest/workload.sh guest/disktest.sh
	guest/build-guest.sh)
[ -d "$OUT/modules/lib/modules" ] || die "fetch-kernel.sh left no $OUT/modules/lib/modules"
mapfile -t -O ${#inputs[@]} inputs < <(find "$OUT/modules/lib/modules")
fresh=1
[ -s "$cpio_out" ] || fresh=0
for f in "${inputs[@]}"; do
	[ "$cpio_out" -nt "$f" ] || fresh=0
done

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
	# One symlink per applet, where busybox --install would put it; made here
	# because entries in the cpio cost the guest nothing at boot.
	"$OUT/busybox" --list-full | while read -r applet; do
		case $applet in
		bin/busybox | linuxrc) ;; # the binary itself; linuxrc is for initrds
		*) ln -s /bin/busybox "$root/$applet" ;;
		esac
	done
	[ -L "$root/bin/sh" ] || die "busybox --list-full did not list bin/sh"
	# Fixed times, a sorted list, owner root and renumbered inodes make the
	# archive depend on nothing but its inputs.
	find "$root" -exec touch -h -d @0 {} +
	(cd "$root" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --reproducible --quiet) >"$cpio_out.tmp" ||
		die "cpio failed"
	mv "$cpio_out.tmp" "$cpio_out"
	echo "build-guest: $cpio_out ($(wc -c <"$cpio_out") bytes)"
fi

# The disk, built when it is not up to date.
guest/build-disk.sh "$OUT"
# The network's side of the workload: a file 10.0.2.2 serves over TFTP.
mkdir -p "$OUT/tftp"
[ -s "$OUT/tftp/numbers.txt" ] || seq 1 20000 >"$OUT/tftp/numbers.txt"
