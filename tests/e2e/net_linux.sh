#!/bin/bash
# The default guest on the user network (encore run --net user): Debian's
# kernel drives the virtio network card with its own virtio_net module;
# the guest fetches a file from a web server on the host's loopback
# through 10.0.2.2 and gets the host's bytes (QEMU's -nic user prints
# the same hash); the workload, given the guest's disk and network, reads
# and writes the disk and fetches a file over TFTP (QEMU prints the same
# lines); the host fetches a page from busybox httpd in the guest through
# a hostfwd rule.  A recording of the fetch, the page and the disk test
# replays with the host's server and the disk image gone, from every
# checkpoint, and in simulate with 1 and 2 workers.  Bad --net input gets
# a clear error and exit status 2.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
ENCORE=${ENCORE:-build/encore}
GUEST=${GUEST:-build/guest}
export ENCORE_GUEST_DIR=$GUEST
TIMEOUT=${TIMEOUT:-300}
tmp=$(mktemp -d)
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
command -v python3 >/dev/null || { echo "net_linux.sh: needs python3" >&2; exit 77; }

. tests/e2e/helpers/web_server.sh

# The host's web server, on its loopback.
mkdir -p "$tmp/www"
head -c 300000 /dev/urandom >"$tmp/www/blob"
want=$(sha256sum <"$tmp/www/blob" | cut -d' ' -f1)
start_web_server "$tmp/www"

printf 'wget -q -O - http://10.0.2.2:%s/blob | sha256sum\npoweroff -f\n' "$port" >"$tmp/fetch"
timeout "$TIMEOUT" "$ENCORE" run --net user --rtc base=2026-01-01 <"$tmp/fetch" >"$tmp/fetch.out" \
	2>"$tmp/fetch.err"
rc=$?
got=$(tr -d '\r' <"$tmp/fetch.out" | sed -n 's/^\([0-9a-f]\{64\}\)  -$/\1/p')
if [ "$rc" = 0 ] && grep -q '^encore guest: eth0 is 10.0.2.15' "$tmp/fetch.out" && [ "$got" = "$want" ]; then
	ok "the guest fetches 300000 bytes from the host's web server through 10.0.2.2, hash $want"
else
	not_ok "the guest's fetch through 10.0.2.2: exit $rc, hash '$got', want $want" "$tmp/fetch.out"
fi

if [ "${ENCORE_SANITIZED:-0}" != 1 ] && command -v qemu-system-x86_64 >/dev/null; then
	timeout "$TIMEOUT" guest/run-qemu.sh --net user "$GUEST/vmlinuz" "$GUEST/initramfs.cpio" \
		<"$tmp/fetch" >"$tmp/qemu.out" 2>&1
	qgot=$(tr -d '\r' <"$tmp/qemu.out" | sed -n 's/^\([0-9a-f]\{64\}\)  -$/\1/p')
	if [ "$qgot" = "$got" ] && [ -n "$got" ]; then
		ok "QEMU's -nic user prints the same hash"
	else
		not_ok "QEMU's fetch: hash '$qgot', encore's '$got'" "$tmp/qemu.out"
	fi
else
	skip "QEMU comparison" "no qemu-system-x86_64, or the sanitizer pass"
fi

# (Not under the sanitizers: two more boots and a replay of the
# workload, several times slower there.)
if [ "${ENCORE_SANITIZED:-0}" != 1 ]; then
	# The workload with the default guest's disk and network: it reads and
	# writes the disk and fetches a file over TFTP; QEMU, given the same
	# devices, prints the same lines.
	printf 'workload\npoweroff -f\n' >"$tmp/workload"
	cp "$GUEST/disk.img" "$tmp/wdisk.img"
	timeout "$TIMEOUT" "$ENCORE" run --rtc base=2026-01-01 --disk "$tmp/wdisk.img,snapshot=on" \
		--net "user,tftp=$GUEST/tftp" <"$tmp/workload" >"$tmp/work.out" 2>&1
	tr -d '\r' <"$tmp/work.out" | grep '^workload: ' >"$tmp/work.lines"
	want_net=$(sha256sum <"$GUEST/tftp/numbers.txt" | cut -d' ' -f1)
	if grep -qx "workload: net numbers.txt sha256 $want_net" "$tmp/work.lines" &&
	   grep -q '^workload: disk write sha256 ' "$tmp/work.lines" &&
	   grep -qx 'workload: done' "$tmp/work.lines"; then
		ok "the workload reads and writes the disk and fetches over TFTP ($(wc -l <"$tmp/work.lines") lines)"
	else
		not_ok "the workload with disk and network" "$tmp/work.out"
	fi
	if command -v qemu-system-x86_64 >/dev/null; then
		timeout "$TIMEOUT" guest/run-qemu.sh --disk "$tmp/wdisk.img" --net "user,tftp=$GUEST/tftp" \
			"$GUEST/vmlinuz" "$GUEST/initramfs.cpio" <"$tmp/workload" >"$tmp/qwork.out" 2>&1
		tr -d '\r' <"$tmp/qwork.out" | grep '^workload: ' >"$tmp/qwork.lines"
		if cmp -s "$tmp/qwork.lines" "$tmp/work.lines"; then
			ok "QEMU's workload with the same disk and network prints the same lines"
		else
			not_ok "QEMU's workload lines differ" "$tmp/qwork.out"
			diff "$tmp/qwork.lines" "$tmp/work.lines" | head -n 10 | sed 's/^/#   /'
		fi
	fi

	# Recorded too (the disk with snapshot=on, the TFTP fetch in the log),
	# then replayed with the image gone.
	cp "$GUEST/disk.img" "$tmp/wdisk.img"
	timeout "$TIMEOUT" "$ENCORE" record -o "$tmp/wrec" --rtc base=2026-01-01 \
		--disk "$tmp/wdisk.img,snapshot=on" --net "user,tftp=$GUEST/tftp" <"$tmp/workload" \
		>"$tmp/wrec.out" 2>"$tmp/wrec.err"
	rm -f "$tmp/wdisk.img"
	if tr -d '\r' <"$tmp/wrec.out" | grep '^workload: ' | cmp -s - "$tmp/work.lines"; then
		ok "record of the workload with disk (snapshot=on) and TFTP: the same lines"
	else
		not_ok "record of the workload with disk and TFTP" "$tmp/wrec.err"
	fi
	check_replays "$tmp/wrec" 1 "of the workload with disk and network, the image gone"
fi

# One recording with both directions and the disk: the guest fetches from
# the host's server, serves a page the host fetches through hostfwd (the
# guest sleeps meanwhile, in real time: a network makes idle time real),
# and runs the disk test.  Then the server and the image go, and the
# recording replays with neither.
hport=$(free_port)
cp "$GUEST/disk.img" "$tmp/disk.img"
printf '%s\n' "wget -q -O - http://10.0.2.2:$port/blob | sha256sum" \
	'mkdir -p /www && echo hello-from-the-guest >/www/index.html && httpd -p 80 -h /www && echo httpd-ready' \
	'sleep 5' 'disktest' 'poweroff -f' >"$tmp/serve"
record_typed rec "$tmp/serve" --net "user,hostfwd=tcp:127.0.0.1:$hport-:80" --rtc base=2026-01-01 \
	--interval 100M --disk "$tmp/disk.img" &
runner=$!
for _ in $(seq 600); do
	grep -q '^httpd-ready' "$tmp/rec.out" 2>/dev/null && break
	sleep 0.1
done
page=$(python3 -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:$hport/index.html', timeout=20).read().decode().strip())" 2>&1)
wait "$runner"
rc=$?
if [ "$page" = hello-from-the-guest ]; then
	ok "the host fetches a page from httpd in the guest through hostfwd (recording)"
else
	not_ok "hostfwd: the host got '$page'" "$tmp/rec.out"
fi
got=$(tr -d '\r' <"$tmp/rec.out" | sed -n 's/^\([0-9a-f]\{64\}\)  -$/\1/p')
if [ "$rc" = 0 ] && [ "$got" = "$want" ] && tr -d '\r' <"$tmp/rec.out" | grep -qx 'disk: done' &&
   grep -q '^net user$' "$tmp/rec/meta"; then
	ok "record: the guest's fetch, its web server and its disk test in one recording"
else
	not_ok "record with --net and --disk: exit $rc, hash '$got'" "$tmp/rec.err"
fi
kill "$server" 2>/dev/null
server=
rm -f "$tmp/disk.img"
"$ENCORE" inspect "$tmp/rec" >"$tmp/inspect.out" 2>&1
if grep -q '^network: *user; received [1-9][0-9]* frames' "$tmp/inspect.out"; then
	ok "inspect: $(grep '^network:' "$tmp/inspect.out" | cut -c16-)"
else
	not_ok "inspect shows no network traffic" "$tmp/inspect.out"
fi
runs=3
[ "${ENCORE_SANITIZED:-0}" = 1 ] && runs=1 # the sanitizer build is several times slower
check_replays "$tmp/rec" "$runs" "with no network and no image"
# A recording whose guest "sent" other frames: the replay says where.
sent=$("$ENCORE" inspect --json --events "$tmp/rec" |
	python3 -c 'import json, sys
print([k for k, e in enumerate(json.load(sys.stdin)["event_list"]) if e["kind"] == "net-sent"][0])')
cp -r "$tmp/rec" "$tmp/edited"
"$(dirname "$ENCORE")/tools/rr-edit" "$tmp/edited" "$sent" sent-digest >/dev/null 2>&1
"$ENCORE" replay "$tmp/edited" >/dev/null 2>"$tmp/edited.err"
rc=$?
if [ "$rc" = 1 ] && grep -q "event $sent: the guest had sent" "$tmp/edited.err"; then
	ok "a recording whose guest sent other frames: the replay diverges at event $sent"
else
	not_ok "an edited net-sent event: replay exit $rc" "$tmp/edited.err"
fi
if [ "${ENCORE_SANITIZED:-0}" != 1 ]; then
	check_intervals_alone "$tmp/rec"
	check_simulate_agrees "$tmp/rec"
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
bad "an unknown network" "say 'user'" run --net tap
bad "a malformed hostfwd" "bad 'hostfwd=tcp:80-:80'" run --net user,hostfwd=tcp:80-:80
bad "a port out of range" "bad 'hostfwd=tcp::70000-:80'" run --net user,hostfwd=tcp::70000-:80
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True); time.sleep(60)' >"$tmp/busy" &
holder=$!
for _ in $(seq 50); do [ -s "$tmp/busy" ] && break; sleep 0.1; done
busy=$(cat "$tmp/busy")
bad "a host port in use" "cannot forward host port 127.0.0.1:$busy" run \
	--net "user,hostfwd=tcp:127.0.0.1:$busy-:80"
kill "$holder" 2>/dev/null
bad "--net with a bad rule on record" "bad 'hostfwd=udp" record -o "$tmp/rec2" \
	--net user,hostfwd=udp::5000-:53
finish
