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
# The package carries no modules.dep (its postinst runs depmod), so the
# dependencies come from each module's .modinfo section, as depmod would
# find them: "depends=" (modules whose symbols it uses) and the "pre:" part
# of "softdep=" (modules it needs first, often by an alias: ext4 and jbd2
# want "crypto-crc32c").  Debian 12's modules are uncompressed .ko files.
mods=$work/root/lib/modules/$kver
[ -d "$mods/kernel" ] || die "$pkg has no lib/modules/$kver/kernel"
declare -A path=()   # module name -> path under $mods
(cd "$mods" && find kernel -name '*.ko' | LC_ALL=C sort) >"$work/all"
while IFS= read -r p; do
	n=${p##*/}
	n=${n%.ko}
	path[${n//-/_}]=$p
done <"$work/all"
# modinfo NAME KEY: the values of KEY in module NAME's .modinfo, one a line.
modinfo() {
	objcopy -O binary --only-section=.modinfo "$mods/${path[$1]}" "$work/modinfo" ||
		die "cannot read .modinfo of ${path[$1]}"
	tr '\0' '\n' <"$work/modinfo" | sed -n "s/^$2=//p"
}
# by_alias NAME: the module a soft dependency NAME stands for (a module name
# or an alias), nothing when no module provides it (e.g. built in).  When
# several do (crypto-crc32c: crc32c_generic and crc32c-intel), the one
# whose name ends in _generic, as it works on every CPU; else the first.
by_alias() {
	local n=${1//-/_} m aliases found=()
	if [ -n "${path[$n]:-}" ]; then
		echo "$n"
		return
	fi
	# Cheap filter first, then the exact alias from .modinfo.
	for m in $(cd "$mods" && grep -rlaF "alias=$1" kernel | LC_ALL=C sort); do
		m=${m##*/}
		m=${m%.ko}
		m=${m//-/_}
		aliases=$(modinfo "$m" alias)
		if grep -qxF -- "$1" <<<"$aliases"; then
			found+=("$m")
		fi
	done
	[ ${#found[@]} -gt 0 ] || return 0
	for m in "${found[@]}"; do
		case $m in *_generic) echo "$m"; return ;; esac
	done
	echo "${found[0]}"
}
declare -A direct=() state=()
order=() # every module needed, each after the modules it needs
visit() {
	local m=$1 d deps soft softdeps pre=0
	case ${state[$m]:-} in
	visited) return ;;
	busy) die "dependency cycle through $m" ;;
	esac
	[ -n "${path[$m]:-}" ] || die "$pkg has no module $m"
	state[$m]=busy
	direct[$m]=
	deps=$(modinfo "$m" depends)
	for d in ${deps//,/ }; do
		direct[$m]+=" ${d//-/_}"
	done
	softdeps=$(modinfo "$m" softdep)
	for soft in $softdeps; do
		case $soft in
		pre:) pre=1 ;;
		post:) pre=0 ;;
		*) if [ "$pre" = 1 ]; then
			d=$(by_alias "$soft")
			direct[$m]+=" $d"
		fi ;;
		esac
	done
	for d in ${direct[$m]}; do
		visit "$d"
	done
	state[$m]=visited
	order+=("$m")
}
for m in "${MODULES[@]}"; do
	visit "$m"
done
# modules.dep as depmod writes it: each module's full dependency list,
# the module to load first last (busybox modprobe loads from the end).
declare -A index=() all=()
for i in "${!order[@]}"; do
	index[${order[$i]}]=$i
done
dest=$work/modules/lib/modules/$kver
mkdir -p "$dest"
for m in "${order[@]}"; do
	deps=
	for d in ${direct[$m]}; do
		deps+=" $d ${all[$d]}"
	done
	all[$m]=$(tr ' ' '\n' <<<"$deps" | sed '/^$/d' | sort -u)
	line="${path[$m]}:"
	for d in $(for e in ${all[$m]}; do echo "${index[$e]} $e"; done | sort -rn | cut -d ' ' -f 2); do
		line+=" ${path[$d]}"
	done
	echo "$line" >>"$dest/modules.dep"
	mkdir -p "$dest/$(dirname "${path[$m]}")"
	cp "$mods/${path[$m]}" "$dest/${path[$m]}"
	modinfo "$m" alias | sed "s/^/alias /; s/\$/ $m/" >>"$work/alias"
done
# modprobe and the kernel's requests for aliases (e.g. crypto-crc32c).
LC_ALL=C sort -u "$work/alias" >"$dest/modules.alias"
echo "$pkg: ${MODULES[*]}" >"$work/modules/package"
# Fresh files (cp, not cp -p): build-guest.sh compares modification times.
rm -rf "$OUT/modules"
cp -r "$work/modules" "$OUT/modules"
echo "fetch-kernel: $pkg modules ${MODULES[*]} (+$((${#order[@]} - ${#MODULES[@]})) they need) -> $OUT/modules"
