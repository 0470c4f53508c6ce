#!/bin/bash
# encore simulate on the default Linux guest: its boot and workload are
# recorded once with the default interval (a few dozen checkpoints), each
# command typed when its prompt appears, then
#   - simulate -j 2 --plugin icount over every interval: exit 0, every
#     interval exact, each interval's count is its checkpoints' distance,
#     the total the recording's; user and kernel both ran;
#   - on a spread of intervals (the first, two adjacent ones in the
#     user-space workload, the last): every built-in plugin (memtrace with
#     level=1 and physical addresses) and the example external one (examples/plugins/events.c),
#     -j 1 and -j 2 write byte-identical merged and per-interval outputs;
#     icount and hotspots count the same instructions; coverage is sorted
#     and unique; the system call trace names read, write and execve, in
#     icount order; memtrace decodes;
#   - the same on MPI ranks (mpirun -np 3 --mpi), once reading the
#     recording and once shipped it (--mpi-ship): byte-identical outputs;
#   - --serial over the two adjacent intervals writes the same
#     per-interval files as the parallel runs, and a memtrace that decodes
#     to their records.
# Each step's time is printed.  SIM_ARCH=arm64 runs all of it on the arm64
# default guest (guest/build-guest-arm64.sh; tests/e2e/arm64_simulate.sh).
#
# Skipped under the sanitizer pass (minutes of ASan; tests/e2e/simulate.sh
# runs the same code there on a small guest), and if the default guest has
# not been built.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
ENCORE=${ENCORE:-build/encore}
SIM_ARCH=${SIM_ARCH:-x86_64}
# What differs between the guests: their files, the kernel's addresses
# (coverage must see some) and the key events.so counts page faults by
# (vector 14; on arm64 the exception class of a Data Abort from EL0).
case $SIM_ARCH in
x86_64)
	GUEST=${GUEST:-build/guest}
	export ENCORE_GUEST_DIR=$GUEST
	guest_files="vmlinux initramfs.cpio" arch_args=() kernel_prefix=ffffffff8
	page_faults=exception-14 build_script=guest/build-guest.sh max_unretired=0
	two_runs="-j 1 (interpreted) and -j 2 (translated)"
	;;
arm64)
	GUEST=${ARM64_GUEST:-build/guest-arm64}
	export ENCORE_ARM64_GUEST_DIR=$GUEST
	guest_files="Image initramfs.cpio" arch_args=(--arch arm64) kernel_prefix=ffff8000
	page_faults=exception-36 build_script=guest/build-guest-arm64.sh max_unretired=16
	two_runs="-j 1 and -j 2" # the A64 engine has no translation yet
	;;
*)
	echo "simulate_linux.sh: SIM_ARCH=$SIM_ARCH: x86_64 or arm64" >&2
	exit 1
	;;
esac
EVENTS_SO=$(dirname "$ENCORE")/plugins/events.so
TIMEOUT=${TIMEOUT:-600}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ "${ENCORE_SANITIZED:-0}" = 1 ]; then
	echo "skipped under the sanitizer build (tests/e2e/simulate.sh covers the same code)"
	exit 77
fi
for f in $guest_files; do
	[ -r "$GUEST/$f" ] || { echo "skipped: $GUEST/$f is missing ($build_script)"; exit 77; }
done
[ -f "$EVENTS_SO" ] || { echo "simulate_linux.sh: $EVENTS_SO is missing (make)" >&2; exit 1; }

# ---- helpers ----
. tests/e2e/helpers/simulate.sh

# ---- the recording ----
printf 'workload\npoweroff -f\n' >"$tmp/workload.lines"
t0=$EPOCHREALTIME
record_typed rec "$tmp/workload.lines" "${arch_args[@]}"
rc=$?
secs=$(elapsed "$t0")
"$ENCORE" inspect --json "$tmp/rec" >"$tmp/rec.json" 2>"$tmp/rec.json.err"
read -r n insns < <(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
c = d["checkpoints"]
assert c[-1]["final"] and c[-1]["instructions"] == d["instructions"]
print(len(c) - 1, d["instructions"])' "$tmp/rec.json" 2>>"$tmp/rec.json.err")
n=${n:-0}
last=$((n - 1))
if [ $rc = 0 ] && grep -qx 'workload: done' <(tr -d '\r' <"$tmp/rec.out") && [ "$n" -ge 10 ] &&
   grep -q '^interval 200000000$' "$tmp/rec/meta"; then
	ok "record: $SIM_ARCH boot and workload (exit 0), default interval, $n intervals, $insns instructions (${secs} s)"
else
	not_ok "record (exit $rc, $n intervals)" "$tmp/rec.err"
	cat "$tmp/rec.json.err"
	finish; exit
fi

# ---- icount over every interval ----
sim all -j 2 --plugin icount -o "$tmp/all" "$tmp/rec"
if [ $rc = 0 ] && summary_is "$tmp/all/summary.txt" "$(seq -s ' ' 0 $last)" 2>"$tmp/check.err" &&
   icount_is "$tmp/all/icount.txt" "$(seq -s ' ' 0 $last)" >"$tmp/check.out" 2>>"$tmp/check.err"; then
	read -r total user kernel <"$tmp/check.out"
	if [ "$total" = "$insns" ] && [ "$user" -gt 0 ] && [ "$kernel" -gt 0 ]; then
		ok "-j 2 --plugin icount, all $n intervals: exit 0, all exact; $total instructions = the recording's, $user user, $kernel kernel (${secs} s)"
	else
		not_ok "-j 2 --plugin icount: total $total (want $insns), user $user, kernel $kernel"
	fi
else
	not_ok "-j 2 --plugin icount, all intervals (exit $rc)" "$tmp/all.err"
	cat "$tmp/check.err"
fi

# ---- a spread of intervals, every plugin ----
# Two adjacent intervals (a, a+1) mostly in user mode (the workload) but
# with system calls (at least 1.5% kernel: compute-only intervals have
# only the timer's), the pair nearest to 20-21; then 0, a-(a+1) and the
# last.  (The machine's table of icount.txt ends at a blank line; the
# per-vCPU one follows.)
a=$(awk -v last=$last 'NF == 0 { exit }
	NR > 1 && $1 != "total" && $3 > $4 && $4 > 0.015 * $5 { user[$1] = 1 }
	END {
		for (d = 0; d < last; d++)
			for (s = -1; s <= 1; s += 2) {
				k = 20 + s * d
				if (k > 0 && k + 1 < last && (k in user) && ((k + 1) in user)) { print k; exit }
			}
	}' "$tmp/all/icount.txt" 2>/dev/null)
if [ -z "$a" ]; then
	not_ok "no two adjacent intervals mostly in user mode with system calls between the first and the last" "$tmp/all/icount.txt"
	finish; exit
fi
b=$((a + 1))
spread="0,$a-$b,$last"
list="0 $a $b $last"
plugins=(--plugin icount --plugin coverage --plugin hotspots --plugin memtrace,level=1,paddr=1
	--plugin syscalls --plugin "$EVENTS_SO")
merged="icount.txt coverage.txt hotspots.txt memtrace.zst syscalls.txt events.txt"
# The -j 1 run is the interpreter alone (ENCORE_TRANSLATE=0), the -j 2 run
# translated: every plugin must see the same on both execution paths.
ENCORE_TRANSLATE=0 sim p1 -j 1 --intervals "$spread" "${plugins[@]}" -o "$tmp/p1" "$tmp/rec"
rc1=$rc secs1=$secs
sim p2 -j 2 --intervals "$spread" "${plugins[@]}" -o "$tmp/p2" "$tmp/rec"
missing=()
for f in $merged; do [ -s "$tmp/p2/$f" ] || missing+=("$f"); done
if [ $rc1 = 0 ] && [ $rc = 0 ] && [ ${#missing[@]} = 0 ] &&
   summary_is "$tmp/p1/summary.txt" "$list" 2>"$tmp/check.err" &&
   summary_is "$tmp/p2/summary.txt" "$list" 2>>"$tmp/check.err"; then
	ok "--intervals $spread, six plugins: -j 1 (${secs1} s) and -j 2 (${secs} s) exit 0, all exact"
else
	not_ok "--intervals $spread, six plugins (exit $rc1 with -j 1, $rc with -j 2; missing: ${missing[*]})" \
		"$tmp/p2.err"
	cat "$tmp/check.err"
fi
if diff -r -q -x summary.txt -x timeline.html "$tmp/p1" "$tmp/p2" >"$tmp/diff.out" 2>&1; then
	ok "  ...$two_runs: merged and per-interval outputs byte-identical ($merged; $(find "$tmp/p1/intervals" -type f | wc -l) interval files)"
else
	not_ok "  ...-j 1 and -j 2 outputs differ" "$tmp/diff.out"
fi

# With the system-call and memory plugins aside, the block-level ones run
# in translated code that calls their hooks itself (no per-instruction
# hook is left to force the interpreter): the same outputs as p1's.
block_plugins="icount coverage hotspots"
sim pb -j 2 --intervals "$spread" --plugin icount --plugin coverage --plugin hotspots \
	-o "$tmp/pb" "$tmp/rec"
same=0
for f in $block_plugins; do
	cmp -s "$tmp/p1/$f.txt" "$tmp/pb/$f.txt" &&
		diff -r -q "$tmp/p1/intervals/$f" "$tmp/pb/intervals/$f" >/dev/null && same=$((same + 1))
done
if [ $rc = 0 ] && [ $same = 3 ]; then
	ok "  ...$block_plugins alone, translated with their hooks (${secs} s): outputs byte-identical to -j 1's"
else
	not_ok "  ...$block_plugins alone (exit $rc): $same of 3 outputs as -j 1's" "$tmp/pb.err"
fi

# The same on MPI ranks (docs/cluster.md): ranks that read the recording,
# then ranks shipped it (and shipping their outputs back).
mpi_ok=no
if ! command -v mpirun >/dev/null; then
	ok "  ...MPI # SKIP mpirun is not installed"
elif "$ENCORE" simulate "$tmp/rec" --mpi 2>&1 </dev/null | grep -q 'built without MPI'; then
	ok "  ...MPI # SKIP encore was built without MPI"
else
	mpi_ok=yes
fi
for mode in shared shipped; do
	[ $mpi_ok = yes ] || break
	ship=(); [ $mode = shipped ] && ship=(--mpi-ship)
	[ "$(id -u)" = 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
	t0=$EPOCHREALTIME
	timeout "$TIMEOUT" mpirun --oversubscribe -np 3 "$ENCORE" simulate -q "$tmp/rec" --mpi \
		"${ship[@]}" --intervals "$spread" "${plugins[@]}" -o "$tmp/mpi-$mode" \
		>"$tmp/mpi-$mode.out" 2>"$tmp/mpi-$mode.err" </dev/null
	rc=$?
	secs=$(elapsed "$t0")
	want="run-on: MPI: 3 ranks, 2 workers (2 read the recording, 0 were shipped it)"
	[ $mode = shipped ] && want="run-on: MPI: 3 ranks, 2 workers (0 read the recording, 2 were shipped it)"
	if [ $rc = 0 ] && summary_is "$tmp/mpi-$mode/summary.txt" "$list" 2>"$tmp/check.err" &&
	   grep -qxF "$want" "$tmp/mpi-$mode/summary.txt" &&
	   diff -r -q -x summary.txt -x timeline.html "$tmp/p1" "$tmp/mpi-$mode" >"$tmp/diff.out" 2>&1; then
		ok "  ...mpirun -np 3 --mpi, ranks $mode (${secs} s): outputs byte-identical to -j 1's ($(sed -n 's/^recording bytes shipped to workers: //p' "$tmp/mpi-$mode.err") bytes shipped)"
	else
		not_ok "  ...mpirun -np 3 --mpi, ranks $mode (exit $rc)" "$tmp/mpi-$mode.err"
		cat "$tmp/check.err" "$tmp/diff.out" 2>/dev/null | head -5
	fi
	rm -rf "$tmp/mpi-$mode"
done

# icount and hotspots count the same instructions.
out=$tmp/p2
if icount_is "$out/icount.txt" "$list" >"$tmp/check.out" 2>"$tmp/check.err"; then
	read -r total user kernel <"$tmp/check.out"
	ok "  ...icount: intervals $list, each its checkpoints' distance, $total in all ($user user)"
else
	not_ok "  ...icount" "$tmp/check.err"; total=none
fi
hot=$out/hotspots.txt
cov=$out/coverage.txt
# Coverage lists every instruction that began, hotspots those that
# retired: the same addresses on x86-64.  On arm64, busybox reads ID
# registers with MRS at EL0, which traps; the kernel emulates it and steps
# over it, so those few never retire.
hot_n=$(sed -n "s/^# $total instructions at \([0-9]*\) addresses; the top 50$/\1/p" "$hot")
unretired=$(($(wc -l <"$cov") - ${hot_n:-0}))
if [ -n "$hot_n" ] && [ $unretired -ge 0 ] && [ $unretired -le $max_unretired ] &&
   [ "$(grep -cvE '^#' "$hot")" = 50 ] &&
   ! grep -vE '^#' "$hot" | awk '{print $4}' | LC_ALL=C sort | LC_ALL=C comm -23 - "$cov" | grep -q .; then
	ok "  ...hotspots: the $total instructions icount counts, at every covered address but $unretired never retired; the top 50, all covered"
	grep -vE '^#' "$hot" | head -n 3 | sed 's/^/#   /'
else
	not_ok "  ...hotspots (want $total instructions)" "$hot"
fi
if [ -s "$cov" ] && LC_ALL=C sort -c -u "$cov" 2>"$tmp/check.out" &&
   ! grep -qvE '^[0-9a-f]{16}$' "$cov" && grep -q "^$kernel_prefix" "$cov" && grep -q '^00000000' "$cov"; then
	ok "  ...coverage: $(wc -l <"$cov") addresses, kernel and user, sorted and unique"
else
	not_ok "  ...coverage" "$tmp/check.out"
fi

# The system calls (one vCPU, so its icounts are the machine's): in icount
# order, inside the intervals, each address space's user instructions
# never going back; read, write and execve among them (the workload reads,
# writes and runs programs).
if python3 - "$out/syscalls.txt" "$tmp/rec.json" "$list" >"$tmp/check.out" 2>&1 <<'EOF'
import collections, json, re, sys
c = [x["instructions"] for x in json.load(open(sys.argv[2]))["checkpoints"]]
spans = [(c[k], c[k + 1]) for k in map(int, sys.argv[3].split())]
lines = open(sys.argv[1]).read().splitlines()
assert lines[0] == "# vcpu icount address-space user-instructions call(arguments)", lines[0]
names, prev, user = collections.Counter(), 0, {}
calls = [l for l in lines[1:] if not l.startswith("# ")]
for l in calls:
    m = re.fullmatch(r"0 (\d+) ([0-9a-f]+) (\d+) ([a-z0-9_]+)\((0x[0-9a-f]+(, 0x[0-9a-f]+){5})\)", l)
    assert m, l
    icount, space, u = int(m[1]), m[2], int(m[3])
    assert icount >= prev, "icount goes back: " + l
    assert any(a <= icount < b for a, b in spans), "outside the intervals: " + l
    assert u >= user.get(space, 0), "user instructions go back: " + l
    prev, user[space] = icount, u
    names[m[4]] += 1
for want in ("read", "write", "execve"):
    assert names[want], "no %s: %s" % (want, names.most_common(10))
print(len(calls), len(user), " ".join("%s:%d" % x for x in names.most_common(6)))
EOF
then
	read -r ncalls nspaces top <"$tmp/check.out"
	ok "  ...syscalls: $ncalls calls in icount order, $nspaces address spaces; $top"
else
	not_ok "  ...syscalls" "$tmp/check.out"
fi
for k in $a $b; do
	grep -q "^c " "$out/intervals/syscalls/$(printf %06d $k).txt" ||
		not_ok "  ...interval $k has no system calls (pick intervals in the workload)"
done

# memtrace decodes; events' merged counters are the sums of the intervals'.
t0=$EPOCHREALTIME
"$ENCORE" memtrace "$out/memtrace.zst" --summary >"$tmp/mt.out" 2>"$tmp/mt.err"
rc=$?
records=$(sed -n 's/^records //p' "$tmp/mt.out")
if [ $rc = 0 ] && [ "${records:-0}" -gt 0 ] && grep -q "^intervals " "$tmp/mt.out"; then
	ok "  ...memtrace: $(stat -c %s "$out/memtrace.zst") bytes decode to $records records ($(elapsed "$t0") s)"
else
	not_ok "  ...memtrace --summary (exit $rc, records '$records')" "$tmp/mt.err"
	cat "$tmp/mt.out"
fi
if python3 - "$out" "$page_faults" >"$tmp/check.out" 2>&1 <<'EOF'
import collections, glob, sys
def counters(path):
    c = collections.Counter()
    for line in open(path):
        if not line.startswith("#"):
            key, count = line.split()
            c[key] += int(count)
    return c
total = collections.Counter()
for f in glob.glob(sys.argv[1] + "/intervals/events/*.txt"):
    total += counters(f)
merged = counters(sys.argv[1] + "/events.txt")
assert merged == total and merged[sys.argv[2]] > 0, (merged, total)
print(len(merged), merged[sys.argv[2]])
EOF
then
	read -r nk pf <"$tmp/check.out"
	ok "  ...events.so: $nk counters, each the sum of the intervals' ($pf page faults)"
else
	not_ok "  ...events.so merged counters" "$tmp/check.out"
fi

# ---- --serial over the adjacent pair ----
sim serial --serial --intervals "$a-$b" "${plugins[@]}" -o "$tmp/serial" "$tmp/rec"
bad=()
for d in "$tmp/p2/intervals"/*/; do
	p=$(basename "$d")
	for f in "$d"$(printf %06d $a).* "$d"$(printf %06d $b).*; do
		cmp -s "$f" "$tmp/serial/intervals/$p/$(basename "$f")" || bad+=("$p/$(basename "$f")")
	done
done
nfiles=$(find "$tmp/serial/intervals" -type f | wc -l)
if [ $rc = 0 ] && summary_is "$tmp/serial/summary.txt" "$a" 2>"$tmp/check.err" &&
   [ ${#bad[@]} = 0 ] && [ "$nfiles" = 12 ]; then
	ok "--serial --intervals $a-$b: exit 0, one exact replay; its 12 interval files identical to -j 2's (${secs} s)"
else
	not_ok "--serial --intervals $a-$b (exit $rc, $nfiles files, differing: ${bad[*]})" "$tmp/serial.err"
	cat "$tmp/check.err"
fi
# Its merged memtrace (two consecutive intervals) decodes, with the
# records of the parallel run's two interval files.
"$ENCORE" memtrace "$tmp/serial/memtrace.zst" --summary >"$tmp/mt.out" 2>"$tmp/mt.err"
rc=$?
records=$(sed -n 's/^records //p' "$tmp/mt.out")
want=0
for k in $a $b; do
	want=$((want + $("$ENCORE" memtrace "$tmp/p2/intervals/memtrace/$(printf %06d $k).zst" --summary |
		sed -n 's/^records //p')))
done
if [ $rc = 0 ] && [ "$records" = "$want" ] && [ "$want" -gt 0 ] &&
   grep -qxE "intervals $a\.\.$b \(2 of them\)" "$tmp/mt.out"; then
	ok "  ...its memtrace.zst decodes: $records records, those of intervals $a and $b"
else
	not_ok "  ...its memtrace.zst (exit $rc, $records records, want $want)" "$tmp/mt.err"
	cat "$tmp/mt.out"
fi

finish
