#!/bin/bash
# The modules a guest loads, picked out of an unpacked Debian kernel package
# (shared by guest/fetch-kernel.sh and guest/fetch-kernel-arm64.sh):
#   guest/kernel-modules.sh NAME ROOT PKG OUT MODULE...
# ROOT is the package linux-image-KVER unpacked (dpkg-deb -x), PKG its name,
# NAME the caller's for messages.  Writes, replacing what was there:
#   OUT/modules/lib/modules/KVER/
#                 each MODULE and every module it needs, at their paths in
#                 the package, with a modules.dep and a modules.alias for
#                 just those modules (busybox modprobe reads both)
#   OUT/modules/package  "PKG: MODULE..."
# Needs objcopy (binutils); it reads the modules of any architecture.
set -euo pipefail
if [ $# -lt 5 ]; then
	echo "usage: kernel-modules.sh NAME ROOT PKG OUT MODULE..." >&2
	exit 2
fi
name=$1 root=$2 pkg=$3 OUT=$4
shift 4
MODULES=("$@")
kver=${pkg#linux-image-} # Debian names the package after the kernel release
die() { echo "$name: $*" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The package carries no modules.dep (its postinst runs depmod), so the
# dependencies come from each module's .modinfo section, as depmod would
# find them: "depends=" (modules whose symbols it uses) and the "pre:" part
# of "softdep=" (modules it needs first, often by an alias: ext4 and jbd2
# want "crypto-crc32c").  Debian 12's modules are uncompressed .ko files.
mods=$root/lib/modules/$kver
[ -d "$mods/kernel" ] || die "$pkg has no lib/modules/$kver/kernel"
declare -A path=()   # module name -> path under $mods
(cd "$mods" && find kernel -name '*.ko' | LC_ALL=C sort) >"$work/all"
while IFS= read -r p; do
	n=${p##*/}
	n=${n%.ko}
	path[${n//-/_}]=$p
done <"$work/all"
# modinfo NAME KEY: the values of KEY in module NAME's .modinfo, one a line.
# elf64-little: the host's objcopy reads another architecture's modules
# (arm64's on an x86-64 host) as generic ELF; it knows them by no other name.
modinfo() {
	objcopy -I elf64-little -O binary --only-section=.modinfo "$mods/${path[$1]}" "$work/modinfo" ||
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
echo "$name: $pkg modules ${MODULES[*]} (+$((${#order[@]} - ${#MODULES[@]})) they need) -> $OUT/modules"
