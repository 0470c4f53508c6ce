#!/bin/sh
# The default guest's workload, installed as /bin/workload in the initramfs.
# Runs under busybox sh and prints only results that are the same on every
# run and every machine, one per line, each prefixed "workload: ", so two runs
# can be compared byte for byte.  Cheap on purpose: a few seconds on QEMU TCG.
set -eu
dir=/tmp/workload
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"

out() { echo "workload: $*"; }
sum() { "$1" "$2" | cut -d ' ' -f 1; }

# A few MB of data through the file system, the hashes and gzip.
seq 1 500000 >data
out "seq bytes $(wc -c <data)"
sha=$(sum sha256sum data)
out "sha256 $sha"
out "md5 $(sum md5sum data)"
gzip -n -c data >data.gz # -n: no name or timestamp in the header
out "gzip bytes $(wc -c <data.gz)"
gunzip -c data.gz >back
if [ "$(sum sha256sum back)" = "$sha" ]; then
	out "gunzip round trip ok"
else
	out "gunzip round trip MISMATCH"
	exit 1
fi

# Interpreted loops: the shell's arithmetic, then awk's.
i=0 s=0
while [ $i -lt 20000 ]; do
	s=$((s + i * i))
	i=$((i + 1))
done
out "sh sum of squares $s"
# awk numbers are doubles: %.0f prints the sum exactly, %d would overflow.
out "awk sum $(awk 'BEGIN { s = 0; for (i = 0; i < 200000; i++) s += i; printf "%.0f", s }')"

# The disk and the network, when the machine has them (encore run --disk
# build/guest/disk.img,snapshot=on --net user,tftp=build/guest/tftp, and
# guest/run-qemu.sh with the same): a file read from the disk, one written
# to it and read back, a file fetched over TFTP from 10.0.2.2.
if grep -q '^/dev/vda /mnt ' /proc/mounts; then
	out "disk hello.txt sha256 $(sum sha256sum /mnt/hello.txt)"
	echo "written by the workload, data $sha" >/mnt/workload.txt
	sync
	out "disk write sha256 $(sum sha256sum /mnt/workload.txt)"
fi
if [ -d /sys/class/net/eth0 ] && tftp -g -r numbers.txt -l net.txt 10.0.2.2 2>/dev/null; then
	out "net numbers.txt sha256 $(sum sha256sum net.txt)"
fi

cd /
rm -rf "$dir"
out "done"
