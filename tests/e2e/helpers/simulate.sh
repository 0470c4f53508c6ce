# Helpers of the encore simulate end-to-end scripts (simulate.sh,
# simulate_linux.sh); sourced after tests/e2e/lib.sh, with ENCORE and tmp
# set.  Not a test itself: tests/run.sh runs tests/e2e/*.sh only.

# elapsed T0: seconds since $EPOCHREALTIME was T0, to a tenth.
elapsed() { python3 -c 'import sys; print("%.1f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$1" "$EPOCHREALTIME"; }

# sim NAME ARGS...: `encore simulate -q ARGS`, stdout and stderr in
# $tmp/NAME.{out,err}; its exit status in $rc, its wall time in $secs.
sim() {
	local name=$1; shift
	local t0=$EPOCHREALTIME
	timeout "${TIMEOUT:-600}" "$ENCORE" simulate -q "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null
	rc=$?
	secs=$(elapsed "$t0")
}

# summary_is FILE LIST [FAILED]: the summary table in FILE (summary.txt
# or simulate's stderr) lists exactly the intervals LIST ("0 2 3"), each
# exact but those in FAILED.
summary_is() {
	python3 - "$@" <<'PY'
import sys
path, want = sys.argv[1], [int(x) for x in sys.argv[2].split()]
failed = {int(x) for x in sys.argv[3].split()} if len(sys.argv) > 3 else set()
rows, inside = {}, False
for line in open(path):
    f = line.split()
    if f[:2] in (["interval", "first-insn"], ["job", "first-insn"]):
        inside = True
    elif inside and line.startswith("intervals: "):
        inside = False
    elif inside:
        rows[int(f[0])] = f[-1]
assert sorted(rows) == want, "intervals %s, want %s" % (sorted(rows), want)
for k, result in rows.items():
    assert result == ("FAILED" if k in failed else "exact"), "interval %d: %s" % (k, result)
PY
}

# icount_is FILE LIST: the merged icount tables FILE have a row for each
# interval of LIST, each its checkpoints' distance ($tmp/rec.json, from
# inspect --json), and their total; after a blank line, the per-vCPU
# table has each interval's vCPUs, which add up to the machine's row in
# every column, and a total row per vCPU; prints "TOTAL USER KERNEL".
icount_is() {
	python3 - "$tmp/rec.json" "$@" <<'PY'
import collections, json, sys
d = json.load(open(sys.argv[1]))
c = [x["instructions"] for x in d["checkpoints"]]
want = [int(x) for x in sys.argv[3].split()]
machine, vcpus = open(sys.argv[2]).read().split("\n\n")
lines = machine.splitlines()
head = lines[0].split()
assert head[:2] == ["interval", "first_icount"] and head[-1] == "total" and "user" in head, head
rows = [dict(zip(head, l.split())) for l in lines[1:]]
assert [int(r["interval"]) for r in rows[:-1]] == want, [r["interval"] for r in rows[:-1]]
for r in rows:
    assert sum(int(r[h]) for h in head[2:-1]) == int(r["total"]), r
for r in rows[:-1]:
    k = int(r["interval"])
    assert int(r["first_icount"]) == c[k] and int(r["total"]) == c[k + 1] - c[k], r
t = rows[-1]
assert t["interval"] == "total" and t["first_icount"] == "-", t
assert int(t["total"]) == sum(c[k + 1] - c[k] for k in want), t
vlines = vcpus.splitlines()
vhead = vlines[0].split()
assert vhead == ["interval", "vcpu"] + head[1:], vhead
vrows = [dict(zip(vhead, l.split())) for l in vlines[1:]]
sums = collections.defaultdict(lambda: collections.Counter())
for r in vrows:
    assert sum(int(r[h]) for h in head[2:-1]) == int(r["total"]), r
    for h in head[2:]:
        sums[r["interval"]][h] += int(r[h])
for r in rows:
    assert all(sums[r["interval"]][h] == int(r[h]) for h in head[2:]), (r, sums[r["interval"]])
assert sorted({int(r["interval"]) for r in vrows if r["interval"] != "total"}) == want, vrows
print(t["total"], t["user"], t["kernel"])
PY
}
