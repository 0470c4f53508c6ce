#!/bin/bash
# The arm64 default guest with its disk and network on the Arm board's
# virtio-mmio slots: Debian's arm64 kernel drives them with its own
# virtio_mmio, virtio_blk and virtio_net modules.  One recording types a
# fetch of a file from a web server on the host's loopback through
# 10.0.2.2 (the guest gets the host's bytes), then the workload, which
# reads and writes the disk and fetches a file over TFTP; its results are
# those qemu-system-aarch64 prints with the same disk and network.  The
# recording replays exactly with the server and the disk image gone, and
# every interval alone from its checkpoint.
#
# Skipped under the sanitizer pass (minutes of ASan; arm64_guests.sh and the
# virtio-mmio unit and fuzz tests run the same code there).
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
ENCORE=${ENCORE:-build/encore}
GUEST=${ARM64_GUEST:-build/guest-arm64}
export ENCORE_ARM64_GUEST_DIR=$GUEST
TIMEOUT=${TIMEOUT:-600}
tmp=$(mktemp -d)
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

if [ "${ENCORE_SANITIZED:-0}" = 1 ]; then
	echo "skipped under the sanitizer build (arm64_guests.sh and test_virtio_mmio cover the same code)"
	exit 77
fi
for f in Image initramfs.cpio disk.img tftp/numbers.txt; do
	[ -r "$GUEST/$f" ] || { echo "skipped: $GUEST/$f is missing (guest/build-guest-arm64.sh)"; exit 77; }
done
command -v python3 >/dev/null || { echo "arm64_devices.sh: needs python3" >&2; exit 77; }
RTC=(--rtc base=2026-01-01T00:00:00)

# The host's web server, on its loopback.
mkdir -p "$tmp/www"
head -c 200000 /dev/urandom >"$tmp/www/blob"
want=$(sha256sum <"$tmp/www/blob" | cut -d' ' -f1)
. tests/e2e/helpers/web_server.sh
start_web_server "$tmp/www"

printf 'wget -q -O - http://10.0.2.2:%s/blob | sha256sum\nworkload\npoweroff -f\n' "$port" \
	>"$tmp/lines"
cp "$GUEST/disk.img" "$tmp/disk.img"
record_typed rec "$tmp/lines" --arch arm64 "${RTC[@]}" --interval 1G --disk "$tmp/disk.img" \
	--net "user,tftp=$GUEST/tftp"
rc=$?
tr -d '\r' <"$tmp/rec.out" >"$tmp/rec.txt"
got=$(sed -n 's/^\([0-9a-f]\{64\}\)  -$/\1/p' "$tmp/rec.txt")
grep '^workload: ' "$tmp/rec.txt" >"$tmp/rec.results"
if [ $rc = 0 ] && grep -q '^encore guest: /dev/vda mounted on /mnt' "$tmp/rec.txt" &&
   grep -q '^encore guest: eth0 is 10.0.2.15' "$tmp/rec.txt"; then
	ok "record --disk --net on the Arm board: exit 0, /dev/vda mounted, eth0 up"
else
	not_ok "record --disk --net on the Arm board: exit $rc" "$tmp/rec.err"
fi
if [ "$got" = "$want" ]; then
	ok "the guest fetches 200000 bytes from the host's web server through 10.0.2.2, hash $want"
else
	not_ok "the guest's fetch through 10.0.2.2: hash '$got', want $want" "$tmp/rec.txt"
fi
if grep -q '^workload: disk hello.txt sha256 ' "$tmp/rec.results" &&
   grep -q '^workload: disk write sha256 ' "$tmp/rec.results" &&
   grep -q '^workload: net numbers.txt sha256 ' "$tmp/rec.results" &&
   grep -qx 'workload: done' "$tmp/rec.results"; then
	ok "the workload reads and writes the disk and fetches over TFTP ($(wc -l <"$tmp/rec.results") results)"
else
	not_ok "the workload's disk and network results" "$tmp/rec.results"
fi

# QEMU, given a fresh copy of the disk and the same network, is the oracle.
if command -v qemu-system-aarch64 >/dev/null; then
	cp "$GUEST/disk.img" "$tmp/qemu-disk.img"
	timeout "$TIMEOUT" guest/run-qemu-arm64.sh --icount --disk "$tmp/qemu-disk.img" \
		--net "user,tftp=$GUEST/tftp" "$GUEST/Image" "$GUEST/initramfs.cpio" \
		<"$tmp/lines" >"$tmp/qemu.out" 2>&1
	tr -d '\r' <"$tmp/qemu.out" >"$tmp/qemu.txt"
	grep '^workload: ' "$tmp/qemu.txt" >"$tmp/qemu.results"
	qgot=$(sed -n 's/^\([0-9a-f]\{64\}\)  -$/\1/p' "$tmp/qemu.txt")
	if [ "$qgot" = "$got" ] && grep -qx 'workload: done' "$tmp/qemu.results" &&
	   cmp -s "$tmp/qemu.results" "$tmp/rec.results"; then
		ok "qemu-system-aarch64 with the same disk and network prints the same hash and $(wc -l <"$tmp/qemu.results") workload results"
	else
		not_ok "QEMU's results differ from encore's (hash '$qgot')" "$tmp/qemu.txt"
		diff "$tmp/qemu.results" "$tmp/rec.results" | head -n 10 | sed 's/^/#   /'
	fi
else
	skip "the results as on QEMU" "no qemu-system-aarch64"
fi

# Nothing outside the recording is needed to replay it.
kill "$server" 2>/dev/null
wait "$server" 2>/dev/null
server=
rm -f "$tmp/disk.img"
check_replays "$tmp/rec" 1 "with the web server and the disk image gone"
check_intervals_alone "$tmp/rec"
finish
