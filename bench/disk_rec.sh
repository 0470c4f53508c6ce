#!/bin/bash
# What recording a disk costs: the default guest reads 50 MiB (incompressible
# bytes) from a 1 GiB image, recorded; and the same small read from a sparse
# 64 MiB image and a sparse 20 GiB one, whose recordings must cost the same
# (the cost follows what the guest touches, not the image's size).  Sizes
# are the recording's files; times are the best wall time of REPS records.
# Prints Markdown; bench/run.sh includes it.
#   bench/disk_rec.sh [BUILD]
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
GUEST=build/guest
OUT=$BUILD/bench/disk_rec
REPS=${BENCH_DISK_REPS:-2}
rm -rf "$OUT"
mkdir -p "$OUT"
APPEND="console=ttyS0 quiet panic=-1 cryptomgr.notests"

# record NAME IMAGE COMMAND: the best of REPS recordings; "seconds bytes"
# (the last recording is kept in $OUT/NAME).
record() {
	local name=$1 image=$2 best='' t0 t1 dt
	printf '%s\npoweroff -f\n' "$3" >"$OUT/input"
	for _ in $(seq "$REPS"); do
		rm -rf "${OUT:?}/$name"
		t0=$(date +%s.%N)
		"$BUILD/encore" record -o "$OUT/$name" --kernel "$GUEST/vmlinux" \
			--initrd "$GUEST/initramfs.cpio" --append "$APPEND" --rtc base=2026-01-01 \
			--disk "$image,snapshot=on" <"$OUT/input" >"$OUT/$name.out" 2>"$OUT/$name.err"
		t1=$(date +%s.%N)
		dt=$(echo "$t1 - $t0" | bc -l)
		if [ -z "$best" ] || [ "$(echo "$dt < $best" | bc -l)" = 1 ]; then best=$dt; fi
	done
	echo "$best $(du -sb --exclude=kernel --exclude=initrd "$OUT/$name" | cut -f1)"
}

row() { # LABEL NAME "seconds bytes"
	read -r t b <<<"$3"
	printf '| %s | %.2f | %.1f | %.1f | %.1f | %s |\n' "$1" "$t" "$(echo "$b / 1048576" | bc -l)" \
		"$(echo "$(stat -c %s "$OUT/$2/pages") / 1048576" | bc -l)" \
		"$(echo "$(stat -c %s "$OUT/$2/disks") / 1024" | bc -l)" \
		"$("$BUILD/encore" inspect "$OUT/$2" | sed -n 's/^disks: *vda, [^:]*: //p')"
}

truncate -s 1G "$OUT/big.img"
head -c $((50 << 20)) /dev/urandom | dd of="$OUT/big.img" bs=1M seek=100 conv=notrunc 2>/dev/null
truncate -s 64M "$OUT/small.img"
truncate -s 20G "$OUT/huge.img"
for img in small huge; do # the same 8 MiB of incompressible bytes at the same place
	dd if="$OUT/big.img" of="$OUT/$img.img" bs=1M skip=100 seek=16 count=8 conv=notrunc \
		2>/dev/null
done
none=$(record none "$OUT/small.img" "true")
read50=$(record read50 "$OUT/big.img" "dd if=/dev/vda of=/dev/null bs=1M skip=100 count=50 iflag=direct")
small=$(record small "$OUT/small.img" "dd if=/dev/vda of=/dev/null bs=1M skip=16 count=8 iflag=direct")
huge=$(record huge "$OUT/huge.img" "dd if=/dev/vda of=/dev/null bs=1M skip=16 count=8 iflag=direct")

echo "## Recording a disk ($REPS recordings each, best time shown)"
echo
echo "The default guest with one \`--disk IMAGE,snapshot=on\`, one command typed, then"
echo "\`poweroff -f\`. Size: the recording without its kernel and initrd copies."
echo
echo "| workload | record s | recording MiB | pages MiB | disk journal KiB | disk history |"
echo "|---|---|---|---|---|---|"
row "no disk reads (\`true\`), 64 MiB image" none "$none"
row "50 MiB read from a 1 GiB image" read50 "$read50"
row "8 MiB read from a sparse 64 MiB image" small "$small"
row "the same 8 MiB from a sparse 20 GiB image" huge "$huge"
