#!/bin/sh
# The default guest's disk exercise, installed as /bin/disktest in the
# initramfs.  Needs the disk of guest/build-disk.sh mounted on /mnt, as
# /init does when the machine has it as a virtio disk (/dev/vda).  Runs under
# busybox sh and prints, one per line, each prefixed "disk: ":
#   disk: SHA256 PATH     for every file on the disk, PATH relative to its
#                         root, in byte order (written.txt, this script's
#                         own, left out)
#   disk: written SHA256  after writing /mnt/written.txt, syncing, and
#                         unmounting and mounting the disk again: the hash
#                         read back; the file holds "encore disktest" and the
#                         numbers 1 to 1000, a line each, so on the host
#                         { echo 'encore disktest'; seq 1 1000; } | sha256sum
#   disk: done
# The first lines are OUT/disk.sha256 (sha256sum's "SHA256  PATH" lines)
# once the guest's CRs are gone and the prefix is traded for the second
# space:  tr -d '\r' | sed -n 's/^disk: \([0-9a-f]\{64\}\) /\1  /p'
# The disk stays mounted on /mnt.
set -eu
out() { echo "disk: $*"; }
mounted() { grep -q '^/dev/vda /mnt ' /proc/mounts; }
if ! mounted; then
	echo "disktest: /dev/vda is not mounted on /mnt" >&2
	exit 1
fi
cd /mnt
find . -type f ! -path ./written.txt | sed 's|^\./||' | LC_ALL=C sort |
	while IFS= read -r f; do
		sum=$(sha256sum "$f")
		out "${sum%% *} $f"
	done
{
	echo 'encore disktest'
	seq 1 1000
} >written.txt
cd /
sync
umount /mnt
mount -t ext4 /dev/vda /mnt
sum=$(sha256sum /mnt/written.txt)
out "written ${sum%% *}"
out "done"
