#!/bin/bash
# Bulk TCP through the user network (--net user), encore next to QEMU's
# -nic user (TCG -icount shift=0) on the same guest: host to guest (the
# guest's wget of a file from a web server on the host's loopback, timed
# between its prompt and the next) and guest to host (the host fetching
# a file from busybox httpd in the guest through hostfwd); and what a
# recording of the host-to-guest transfer costs in log bytes per MB
# received.  Prints Markdown; bench/run.sh includes it.
#   bench/net.sh [BUILD]
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
GUEST=build/guest
OUT=$BUILD/bench/net
REPS=${BENCH_NET_REPS:-2}
MB=${BENCH_NET_MB:-32}
rm -rf "$OUT"
mkdir -p "$OUT/www"
export ENCORE_GUEST_DIR=$GUEST
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null' EXIT

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
head -c $((MB << 20)) /dev/urandom >"$OUT/www/big"
port=$(free_port)
(cd "$OUT/www" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
server=$!
sleep 1
printf 'wget -q -O /dev/null http://10.0.2.2:%s/big\npoweroff -f\n' "$port" >"$OUT/down"

# Seconds between the first and the second prompt in a send-after-prompt -t log.
between() {
	local a b
	a=$(sed -n 's/^send-after-prompt: prompt 1 at \([0-9.]*\) s$/\1/p' "$1")
	b=$(sed -n 's/^send-after-prompt: prompt 2 at \([0-9.]*\) s$/\1/p' "$1")
	echo "$b - $a" | bc -l
}

down_encore() {
	local fifo=$OUT/fifo
	rm -f "$fifo"
	mkfifo "$fifo"
	"$BUILD/encore" "$@" --net user --rtc base=2026-01-01 <"$fifo" 2>/dev/null |
		guest/send-after-prompt -t 'encore# ' "$OUT/down" "$fifo" >/dev/null 2>"$OUT/times"
	between "$OUT/times"
}

down_qemu() {
	guest/run-qemu.sh --times --icount --net user "$GUEST/vmlinux" "$GUEST/initramfs.cpio" \
		<"$OUT/down" >/dev/null 2>"$OUT/times"
	between "$OUT/times"
}

# Guest to host: httpd in the guest serves MB of zeros from its tmpfs; the
# host's fetch is timed by the host.
up_encore() {
	local hport fifo=$OUT/fifo t
	hport=$(free_port)
	rm -f "$fifo"
	mkfifo "$fifo"
	printf '%s\n' "mkdir -p /www && dd if=/dev/zero of=/www/big bs=1M count=$MB 2>/dev/null && httpd -p 80 -h /www && echo httpd-ready" \
		'sleep 10' 'poweroff -f' >"$OUT/up"
	"$BUILD/encore" run --net "user,hostfwd=tcp:127.0.0.1:$hport-:80" --rtc base=2026-01-01 \
		<"$fifo" 2>/dev/null | guest/send-after-prompt 'encore# ' "$OUT/up" "$fifo" \
		>"$OUT/up.out" &
	local runner=$!
	for _ in $(seq 600); do
		grep -q '^httpd-ready' "$OUT/up.out" 2>/dev/null && break
		sleep 0.1
	done
	t=$(python3 -c "import time, urllib.request
t = time.time(); n = len(urllib.request.urlopen('http://127.0.0.1:$hport/big', timeout=120).read())
print(time.time() - t if n == $MB << 20 else 'short')")
	wait "$runner" || true
	echo "$t"
}

best() { # COMMAND...: the smallest of REPS results
	local b='' v
	for _ in $(seq "$REPS"); do
		v=$("$@")
		if [ -z "$b" ] || [ "$(echo "$v < $b" | bc -l)" = 1 ]; then b=$v; fi
	done
	echo "$b"
}

enc_down=$(best down_encore run)
enc_up=$(best up_encore)
rm -rf "$OUT/rec"
rec_down=$(down_encore record -o "$OUT/rec")
log=$(stat -c %s "$OUT/rec/events.log")
rx=$("$BUILD/encore" inspect --json "$OUT/rec" | python3 -c 'import json, sys; print(json.load(sys.stdin)["net_rx_bytes"])')

echo "## User network ($REPS runs each, best shown)"
echo
echo "$MB MiB over TCP through the user network (libslirp on encore, QEMU's -nic user);"
echo "host to guest: the guest's \`wget\` of incompressible bytes from a web server on"
echo "the host's loopback; guest to host: the host fetching zeros from busybox \`httpd\`"
echo "in the guest through hostfwd."
echo
echo "| transfer | encore s | encore MiB/s | QEMU -icount shift=0 s | QEMU MiB/s |"
echo "|---|---|---|---|---|"
if command -v qemu-system-x86_64 >/dev/null; then
	q_down=$(best down_qemu)
	printf '| host to guest | %.2f | %.1f | %.2f | %.1f |\n' "$enc_down" \
		"$(echo "$MB / $enc_down" | bc -l)" "$q_down" "$(echo "$MB / $q_down" | bc -l)"
else
	printf '| host to guest | %.2f | %.1f | - | - |\n' "$enc_down" "$(echo "$MB / $enc_down" | bc -l)"
fi
printf '| guest to host | %.2f | %.1f | - | - |\n' "$enc_up" "$(echo "$MB / $enc_up" | bc -l)"
echo
printf 'Recorded (`encore record --net user`), the host-to-guest transfer took %.2f s and\n' "$rec_down"
printf 'the log grew to %s bytes for %s bytes received: %.0f log bytes per MB received\n' \
	"$log" "$rx" "$(echo "$log / ($rx / 1000000)" | bc -l)"
echo "(the frames are incompressible; each carries a 52-byte event header)."
