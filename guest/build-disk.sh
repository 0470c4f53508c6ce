#!/bin/bash
# Build the default guest's disk into OUT (default build/guest), unless it is
# newer than this script:
#   OUT/disk.img     a 64 MiB ext4 image for the guest's virtio disk, the
#                    same bytes on every build (see below), holding
#                      random.bin        1 MiB of pseudo-random bytes
#                      hello.txt         a line of text
#                      sub/numbers.txt   the numbers 1 to 10000, a line each
#                      sub/odd.bin       5000 pseudo-random bytes (a partial block)
#   OUT/disk.sha256  sha256sum's line for each file in the image, its path
#                    relative to the image's root, sorted bytewise: what
#                    guest/disktest.sh prints in the guest
# Needs e2fsprogs (mke2fs, debugfs), coreutils and awk.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-build/guest}
mkdir -p "$OUT"
umask 022
die() { echo "build-disk: $*" >&2; exit 1; }
# Debian puts mke2fs and debugfs in /sbin, outside a user's PATH.
PATH=$PATH:/usr/sbin:/sbin
for t in mke2fs debugfs; do
	command -v "$t" >/dev/null || die "$t is not installed (apt-get install e2fsprogs)"
done

img=$OUT/disk.img sums=$OUT/disk.sha256
if [ -s "$img" ] && [ -s "$sums" ] && [ "$img" -nt guest/build-disk.sh ] &&
	[ "$sums" -nt guest/build-disk.sh ]; then
	exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export LC_ALL=C

# random N SEED: N pseudo-random bytes, the same everywhere: the Lehmer
# generator x = x * 48271 mod (2^31 - 1) (exact in awk's doubles), a byte
# from the top 8 of each x's 31 bits.
random() {
	awk -v n="$1" -v x="$2" 'BEGIN {
		for (i = 0; i < n; i++) {
			x = (x * 48271) % 2147483647
			printf "%02X", int(x / 8388608)
			if (i % 32 == 31)
				printf "\n"
		}
		printf "\n"
	}' | basenc --base16 -d
}
root=$work/root
mkdir -p "$root/sub"
random 1048576 1 >"$root/random.bin"
echo "Hello from the disk of encore's default guest." >"$root/hello.txt"
seq 1 10000 >"$root/sub/numbers.txt"
random 5000 2 >"$root/sub/odd.bin"
[ "$(wc -c <"$root/random.bin")" = 1048576 ] || die "could not make random.bin"
(cd "$root" && find . -type f -printf '%P\n' | sort | xargs -d '\n' sha256sum) >"$work/sums"

# Byte-reproducible: mke2fs's configuration is ours, not the host's
# /etc/mke2fs.conf (Debian 12's, but for a "small" file system like this one
# the same 4 KiB blocks, the guest's page size, as for a bigger one); the UUID and the directory hash seed are fixed; every
# inode table is written and nothing discarded (else the "inode table
# zeroed" flags follow the host's kernel and file system); mke2fs 1.47.0
# takes the time from E2FSPROGS_FAKE_TIME (it ignores SOURCE_DATE_EPOCH and
# treats 0 as unset, so 1) for the superblock and the root and lost+found,
# and -d names entries in sorted order.  -d copies each file's owner, atime
# and ctime, which no touch sets, so debugfs sets every inode's times to 0
# and its owner to root afterwards (debugfs too takes E2FSPROGS_FAKE_TIME).
cat >"$work/mke2fs.conf" <<'EOF'
[defaults]
	base_features = sparse_super,large_file,filetype,resize_inode,dir_index,ext_attr
	default_mntopts = acl,user_xattr
	enable_periodic_fsck = 0
	blocksize = 4096
	inode_size = 256
	inode_ratio = 16384

[fs_types]
	ext4 = {
		features = has_journal,extent,huge_file,flex_bg,metadata_csum,64bit,dir_nlink,extra_isize
	}
	small = {
		blocksize = 4096
		inode_ratio = 16384
	}
EOF
export MKE2FS_CONFIG=$work/mke2fs.conf E2FSPROGS_FAKE_TIME=1
find "$root" -exec touch -h -d @0 {} +
rm -f "$img.tmp"
truncate -s 64M "$img.tmp"
mke2fs -q -F -t ext4 -L encore -U 0e4c0e00-d15c-4000-8000-000000000001 \
	-E hash_seed=0e4c0e00-d15c-4000-8000-000000000002,root_owner=0:0,nodiscard,lazy_itable_init=0,lazy_journal_init=0 \
	-d "$root" "$img.tmp" || die "mke2fs failed"
{
	echo /
	echo /lost+found
	(cd "$root" && find . -mindepth 1 -printf '/%P\n' | sort)
} | while IFS= read -r p; do
	for field in atime ctime mtime crtime; do
		echo "set_inode_field $p $field 0"
	done
	echo "set_inode_field $p uid 0"
	echo "set_inode_field $p gid 0"
done >"$work/fix"
debugfs -w -f "$work/fix" "$img.tmp" >"$work/debugfs.log" 2>&1 || {
	cat "$work/debugfs.log" >&2
	die "debugfs failed"
}
# debugfs reports a failed command on stderr but still exits 0.
if grep -v -e '^debugfs [0-9]' -e '^debugfs: set_inode_field ' "$work/debugfs.log" >&2; then
	die "debugfs could not set the inodes' fields"
fi
mv "$work/sums" "$sums"
mv "$img.tmp" "$img"
echo "build-disk: $img ($(wc -l <"$sums") files), $sums"
