#!/bin/bash
# The default guest with its ext4 disk (guest/build-disk.sh) as a virtio
# disk: Debian's kernel loads virtio_pci, virtio_blk and ext4 from the
# initramfs, mounts /dev/vda, and guest/disktest.sh hashes the files
# (they must match the host's), writes one, syncs, remounts and reads it
# back.  The write reaches the image on the host, but not with
# snapshot=on, and a readonly disk takes none.  QEMU, given the same
# kernel, initramfs and image, prints the same hashes.  Recorded, the
# run replays exactly with the image deleted, three times, from every
# checkpoint, and in simulate with 1 and 2 workers; a damaged or cut disk
# journal stops a replay with a report.  Bad --disk input gets a clear
# error and exit status 2.  Going live from a replay (--live-at) reads
# what the recording never saw from the original image (--disk), and
# what happens live is recorded (-o) into a branch that replays exactly.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
ENCORE=${ENCORE:-build/encore}
GUEST=${GUEST:-build/guest}
export ENCORE_GUEST_DIR=$GUEST
TIMEOUT=${TIMEOUT:-600}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
PATH=$PATH:/usr/sbin:/sbin # debugfs

for f in vmlinux initramfs.cpio disk.img disk.sha256; do
	if [ ! -r "$GUEST/$f" ]; then
		echo "disk_linux.sh: $GUEST/$f is missing: run guest/build-guest.sh (setup.sh does)" >&2
		exit 1
	fi
done
WRITTEN_SUM=$({ echo 'encore disktest'; seq 1 1000; } | sha256sum | cut -d' ' -f1)
printf 'disktest\npoweroff -f\n' >"$tmp/input"

# boot NAME DISKARG: the default guest with one --disk, the disk test typed.
boot() {
	local name=$1 disk=$2
	timeout "$TIMEOUT" "$ENCORE" run --rtc base=2026-01-01 --summary --disk "$disk" \
		<"$tmp/input" >"$tmp/$name.out" 2>"$tmp/$name.err"
	echo $? >"$tmp/$name.rc"
	tr -d '\r' <"$tmp/$name.out" | sed -n 's/^disk: \([0-9a-f]\{64\}\) /\1  /p' >"$tmp/$name.sums"
}

# written IMAGE: the guest's written.txt in IMAGE, hashed, or "none".
written() {
	debugfs -R 'cat /written.txt' "$1" 2>/dev/null | sha256sum | cut -d' ' -f1 |
		sed "s/^$(printf '' | sha256sum | cut -d' ' -f1)\$/none/"
}

cp "$GUEST/disk.img" "$tmp/rw.img"
boot rw "$tmp/rw.img"
if [ "$(cat "$tmp/rw.rc")" = 0 ] && grep -q '^encore guest: /dev/vda mounted on /mnt' "$tmp/rw.out" &&
   cmp -s "$tmp/rw.sums" "$GUEST/disk.sha256"; then
	ok "Debian's kernel mounts the ext4 disk and reads $(wc -l <"$GUEST/disk.sha256") files with the host's hashes"
else
	not_ok "disk files: exit $(cat "$tmp/rw.rc"), hashes differ from $GUEST/disk.sha256" "$tmp/rw.out"
fi
if tr -d '\r' <"$tmp/rw.out" | grep -qx "disk: written $WRITTEN_SUM" &&
   tr -d '\r' <"$tmp/rw.out" | grep -qx 'disk: done'; then
	ok "the guest writes a file, syncs, remounts and reads it back"
else
	not_ok "the written file did not read back" "$tmp/rw.out"
fi
if [ "$(written "$tmp/rw.img")" = "$WRITTEN_SUM" ]; then
	ok "the image on the host holds the guest's write"
else
	not_ok "the image on the host does not hold written.txt ($(written "$tmp/rw.img"))"
fi

if [ "${ENCORE_SANITIZED:-0}" = 1 ]; then
	finish
	exit
fi

cp "$GUEST/disk.img" "$tmp/snap.img"
boot snap "$tmp/snap.img,snapshot=on"
if [ "$(cat "$tmp/snap.rc")" = 0 ] && cmp -s "$tmp/snap.sums" "$GUEST/disk.sha256" &&
   tr -d '\r' <"$tmp/snap.out" | grep -qx "disk: written $WRITTEN_SUM" &&
   cmp -s "$tmp/snap.img" "$GUEST/disk.img"; then
	ok "snapshot=on: the guest reads its write back, the image is unchanged"
else
	not_ok "snapshot=on (exit $(cat "$tmp/snap.rc"))" "$tmp/snap.out"
fi

# readonly: the kernel sees a read-only disk, so ext4 mounts read-only
# and disktest's write fails; the image stays as it was.
cp "$GUEST/disk.img" "$tmp/ro.img"
chmod a-w "$tmp/ro.img"
boot ro "$tmp/ro.img,readonly"
if [ "$(cat "$tmp/ro.rc")" = 0 ] && cmp -s "$tmp/ro.sums" "$GUEST/disk.sha256" &&
   ! tr -d '\r' <"$tmp/ro.out" | grep -q '^disk: written' && cmp -s "$tmp/ro.img" "$GUEST/disk.img"; then
	ok "readonly: the files read, the write is refused, the image is unchanged"
else
	not_ok "readonly (exit $(cat "$tmp/ro.rc"))" "$tmp/ro.out"
fi

# A read-only disk recorded: the replay's disk refuses the write too.
cp "$tmp/ro.img" "$tmp/rorec.img"
timeout "$TIMEOUT" "$ENCORE" record -o "$tmp/rorec" --rtc base=2026-01-01 \
	--disk "$tmp/rorec.img,readonly" <"$tmp/input" >"$tmp/rorec.out" 2>"$tmp/rorec.err"
rm -f "$tmp/rorec.img"
if grep -q '^disks 67108864:ro$' "$tmp/rorec/meta" &&
   ! tr -d '\r' <"$tmp/rorec.out" | grep -q '^disk: written'; then
	ok "record with a readonly disk: meta says ro, the write is refused"
else
	not_ok "record with a readonly disk" "$tmp/rorec.err"
fi
check_replays "$tmp/rorec" 1 "of the readonly disk, the image gone"

# QEMU with the same kernel, initramfs and image.
if command -v qemu-system-x86_64 >/dev/null; then
	cp "$GUEST/disk.img" "$tmp/qemu.img"
	timeout "$TIMEOUT" guest/run-qemu.sh --disk "$tmp/qemu.img" "$GUEST/vmlinuz" \
		"$GUEST/initramfs.cpio" <"$tmp/input" >"$tmp/qemu.out" 2>&1
	tr -d '\r' <"$tmp/qemu.out" | grep '^disk: ' >"$tmp/qemu.lines"
	tr -d '\r' <"$tmp/rw.out" | grep '^disk: ' >"$tmp/rw.lines"
	if grep -qx 'disk: done' "$tmp/qemu.lines" && cmp -s "$tmp/qemu.lines" "$tmp/rw.lines"; then
		ok "QEMU prints the same $(wc -l <"$tmp/qemu.lines") disk lines"
	else
		not_ok "QEMU's disk lines differ from encore's" "$tmp/qemu.out"
		diff "$tmp/qemu.lines" "$tmp/rw.lines" | head -n 10 | sed 's/^/#   /'
	fi
else
	skip "QEMU comparison" "qemu-system-x86_64 is not installed"
fi

# Recorded: the recording holds what the guest read, so the image may go.
cp "$GUEST/disk.img" "$tmp/rec.img"
timeout "$TIMEOUT" "$ENCORE" record -o "$tmp/rec" --rtc base=2026-01-01 --interval 50M \
	--disk "$tmp/rec.img" <"$tmp/input" >"$tmp/rec.out" 2>"$tmp/rec.err"
rec_rc=$?
rm -f "$tmp/rec.img"
if [ "$rec_rc" = 0 ] && tr -d '\r' <"$tmp/rec.out" | grep -qx "disk: written $WRITTEN_SUM" &&
   grep -q '^disks 67108864:rw$' "$tmp/rec/meta"; then
	ok "record with a disk: the guest's disk test runs, meta lists the disk"
else
	not_ok "record with a disk (exit $rec_rc)" "$tmp/rec.err"
fi
check_replays "$tmp/rec" 3 "with the image deleted"
check_intervals_alone "$tmp/rec"
check_simulate_agrees "$tmp/rec"
# A recorder killed at any moment: the recording replays to its last
# checkpoint (disk blocks touched after it may lack their pages).
for t in 1.5 2.5; do
	cp "$GUEST/disk.img" "$tmp/kill.img"
	rm -rf "$tmp/kill"
	# --foreground: KILL the recorder alone, not timeout's process group.
	timeout --foreground -s KILL "$t" "$ENCORE" record -o "$tmp/kill" --rtc base=2026-01-01 \
		--interval 50M --disk "$tmp/kill.img" < <(sleep 1; cat "$tmp/input") >/dev/null 2>&1
	rm -f "$tmp/kill.img"
	"$ENCORE" replay "$tmp/kill" >/dev/null 2>"$tmp/kill.err"
	rc=$?
	if [ "$rc" = 3 ] && grep -q 'its complete prefix replayed exactly' "$tmp/kill.err"; then
		ok "recorder killed after $t s: the prefix replays exactly, image deleted (exit 3)"
	elif [ ! -e "$tmp/kill" ]; then
		skip "recorder killed after $t s" "it had not published the recording yet"
	else
		not_ok "recorder killed after $t s: replay exit $rc" "$tmp/kill.err"
	fi
done

# What a damaged or cut disk journal does to a replay: exit 2, named.
cp -r "$tmp/rec" "$tmp/bad"
printf '\125' | dd of="$tmp/bad/disks" bs=1 seek=200 conv=notrunc 2>/dev/null
"$ENCORE" replay "$tmp/bad" >/dev/null 2>"$tmp/bad.err"
rc=$?
if [ "$rc" = 2 ] && grep -q 'disks is damaged: record 5' "$tmp/bad.err"; then
	ok "a damaged disk journal record: exit 2 ($(tail -n 1 "$tmp/bad.err"))"
else
	not_ok "a damaged disk journal: exit $rc" "$tmp/bad.err"
fi
cp "$tmp/rec/disks" "$tmp/bad/disks"
truncate -s 1000 "$tmp/bad/disks"
"$ENCORE" replay "$tmp/bad" >/dev/null 2>"$tmp/bad.err"
rc=$?
if [ "$rc" = 2 ] && grep -q 'disk vda, block .*holds no content' "$tmp/bad.err"; then
	ok "a cut disk journal: exit 2 where the guest reads a block it lost"
else
	not_ok "a cut disk journal: exit $rc" "$tmp/bad.err"
fi

# Bad input: exit 2 and a message naming what is wrong.
bad() {
	local what=$1 want=$2 cmd=$3; shift 3
	"$ENCORE" "$cmd" --demo "$@" </dev/null >/dev/null 2>"$tmp/bad.err"
	local rc=$?
	if [ "$rc" = 2 ] && grep -q -- "$want" "$tmp/bad.err"; then
		ok "bad input: $what (exit 2: $(head -n 1 "$tmp/bad.err"))"
	else
		not_ok "bad input: $what: exit $rc, want 2 and '$want'" "$tmp/bad.err"
	fi
}
bad "a missing image" "$tmp/none.img" run --disk "$tmp/none.img"
head -c 1000 /dev/zero >"$tmp/odd.img"
bad "an image of 1000 bytes" "not a multiple of 512" run --disk "$tmp/odd.img"
: >"$tmp/empty.img"
bad "an empty image" "is empty" run --disk "$tmp/empty.img"
bad "a directory" "is a directory" run --disk "$tmp"
bad "an unknown flag" "unknown flag 'cache=none'" run --disk "$tmp/rw.img,cache=none"
bad "no file name" "names no image" run --disk ",readonly"
bad "seven disks" "at most 6 disks" run --disk a --disk b --disk c --disk d --disk e --disk f --disk g
bad "a missing image to record" "$tmp/none.img" record -o "$tmp/rec2" --disk "$tmp/none.img"
# The same image writable twice at once: the second run is refused.
exec 9<"$tmp/rw.img"
flock -x 9
bad "an image another process holds" "in use by another process" run --disk "$tmp/rw.img"
exec 9<&-
# ---- going live with a disk ----
# A recording that only lists /mnt goes live just before that command and
# reads a file it never read: from the original image given with --disk
# (the hashes match the host's), recorded into a branch (-o) that then
# replays exactly by itself; without --disk, reading it ends the run with
# a message saying what to give.
printf 'ls /mnt\npoweroff -f\n' >"$tmp/ls.lines"
record_typed ls "$tmp/ls.lines" --interval 100M --disk "$GUEST/disk.img,snapshot=on"
first=$("$ENCORE" inspect "$tmp/ls" --events | awk '$2 == "input" { print $3; exit }')
want=$(grep ' random.bin$' "$GUEST/disk.sha256" | cut -d' ' -f1)
printf 'sha256sum /mnt/random.bin; echo live > /mnt/live.txt; cat /mnt/live.txt\npoweroff -f\n' \
	>"$tmp/live.in"
timeout "$TIMEOUT" "$ENCORE" replay "$tmp/ls" --live-at "insn:$((first - 1))" \
	--disk "$GUEST/disk.img" -o "$tmp/branch" <"$tmp/live.in" >"$tmp/live.out" 2>"$tmp/live.err"
rc=$?
if [ $rc = 0 ] && [ -n "$want" ] && tr -d '\r' <"$tmp/live.out" | grep -q "^$want  /mnt/random.bin" &&
   tr -d '\r' <"$tmp/live.out" | grep -qx live; then
	ok "live from a replay, the guest reads a file the recording never saw from --disk's image"
else
	not_ok "going live with --disk (status $rc)" "$tmp/live.err"
fi
check_replays "$tmp/branch" 1 "of the live branch (-o), which recorded the disk from there"
check_intervals_alone "$tmp/branch"
timeout "$TIMEOUT" "$ENCORE" replay "$tmp/ls" --live-at "insn:$((first - 1))" \
	<"$tmp/live.in" >"$tmp/nodisk.out" 2>"$tmp/nodisk.err"
rc=$?
[ $rc = 2 ] && grep -q 'the recording never saw it (give encore replay the disk.s original image with --disk FILE' \
	"$tmp/nodisk.err" && ok "going live without --disk: a block never recorded ends the run with a message" ||
	not_ok "going live without --disk (status $rc)" "$tmp/nodisk.err"

finish
