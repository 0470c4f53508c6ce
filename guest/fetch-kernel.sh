#!/bin/bash
# Fetch Debian's stock kernel (the package linux-image-amd64 points at)
# without installing it, and unpack it into OUT (default build/guest):
#   OUT/vmlinuz   the bzImage, as Debian ships it
#   OUT/vmlinux   the uncompressed kernel ELF, cut out of the bzImage
# Needs apt lists (apt-get update), dpkg-deb and xz.
set -euo pipefail
OUT=${1:-build/guest}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1)
if [ -z "$pkg" ]; then
	echo "fetch-kernel: apt does not know linux-image-amd64 (run apt-get update)" >&2
	exit 1
fi
if [ -s "$OUT/vmlinux" ] && [ "$(cat "$OUT/kernel-package" 2>/dev/null)" = "$pkg" ]; then
	exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Sandbox::User=root: as root, apt downloads as its _apt user, which cannot
# write into the private temp dir (it warns and falls back to root anyway).
(cd "$work" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >/dev/null)
dpkg-deb -x "$work"/*.deb "$work/root"
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
