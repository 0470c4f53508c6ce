#!/bin/bash
# Fetch Debian's stock arm64 kernel (the package linux-image-arm64:arm64
# points at) without installing it, and unpack it into OUT (default
# build/guest-arm64):
#   OUT/Image     the kernel as Linux's arm64 boot protocol loads it (a raw
#                 Image: its 64-byte header gives text_offset, image_size
#                 and flags, and an EFI stub's PE header follows).  Debian 12
#                 ships exactly that, uncompressed, as boot/vmlinuz-KVER
#   OUT/vmlinuz   the file as shipped, only when it is compressed (gzip, or
#                 an EFI zboot image) and OUT/Image is what it holds
#   OUT/kernel-config  the package's boot/config-KVER: what is built in
#   OUT/modules/lib/modules/KVER/, OUT/modules/package
#                 the modules the guest loads (MODULES below, those of them
#                 the config builds as modules) and every module they need,
#                 with a modules.dep and a modules.alias (guest/kernel-modules.sh)
#   OUT/kernel-package  which package OUT/Image came from
# Either part is unpacked again when it is missing or from another package.
# The package lists must know arm64: when apt does not know the package,
# this adds the architecture (dpkg --add-architecture arm64) if dpkg lacks
# it and runs apt-get update, as root or through sudo.  Nothing is
# installed.  Needs dpkg-deb, objcopy (binutils), od, and gzip, xz or
# zstd only for a kernel compressed with them.
set -euo pipefail
OUT=${1:-build/guest-arm64}
# What guest/init loads on an AArch64 board: the virtio MMIO transport,
# disk and network drivers, and the file system of the disk image.
MODULES=(virtio_mmio virtio_blk virtio_net ext4)
# The config symbol of each, to tell a module from a built-in driver.
declare -A CONFIG=([virtio_mmio]=VIRTIO_MMIO [virtio_blk]=VIRTIO_BLK
	[virtio_net]=VIRTIO_NET [ext4]=EXT4_FS)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
die() { echo "fetch-kernel-arm64: $*" >&2; exit 1; }
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

# apt_update: the package lists afresh, arm64's among them.
apt_update() {
	if [ "$(dpkg --print-architecture)" != arm64 ] &&
		! dpkg --print-foreign-architectures | grep -qx arm64; then
		echo "fetch-kernel-arm64: dpkg --add-architecture arm64 (to download arm64 packages)"
		$SUDO dpkg --add-architecture arm64 || die "dpkg --add-architecture arm64 failed"
	fi
	echo "fetch-kernel-arm64: apt-get update (arm64 package lists)"
	$SUDO apt-get update -q >/dev/null || die "apt-get update failed"
}
kernel_package() {
	apt-cache depends linux-image-arm64:arm64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ :]*\)\(:arm64\)\{0,1\}$/\1/p' | head -n 1
}
pkg=$(kernel_package)
if [ -z "$pkg" ]; then
	apt_update
	pkg=$(kernel_package)
	[ -n "$pkg" ] || die "apt does not know linux-image-arm64:arm64 even after apt-get update"
fi
kver=${pkg#linux-image-} # Debian names the package after the kernel release
# pick_modules CONFIG: which of MODULES the kernel configuration CONFIG
# builds as modules (into wanted) and which into the kernel (into builtin);
# one it lacks is fatal.
pick_modules() {
	local m
	wanted=() builtin=()
	for m in "${MODULES[@]}"; do
		case $(sed -n "s/^CONFIG_${CONFIG[$m]}=//p" "$1") in
		m) wanted+=("$m") ;;
		y) builtin+=("$m") ;;
		*) die "$pkg builds no ${CONFIG[$m]} ($m), in or as a module" ;;
		esac
	done
}
modules_fresh() {
	[ -s "$OUT/modules/lib/modules/$kver/modules.dep" ] &&
		[ "$(cat "$OUT/modules/package" 2>/dev/null)" = "$pkg: ${wanted[*]}" ]
}
need_kernel=1 need_modules=1
if [ -s "$OUT/Image" ] && [ -s "$OUT/kernel-config" ] &&
	[ "$(cat "$OUT/kernel-package" 2>/dev/null)" = "$pkg" ]; then
	need_kernel=0
	pick_modules "$OUT/kernel-config"
	modules_fresh && need_modules=0
fi
[ "$need_kernel" = 0 ] && [ "$need_modules" = 0 ] && exit 0
command -v objcopy >/dev/null || die "objcopy is not installed (apt-get install binutils)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Sandbox::User=root: as root, apt downloads as its _apt user, which cannot
# write into the private temp dir (it warns and falls back to root anyway).
download() {
	(cd "$work" && apt-get download -q -o APT::Sandbox::User=root "$pkg:arm64" >/dev/null)
}
if ! download; then
	# Stale lists name a kernel the archive no longer has.
	apt_update
	[ "$(kernel_package)" = "$pkg" ] || die "apt-get update changed the kernel package; run again"
	download || die "could not download $pkg:arm64"
fi
dpkg-deb -x "$work"/*.deb "$work/root"
shipped=$work/root/boot/vmlinuz-$kver
config=$work/root/boot/config-$kver
[ -s "$shipped" ] || die "$pkg has no boot/vmlinuz-$kver"
[ -s "$config" ] || die "$pkg has no boot/config-$kver"

# u32 FILE OFFSET, u64 FILE OFFSET: little-endian numbers from FILE.
u32() { od -An -v -t u4 --endian=little -j "$2" -N 4 "$1" | tr -d ' '; }
u64() { od -An -v -t u8 --endian=little -j "$2" -N 8 "$1" | tr -d ' '; }
# is_image FILE: FILE starts with an arm64 Image header ("ARM\x64" at 0x38).
is_image() { [ "$(u32 "$1" 56)" = 1682788929 ]; }
# unpack SHIPPED IMAGE: the raw Image in SHIPPED, written to IMAGE; prints
# how it was stored.
unpack() {
	local magic type offset size
	if is_image "$1"; then
		cp "$1" "$2"
		echo "uncompressed Image"
		return
	fi
	magic=$(od -An -v -t x1 -N 2 "$1" | tr -d ' ')
	if [ "$magic" = 1f8b ]; then
		gzip -dc "$1" >"$2" || die "cannot gunzip boot/vmlinuz-$kver"
		echo "gzip-compressed Image"
		return
	fi
	# EFI zboot (CONFIG_EFI_ZBOOT): "zimg" at 4, the payload's offset and
	# size at 8 and 12, the compression's name at 24.
	if [ "$(dd if="$1" bs=1 skip=4 count=4 status=none | tr -d '\0')" = zimg ]; then
		offset=$(u32 "$1" 8) size=$(u32 "$1" 12)
		type=$(dd if="$1" bs=1 skip=24 count=32 status=none | tr -d '\0')
		case $type in
		gzip) set -- "$1" "$2" gzip -dc ;;
		xz) set -- "$1" "$2" xz -dc ;;
		lzma) set -- "$1" "$2" xz -dc --format=lzma ;;
		zstd) set -- "$1" "$2" zstd -dcq ;;
		*) die "boot/vmlinuz-$kver is an EFI zboot image compressed with '$type'" ;;
		esac
		command -v "$3" >/dev/null || die "$3 is needed to unpack the $type zboot kernel"
		tail -c +"$((offset + 1))" "$1" | head -c "$size" | "${@:3}" >"$2" ||
			die "cannot unpack the $type payload of boot/vmlinuz-$kver"
		echo "EFI zboot image ($type)"
		return
	fi
	die "boot/vmlinuz-$kver is neither an arm64 Image nor a compressed one"
}

if [ "$need_kernel" = 1 ]; then
	rm -f "$OUT/vmlinuz"
	how=$(unpack "$shipped" "$work/Image")
	is_image "$work/Image" || die "what boot/vmlinuz-$kver holds has no arm64 Image header"
	[ "$how" = "uncompressed Image" ] || cp "$shipped" "$OUT/vmlinuz"
	cp "$config" "$OUT/kernel-config"
	mv "$work/Image" "$OUT/Image"
	echo "$pkg" >"$OUT/kernel-package"
	# The header as a loader sees it (Documentation/arm64/booting.rst).
	flags=$(u64 "$OUT/Image" 24)
	pages=(unspecified 4K 16K 64K)
	printf 'fetch-kernel-arm64: %s -> %s (%s, %d bytes; text_offset 0x%x, image_size 0x%x, %s pages, %s)\n' \
		"$pkg" "$OUT/Image" "$how" "$(wc -c <"$OUT/Image")" "$(u64 "$OUT/Image" 8)" \
		"$(u64 "$OUT/Image" 16)" "${pages[$(((flags >> 1) & 3))]}" \
		"$( ((flags & 8)) && echo 'placed anywhere in RAM' || echo 'placed near the start of RAM')"
fi

pick_modules "$config"
if ! modules_fresh; then
	[ ${#builtin[@]} = 0 ] || echo "fetch-kernel-arm64: built into $pkg: ${builtin[*]}"
	"$(dirname "$0")/kernel-modules.sh" fetch-kernel-arm64 "$work/root" "$pkg" "$OUT" "${wanted[@]}"
fi
