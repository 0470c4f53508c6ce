#!/bin/bash
# encore replay --gdb on the default Linux guest, driven by Debian's gdb:
# a recording of its boot, a command that prints two kernel symbols'
# addresses from /proc/kallsyms (Debian's kernel package ships no
# System.map: its own says the real one is in the -dbg package; the
# vmlinux boots without KASLR, so the addresses are the same in every
# run), and a power-off, with a checkpoint every 50M instructions.
#   - a breakpoint on ksys_write: continue to it, then 50 stepi and 50
#     reverse-stepi agree register for register; reverse-continue goes
#     back through three hits;
#   - a watchpoint on jiffies_64 stops after the timer's write going
#     forward and before it in reverse;
#   - the same stepping across a checkpoint in the middle of the boot;
#   - `monitor when` at a checkpoint agrees with `inspect --events`;
#   - Ctrl-C (0x03) stops a continue that would run for seconds;
#   - going live (--live-at, and monitor live from gdb) just before the
#     recorded command was typed: the guest answers another line instead;
#     with -o, what happened live is a recording that replays exactly by
#     itself and is smaller than the one it branched from.
# Skipped under the sanitizer pass (minutes of ASan; tests/e2e/gdb.sh runs
# the same code there) and without gdb.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
. tests/e2e/helpers/gdb_serve.sh
ENCORE=${ENCORE:-build/encore}
GUEST=${GUEST:-build/guest}
export ENCORE_GUEST_DIR=$GUEST
TIMEOUT=${TIMEOUT:-600}
HELPER=tests/e2e/helpers/timetravel.py
elapsed() { python3 -c 'import sys; print("%.1f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$1" "$EPOCHREALTIME"; }
tmp=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$tmp"' EXIT

if [ "${ENCORE_SANITIZED:-0}" = 1 ]; then
	echo "skipped under the sanitizer build (tests/e2e/gdb.sh covers the same code)"
	exit 77
fi
command -v gdb >/dev/null || { echo "skipped: no gdb (apt-get install gdb)"; exit 77; }
for f in vmlinux initramfs.cpio; do
	[ -r "$GUEST/$f" ] || { echo "skipped: $GUEST/$f is missing (guest/build-guest.sh)"; exit 77; }
done

printf 'grep -w -e ksys_write -e jiffies_64 /proc/kallsyms\npoweroff -f\n' >"$tmp/lines"
record_typed rec "$tmp/lines" --interval 50M
rc=$?
ksys_write=$(tr -d '\r' <"$tmp/rec.out" | awk '$3 == "ksys_write" { print "0x" $1 }')
jiffies=$(tr -d '\r' <"$tmp/rec.out" | awk '$3 == "jiffies_64" { print "0x" $1 }')
if [ $rc != 0 ] || [ -z "$ksys_write" ] || [ -z "$jiffies" ]; then
	not_ok "record the boot and the symbols (exit $rc)" "$tmp/rec.err"
	finish
	exit
fi
ok "recorded the boot; ksys_write at $ksys_write, jiffies_64 at $jiffies"
"$ENCORE" inspect "$tmp/rec" --events >"$tmp/events.txt"
n=$(awk '$2 == "checkpoint"' "$tmp/events.txt" | wc -l)
mid=$((n / 2))
mid_line=$(awk -v k="#$mid" '$2 == "checkpoint" && $8 == k' "$tmp/events.txt")
read -r mid_ev _ mid_insns _ _ _ mid_rip _ <<<"$mid_line"

gdb_serve "$tmp/rec" s
t0=$EPOCHREALTIME
timeout 600 gdb -batch -nx -x "$HELPER" -ex "target remote $port" \
	-ex "break *$ksys_write" -ex "continue" \
	-ex "python step_check('at ksys_write: 50 stepi then 50 reverse-stepi agree', 50)" \
	-ex "delete" \
	-ex "python breaks_check('3 hits of a breakpoint on ksys_write, back through them with reverse-continue', '*$ksys_write', 3)" \
	-ex "python watch_check('a watchpoint on jiffies_64 stops after the write forward, before it in reverse', '*(long *)$jiffies')" \
	-ex "python goto($mid_insns - 25)" \
	-ex "python step_check('50 steps both ways across checkpoint $mid at instruction $mid_insns', 50)" \
	-ex "monitor goto checkpoint $mid" \
	-ex "python print('WHEN ' + when().replace(chr(10), ' | '))" \
	-ex "disconnect" >"$tmp/gdb.out" 2>&1
echo "# gdb session: $(elapsed "$t0") s"
while read -r line; do
	case "$line" in
	"CHECK OK "*) ok "${line#CHECK OK }" ;;
	*) not_ok "${line#CHECK FAIL }" "$tmp/gdb.out" ;;
	esac
done < <(grep '^CHECK' "$tmp/gdb.out")
[ "$(grep -c "^CHECK" "$tmp/gdb.out")" = 4 ] || not_ok "not every check ran" "$tmp/gdb.out"
when=$(grep '^WHEN ' "$tmp/gdb.out")
if [[ "$when" == *"at instruction $mid_insns (vCPU 0 at RIP $mid_rip)"* &&
      "$when" == *"next event: #$mid_ev (checkpoint) at instruction $mid_insns, 0 ahead"* ]]; then
	ok "monitor when at checkpoint $mid agrees with inspect --events (event $mid_ev)"
else
	not_ok "monitor when at checkpoint $mid: '$when', inspect: '$mid_line'" "$tmp/gdb.out"
fi

# Ctrl-C: a raw client continues from the start and interrupts.
python3 - "${port##*:}" >"$tmp/intr.txt" 2>&1 <<'PY'
import sys, time
sys.path.insert(0, 'tests/e2e/helpers')
from rsp_client import Client
c = Client(sys.argv[1], 60)
c.send(b'QStartNoAckMode')
print('noack', c.reply())
c.monitor('goto start')
c.send(b'c')
time.sleep(0.3)
t = time.time()
c.send_raw(b'\x03')
print('STOP', c.reply().decode(), round(time.time() - t, 3))
print('WHEN', c.monitor('when').replace('\n', ' | '))
c.send(b'k')
c.close()
PY
if grep -q '^STOP T02thread:1;' "$tmp/intr.txt" && grep -q '^WHEN at instruction [1-9]' "$tmp/intr.txt"; then
	ok "Ctrl-C stops a running continue ($(grep '^STOP' "$tmp/intr.txt" | cut -d' ' -f3) s after it)"
else
	not_ok "Ctrl-C" "$tmp/intr.txt"
fi
wait "$server"
rc=$?
server=
[ $rc = 0 ] && ok "encore ends with status 0" || not_ok "encore --gdb ended with status $rc" "$tmp/s.err"

# ---- going live ----
# Just before the recorded command was typed, another one is typed: the
# guest answers it.
first=$(awk '$2 == "input" { print $3; exit }' "$tmp/events.txt")
printf 'echo live-$((6 * 7))\npoweroff -f\n' |
	timeout "$TIMEOUT" "$ENCORE" replay "$tmp/rec" --live-at "insn:$((first - 1))" \
	-o "$tmp/branch" >"$tmp/live.out" 2>"$tmp/live.err"
rc=$?
if [ $rc = 0 ] && grep -q '^live-42' <(tr -d '\r' <"$tmp/live.out") &&
   ! grep -q 'ksys_write' "$tmp/live.out" &&
   grep -q "live from here (instruction $((first - 1))" "$tmp/live.err"; then
	ok "--live-at insn:$((first - 1)): the guest answers a line that was never recorded"
else
	not_ok "--live-at (status $rc)" "$tmp/live.err"
fi
# What happened live was recorded (-o): it replays by itself, exactly,
# and holds less than the recording it branched from (the guest files
# are links to the same ones).
own_bytes() { find "$1" -type f ! -name kernel ! -name initrd -printf '%s\n' | awk '{ n += $1 } END { print n }'; }
"$ENCORE" replay "$tmp/branch" >"$tmp/branch.out" 2>"$tmp/branch.err"
rc=$?
b=$(own_bytes "$tmp/branch")
r=$(own_bytes "$tmp/rec")
if [ $rc = 0 ] && grep -q 'replayed exactly' "$tmp/branch.err" &&
   cmp -s "$tmp/branch.out" "$tmp/branch/console.out" &&
   grep -q '^live-42' <(tr -d '\r' <"$tmp/branch.out") && [ "$b" -lt "$r" ] &&
   "$ENCORE" inspect "$tmp/branch" | grep -q "^branch of: .*gone live at instruction $((first - 1))"; then
	ok "-o: the live branch replays exactly by itself ($b bytes besides the guest files; the full recording $r)"
else
	not_ok "-o: the branch (replay status $rc, $b bytes vs $r)" "$tmp/branch.err"
fi
# The same from gdb: monitor live.
printf 'echo gdb-live-$((6 * 7))\npoweroff -f\n' >"$tmp/glive.in"
gdb_serve "$tmp/rec" glive "$tmp/glive.in"
timeout 120 gdb -batch -nx -ex "target remote $port" -ex "monitor goto $((first - 1))" \
	-ex "monitor live" >"$tmp/glive.gdb" 2>&1
wait "$server"
rc=$?
server=
if [ $rc = 0 ] && grep -q '^gdb-live-42' <(tr -d '\r' <"$tmp/glive.out") &&
   grep -q 'going live from instruction' "$tmp/glive.gdb"; then
	ok "monitor live: the guest goes on from there with the user's input"
else
	not_ok "monitor live (status $rc)" "$tmp/glive.err"
fi
end=$(sed -n 's/^instructions //p' "$tmp/rec/meta")
"$ENCORE" replay "$tmp/rec" --live-at "insn:$((end + 1))" >/dev/null 2>"$tmp/past.err"
rc=$?
[ $rc = 2 ] && grep -q "give an instruction from 0 to $end" "$tmp/past.err" &&
	ok "--live-at beyond the end: exit 2 and a message" || not_ok "--live-at past the end: $rc" "$tmp/past.err"
finish
