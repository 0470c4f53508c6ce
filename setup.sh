#!/bin/bash
# One command to set encore up on Debian 12: install the packages it needs,
# build it, build the default guest from Debian's kernel and busybox-static
# packages, and run that guest (its workload typed at the shell prompt,
# then a power-off).  Pass --no-run to skip the run.
set -euo pipefail
cd "$(dirname "$0")"
PACKAGES=(gcc libc6-dev make binutils pkg-config libzstd-dev libxxhash-dev libcapstone-dev
	  qemu-system-x86 valgrind bc xz-utils cpio jq acpica-tools e2fsprogs
	  libslirp-dev libglib2.0-dev libopenmpi-dev openmpi-bin chromium
	  qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm libfdt-dev
	  gdb gdb-multiarch groff-base man-db)
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	$SUDO apt-get update -q
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi
# guest/fetch-kernel.sh needs apt's package lists to find Debian's kernel.
apt-cache show linux-image-amd64 >/dev/null 2>&1 || $SUDO apt-get update -q
make -j"$(nproc)"
guest/build-guest.sh
guest/build-guest-arm64.sh
if [ "${1:-}" != "--no-run" ]; then
	printf 'workload\npoweroff -f\n' | ./build/encore run --summary
	echo "setup: done; 'build/encore run' gives you the guest's shell (Ctrl-A x quits)"
fi
