#!/bin/bash
# Fetch Debian's stock kernel (the package linux-image-amd64 points at)
# without installing it, and unpack it into OUT (default build/guest):
#   OUT/vmlinuz   the bzImage, as Debian ships it
#   OUT/vmlinux   the uncompressed kernel ELF, cut out of the bzImage
#   OUT/modules/lib/modules/KVER/
#                 the modules the guest loads for virtio devices (MODULES
#                 below) and every module they need, at their paths in the
#                 package, with a modules.dep and a modules.alias for just
#                 those modules (busybox modprobe reads both)
#   OUT/modules/package  which package and MODULES those are
# Either part is unpacked again when it is missing or from another package.
# Needs apt lists (apt-get update), dpkg-deb, xz and objcopy (binutils).
set -euo pipefail
OUT=${1:-build/guest}
# What guest/init loads: the virtio PCI transport, disk and network drivers,
# and the file system of the disk image (guest/build-disk.sh).
MODULES=(virtio_pci virtio_blk virtio_net ext4)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
die() { echo "fetch-kernel: $*" >&2; exit 1; }
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1)
if [ -z "$pkg" ]; then
	echo "fetch-kernel: apt does not know linux-image-amd64 (run apt-get update)" >&2
	exit 1
fi
kver=${pkg#linux-image-} # Debian names the package after the kernel release
need_kernel=1 need_modules=1
if [ -s "$OUT/vmlinux" ] && [ "$(cat "$OUT/kernel-package" 2>/dev/null)" = "$pkg" ]; then
	need_kernel=0
fi
if [ -s "$OUT/modules/lib/modules/$kver/modules.dep" ] &&
	[ "$(cat "$OUT/modules/package" 2>/dev/null)" = "$pkg: ${MODULES[*]}" ]; then
	need_modules=0
fi
[ "$need_kernel" = 0 ] && [ "$need_modules" = 0 ] && exit 0
command -v objcopy >/dev/null || die "objcopy is not installed (apt-get install binutils)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Sandbox::User=root: as root, apt downloads as its _apt user, which cannot
# write into the private temp dir (it warns and falls back to root anyway).
(cd "$work" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >/dev/null)
dpkg-deb -x "$work"/*.deb "$work/root"

if [ "$need_kernel" = 1 ]; then
	cp "$work"/root/boot/vmlinuz-* "$OUT/vmlinuz"
	# The bzImage carries the kernel as an XZ stream after its decompressor.
	offset=$(LC_ALL=C grep -obUaP '\xfd7zXZ' "$OUT/vmlinuz" | head -n 1 | cut -d: -f1 || true)
	if [ -z "$offset" ]; then
		echo "fetch-kernel: no XZ payload found in $OUT/vmlinuz" >&2
		exit 1
	fi
	tail -c +"$((offset + 1))" "$OUT/vmlinuz" >"$work/payload.xz"
	xz -dc --single-stream "$work/payload.xz" >"$OUT/vmlinux"
	echo "$pkg" >"$OUT/kernel-package"
	echo "fetch-kernel: $pkg -> $OUT/vmlinuz, $OUT/vmlinux"
fi

[ "$need_modules" = 1 ] || exit 0
# The modules, and what they need, at their paths in the package.
"$(dirname "$0")/kernel-modules.sh" fetch-kernel "$work/root" "$pkg" "$OUT" "${MODULES[@]}"
