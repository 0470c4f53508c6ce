#!/bin/bash
# encore simulate on a small guest (tests/guest/echo.c, input typed with
# pauses, a checkpoint every 2M instructions: dozens of intervals):
#   - without plugins, -j 1 and -j 3: exit 0, every interval exact;
#   - with every built-in plugin and the example external ones
#     (examples/plugins/events.c, blocks.c): the merged outputs of -j 1 and -j 3 are
#     byte-identical, and so are the per-interval ones; icount adds up to
#     the recording's instructions, interval by interval; coverage is
#     sorted and unique; hotspots counts every instruction; memtrace
#     decodes; events' merged counters are the sums of the intervals';
#     blocks' runs retired the recording's instructions;
#   - the -j 3 run's timeline.html loads cleanly in headless Chromium
#     with a bar for every interval (skipped without Chromium);
#   - --serial (one replay through all intervals) writes the same
#     per-interval and merged outputs as the parallel run;
#   - --intervals picks exactly the intervals it names;
#   - a checkpoint event whose state hash was edited (tests/tools/rr-edit):
#     exit 1, the interval ending there diverges and the one starting
#     there cannot start, both named on stderr; the others are exact; no
#     merged outputs;
#   - plugins built for plugin APIs 2 and 3 run as they are;
#   - bad usage (unknown plugin, missing .so, a plugin built for plugin
#     API 1, bad plugin options, an interval the recording lacks, plugins
#     without -o, a directory that is no recording): exit 2 and a message
#     saying what is wrong.
# tests/e2e/simulate_linux.sh does the same on the default Linux guest.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
ENCORE=${ENCORE:-build/encore}
GUEST_DIR=${GUEST_DIR:-build/guests}
ECHO_GUEST=$GUEST_DIR/echo.elf
EVENTS_SO=$(dirname "$ENCORE")/plugins/events.so
BLOCKS_SO=$(dirname "$ENCORE")/plugins/blocks.so
EDIT=$(dirname "$ENCORE")/tools/rr-edit
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for f in "$ECHO_GUEST" "$ENCORE" "$EVENTS_SO" "$BLOCKS_SO" "$EDIT"; do
	[ -f "$f" ] || { echo "simulate.sh: $f is missing (make)" >&2; exit 1; }
done

# ---- helpers ----
. tests/e2e/helpers/simulate.sh
# same_files A B: the files A/* other than summary.txt, and A/intervals/,
# are byte-identical to B's (and B has no others).
same_files() {
	diff -r -q -x summary.txt -x timeline.html "$1" "$2" >"$tmp/diff.out" 2>&1
}
# expect NAME STATUS PATTERN ARGS...: `encore simulate ARGS` exits STATUS
# and prints on stderr a line matching PATTERN.
expect() {
	local name=$1 want=$2 pattern=$3; shift 3
	"$ENCORE" simulate -q "$@" >/dev/null 2>"$tmp/cmd.out" </dev/null
	local got=$?
	if [ $got = "$want" ] && grep -qE -- "$pattern" "$tmp/cmd.out"; then
		ok "$name: exit $got, $(grep -E -m1 -- "$pattern" "$tmp/cmd.out" | cut -c1-150)"
	else
		not_ok "$name (exit $got, want $want, pattern '$pattern')" "$tmp/cmd.out"
	fi
}

# ---- the recording ----
type_slowly() { printf ab; sleep 0.2; printf cd; sleep 0.3; printf e; sleep 0.1; printf q; }
type_slowly | "$ENCORE" record -o "$tmp/rec" --kernel "$ECHO_GUEST" --interval 2M \
	>"$tmp/rec.out" 2>"$tmp/rec.err"
rc=$?
"$ENCORE" inspect --json --events "$tmp/rec" >"$tmp/rec.json" 2>"$tmp/rec.json.err"
n=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["checkpoints"]) - 1)' \
	"$tmp/rec.json" 2>/dev/null || echo 0)
last=$((n - 1))
all=$(seq -s ' ' 0 $last)
if [ $rc = 0 ] && [ "$n" -ge 6 ]; then
	ok "record: exit 0, $n intervals (0 to $last)"
else
	not_ok "record (exit $rc, $n intervals)" "$tmp/rec.err"
	finish; exit
fi

# ---- no plugins ----
sim j1 "$tmp/rec" -j 1
if [ $rc = 0 ] && summary_is "$tmp/j1.err" "$all" 2>"$tmp/check.err"; then
	ok "no plugins, -j 1: exit 0, all $n intervals exact (${secs} s)"
else
	not_ok "no plugins, -j 1 (exit $rc)" "$tmp/j1.err"; cat "$tmp/check.err"
fi
sim j3 "$tmp/rec" -j 3 -o "$tmp/j3"
if [ $rc = 0 ] && summary_is "$tmp/j3/summary.txt" "$all" 2>"$tmp/check.err" &&
   grep -q '^workers: 3$' "$tmp/j3/summary.txt" && [ "$(ls "$tmp/j3" | tr '\n' ' ')" = "summary.txt timeline.html " ]; then
	ok "no plugins, -j 3 -o OUT: exit 0, all $n intervals exact in OUT/summary.txt, OUT/timeline.html and nothing else (${secs} s)"
else
	not_ok "no plugins, -j 3 (exit $rc)" "$tmp/j3.err"; cat "$tmp/check.err"
fi

# ---- every plugin, one worker and three ----
plugins=(--plugin icount --plugin coverage --plugin hotspots --plugin memtrace
	--plugin syscalls --plugin "$EVENTS_SO" --plugin "$BLOCKS_SO")
merged="icount.txt coverage.txt hotspots.txt memtrace.zst syscalls.txt events.txt blocks.txt"
sim p1 "$tmp/rec" -j 1 "${plugins[@]}" -o "$tmp/p1"
rc1=$rc secs1=$secs
sim p3 "$tmp/rec" -j 3 "${plugins[@]}" -o "$tmp/p3"
missing=()
for f in $merged; do [ -s "$tmp/p1/$f" ] || missing+=("$f"); done
if [ $rc1 = 0 ] && [ $rc = 0 ] && [ ${#missing[@]} = 0 ] &&
   summary_is "$tmp/p1/summary.txt" "$all" 2>"$tmp/check.err" &&
   summary_is "$tmp/p3/summary.txt" "$all" 2>>"$tmp/check.err"; then
	ok "seven plugins, -j 1 (${secs1} s) and -j 3 (${secs} s): exit 0, all exact, merged $merged"
else
	not_ok "seven plugins (exit $rc1 with -j 1, $rc with -j 3; missing: ${missing[*]})" "$tmp/p3.err"
	cat "$tmp/check.err"
fi
if same_files "$tmp/p1" "$tmp/p3"; then
	ok "  ...-j 1 and -j 3: merged and per-interval outputs byte-identical ($(find "$tmp/p1" -type f | wc -l) files)"
else
	not_ok "  ...-j 1 and -j 3 outputs differ" "$tmp/diff.out"
fi
# The timeline page of the -j 3 run, in a real browser.
tests/e2e/helpers/check_timeline.sh "$tmp/p3/timeline.html" "$n" >"$tmp/page.out" 2>&1
case $? in
0) ok "  ...timeline.html in headless Chromium: loads cleanly, a bar for each of the $n intervals" ;;
77) skip "  ...timeline.html in headless Chromium" "$(tail -n 1 "$tmp/page.out")" ;;
*) not_ok "  ...timeline.html in headless Chromium" "$tmp/page.out" ;;
esac

# icount: each interval's row is its stretch between checkpoints, the
# total is the recording's.
if icount_is "$tmp/p1/icount.txt" "$all" >"$tmp/check.out" 2>&1 &&
   read -r total user kernel <"$tmp/check.out" &&
   [ "$total" = "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["instructions"])' "$tmp/rec.json")" ] &&
   [ "$kernel" -gt 0 ]; then
	ok "  ...icount: each interval's total is its checkpoints' difference; in all $total = the recording's"
else
	not_ok "  ...icount" "$tmp/check.out"
fi

# coverage sorted and unique; hotspots counts every instruction, and its
# addresses are covered.
cov=$tmp/p1/coverage.txt
hot=$tmp/p1/hotspots.txt
insns=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["instructions"])' "$tmp/rec.json")
if [ -s "$cov" ] && LC_ALL=C sort -c -u "$cov" 2>"$tmp/check.out" &&
   ! grep -qvE '^[0-9a-f]{16}$' "$cov"; then
	ok "  ...coverage: $(wc -l <"$cov") addresses, sorted and unique"
else
	not_ok "  ...coverage not sorted and unique" "$tmp/check.out"
fi
if grep -qE "^# $insns instructions at $(wc -l <"$cov") addresses; the top 50$" "$hot" &&
   [ "$(grep -cvE '^#' "$hot")" = 50 ] &&
   ! grep -vE '^#' "$hot" | awk '{print $4}' | LC_ALL=C sort | LC_ALL=C comm -23 - "$cov" | grep -q .; then
	ok "  ...hotspots: $insns instructions at every covered address, the top 50 listed, all in coverage"
else
	not_ok "  ...hotspots" "$hot"
fi

# memtrace decodes, with records; events' merged counters are the sums
# of the intervals'.
"$ENCORE" memtrace "$tmp/p1/memtrace.zst" --summary >"$tmp/mt.out" 2>"$tmp/mt.err"
rc=$?
records=$(sed -n 's/^records //p' "$tmp/mt.out")
if [ $rc = 0 ] && [ "${records:-0}" -gt 0 ] && grep -qxE "intervals 0\.\.$last \($n of them\)" "$tmp/mt.out"; then
	ok "  ...memtrace: decodes, $records records from $n intervals"
else
	not_ok "  ...memtrace --summary (exit $rc, records '$records')" "$tmp/mt.err"
fi
if python3 - "$tmp/p1" "$tmp/rec.json" >"$tmp/check.out" 2>&1 <<'EOF'
import collections, glob, json, sys
def counters(path):
    c = collections.Counter()
    for line in open(path):
        if not line.startswith("#"):
            key, count = line.split()
            c[key] += int(count)
    return c
total = collections.Counter()
files = sorted(glob.glob(sys.argv[1] + "/intervals/events/*.txt"))
for f in files:
    total += counters(f)
merged = counters(sys.argv[1] + "/events.txt")
assert merged == total and merged, (merged, total)
# The echo guest prints through the UART's data port, one write a byte.
d = json.load(open(sys.argv[2]))
assert merged["port-03f8-write"] == d["console_bytes"], (merged["port-03f8-write"], d["console_bytes"])
print(len(files), len(merged))
EOF
then
	read -r nf nk <"$tmp/check.out"
	ok "  ...events.so: $nk counters, each the sum of the $nf intervals'; port 0x3f8 writes = console bytes"
else
	not_ok "  ...events.so merged counters" "$tmp/check.out"
fi
# blocks.so (decoded code, through three plugins' handles at once): the
# runs retired exactly the recording's instructions.
b=$tmp/p1/blocks.txt
retired=$(sed -n 's/^instructions-retired //p' "$b" 2>/dev/null)
begun=$(sed -n 's/^instructions-begun //p' "$b" 2>/dev/null)
vcpu0=$(sed -n 's/^vcpu0-instructions-retired //p' "$b" 2>/dev/null)
runs=$(sed -n 's/^runs //p' "$b" 2>/dev/null)
if [ "$retired" = "$insns" ] && [ "$vcpu0" = "$insns" ] && [ "${begun:-0}" -ge "$insns" ] &&
   [ "${runs:-0}" -gt 0 ] && grep -qE '^blocks-of-[0-9]+ [0-9]+$' "$b"; then
	ok "  ...blocks.so: $runs runs retired $retired instructions, the recording's"
else
	not_ok "  ...blocks.so (retired '$retired', want $insns)" "$b"
fi

# ---- --serial: the same outputs from one replay ----
sim serial "$tmp/rec" --serial "${plugins[@]}" -o "$tmp/serial"
if [ $rc = 0 ] && summary_is "$tmp/serial/summary.txt" 0 2>"$tmp/check.err" &&
   grep -qx "intervals: $n (0 to $last), in one serial replay" "$tmp/serial/summary.txt"; then
	ok "--serial, six plugins: exit 0, one exact replay of all $n intervals (${secs} s)"
else
	not_ok "--serial (exit $rc)" "$tmp/serial.err"; cat "$tmp/check.err"
fi
if same_files "$tmp/p3" "$tmp/serial" && [ "$(ls "$tmp/serial/intervals/icount" | wc -l)" = "$n" ]; then
	ok "  ...per-interval outputs of every plugin ($n each) and merged ones identical to -j 3's"
else
	not_ok "  ...--serial outputs differ from -j 3's" "$tmp/diff.out"
fi

# ---- --intervals ----
pick="0,2-3,$last"
sim pick "$tmp/rec" -j 3 --intervals "$pick" --plugin icount --plugin memtrace -o "$tmp/pick"
# The machine's table: up to the blank line before the per-vCPU one.
rows=$(awk 'NF == 0 { exit } NR > 1 && $1 != "total" { printf "%s ", $1 }' "$tmp/pick/icount.txt" 2>/dev/null)
if [ $rc = 0 ] && [ "$rows" = "0 2 3 $last " ] &&
   summary_is "$tmp/pick/summary.txt" "0 2 3 $last" 2>"$tmp/check.err" &&
   [ "$(ls "$tmp/pick/intervals/icount" | tr '\n' ' ')" = "$(printf '%06d.txt ' 0 2 3 $last)" ] &&
   cmp -s "$tmp/pick/intervals/icount/000002.txt" "$tmp/p1/intervals/icount/000002.txt"; then
	ok "--intervals $pick: exit 0, icount.txt lists exactly intervals $rows(${secs} s)"
else
	not_ok "--intervals $pick (exit $rc, icount rows '$rows')" "$tmp/pick.err"; cat "$tmp/check.err"
fi
# The merged memtrace of intervals with gaps between them decodes, with
# the records of those intervals.
"$ENCORE" memtrace "$tmp/pick/memtrace.zst" --summary >"$tmp/mt.out" 2>"$tmp/mt.err"
rc=$?
want=0
for k in 0 2 3 $last; do
	want=$((want + $("$ENCORE" memtrace "$tmp/p1/intervals/memtrace/$(printf %06d $k).zst" --summary |
		sed -n 's/^records //p')))
done
records=$(sed -n 's/^records //p' "$tmp/mt.out")
if [ $rc = 0 ] && [ "$records" = "$want" ]; then
	ok "  ...memtrace of intervals $pick decodes: $records records, those of its intervals"
else
	not_ok "  ...memtrace of intervals $pick (exit $rc, $records records, want $want)" "$tmp/mt.err"
fi
sim pick-serial "$tmp/rec" --serial --intervals 2-4 --plugin icount -o "$tmp/pick-serial"
if [ $rc = 0 ] && [ "$(ls "$tmp/pick-serial/intervals/icount" | wc -l)" = 3 ] &&
   cmp -s "$tmp/pick-serial/intervals/icount/000002.txt" "$tmp/p1/intervals/icount/000002.txt" &&
   cmp -s "$tmp/pick-serial/intervals/icount/000003.txt" "$tmp/p1/intervals/icount/000003.txt" &&
   cmp -s "$tmp/pick-serial/intervals/icount/000004.txt" "$tmp/p1/intervals/icount/000004.txt"; then
	ok "--serial --intervals 2-4: exit 0, the same three icount files as -j 1's"
else
	not_ok "--serial --intervals 2-4 (exit $rc)" "$tmp/pick-serial.err"
fi
expect "--serial --intervals 2,4 (not one range)" 2 "give --intervals as one range" \
	"$tmp/rec" --serial --intervals 2,4

# ---- a checkpoint event with the wrong state hash ----
k=$((n / 2))
ev=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print([i for i, e in enumerate(d["event_list"])
       if e["kind"] == "checkpoint" and e["details"].startswith("#%s " % sys.argv[2])][0])' \
	"$tmp/rec.json" $k)
rm -rf "$tmp/bad" && cp -r "$tmp/rec" "$tmp/bad"
"$EDIT" "$tmp/bad" "$ev" state-hash || not_ok "rr-edit $tmp/bad $ev state-hash"
sim bad "$tmp/bad" -j 3 --plugin icount --plugin coverage -o "$tmp/badout"
others=$(seq 0 $last | grep -vxE "$((k - 1))|$k" | tr '\n' ' ')
if [ $rc = 1 ] &&
   grep -qE "interval $((k - 1)) FAILED: diverged at instruction [0-9]+.*checkpoint $k \(event $ev\).*state hash" "$tmp/bad.err" &&
   grep -qE "interval $k FAILED: could not start at checkpoint $k" "$tmp/bad.err" &&
   grep -qE "checkpoint $k and its event in the log disagree" "$tmp/bad.err" &&
   [ "$(grep -c FAILED: "$tmp/bad.err")" = 2 ]; then
	ok "checkpoint $k's event (event $ev) with a flipped state hash: exit 1, intervals $((k - 1)) and $k FAILED"
	grep -E "interval $((k - 1)) FAILED" "$tmp/bad.err" | cut -c1-200 | sed 's/^/#   /'
	grep -E "checkpoint $k and its event" "$tmp/bad.err" | cut -c1-200 | sed 's/^/#   /'
else
	not_ok "checkpoint $k's event with a flipped state hash (exit $rc)" "$tmp/bad.err"
fi
if summary_is "$tmp/badout/summary.txt" "$all" "$((k - 1)) $k" 2>"$tmp/check.err"; then
	ok "  ...the summary: intervals $((k - 1)) and $k FAILED, the other $((n - 2)) exact"
else
	not_ok "  ...the summary" "$tmp/check.err"
fi
kept=$(ls "$tmp/badout/intervals/icount" 2>/dev/null | sed 's/^0*\([0-9]\)/\1/; s/\.txt$//' | tr '\n' ' ')
if [ ! -e "$tmp/badout/icount.txt" ] && [ ! -e "$tmp/badout/coverage.txt" ] &&
   grep -q "outputs not merged because intervals failed" "$tmp/bad.err" && [ "$kept" = "$others" ]; then
	ok "  ...no merged outputs; OUT/intervals/ keeps the $((n - 2)) that succeeded"
else
	not_ok "  ...merged outputs after a failure (intervals kept: $kept)" "$tmp/bad.err"
fi

# ---- bad usage ----
expect "an unknown plugin" 2 "unknown plugin 'nosuch'" "$tmp/rec" --plugin nosuch -o "$tmp/u"
expect "a plugin .so that does not exist" 2 "cannot load plugin $tmp/nosuch.so: .*No such file" \
	"$tmp/rec" --plugin "$tmp/nosuch.so" -o "$tmp/u"
expect "a plugin path that is not a shared object" 2 "cannot load plugin $ECHO_GUEST" \
	"$tmp/rec" --plugin "$ECHO_GUEST" -o "$tmp/u"
# A plugin built for API 1, whose callbacks had no vCPU argument: built
# the way the Makefile builds examples/plugins, with the version an API 1
# header put there.
cat >"$tmp/api1.c" <<'EOF'
#include "encore/plugin.h"
const struct encore_plugin encore_plugin = { .api_version = 1, .name = "old", .suffix = "txt" };
EOF
if ${CC:-cc} -std=gnu11 -shared -fPIC -Iinclude "$tmp/api1.c" -o "$tmp/api1.so" 2>"$tmp/api1.err"; then
	expect "a plugin built for API 1" 2 \
		"^encore simulate: plugin $tmp/api1.so was built for plugin API 1; this encore speaks API 5 \(callbacks name their vCPU\): rebuild it against include/encore/plugin.h$" \
		"$tmp/rec" --plugin "$tmp/api1.so" -o "$tmp/u"
else
	skip "a plugin built for API 1" "no C compiler to build one ($(head -c 100 "$tmp/api1.err"))"
fi
# Plugins built for APIs 2 and 3 run as they are: encore reads no field
# a later API added (here the place of the first such field holds a
# non-NULL pointer: on_block_decoded without an on_block_ran, which
# encore would refuse from an API 3 plugin, or an on_cpl_change that would
# crash if called).
old_plugin() { # VERSION FIELD-INITIALISER
	cat <<EOF
#include <stdlib.h>
#include "encore/plugin.h"
struct calls { FILE *out; unsigned long long n; };
static void *create(const struct encore_plugin_env *env, char *err, size_t errlen)
{
	struct calls *c = calloc(1, sizeof(*c));
	(void)err; (void)errlen;
	if (c)
		c->out = env->out;
	return c;
}
static void destroy(void *self) { free(self); }
static void on_insn(void *self, unsigned vcpu, uint64_t icount, uint64_t rip,
		    const uint8_t *bytes, unsigned len, unsigned cpl)
{
	(void)vcpu; (void)icount; (void)rip; (void)bytes; (void)len; (void)cpl;
	((struct calls *)self)->n++;
}
static int end(void *self, const struct encore_interval *iv, char *err, size_t errlen)
{
	(void)iv; (void)err; (void)errlen;
	fprintf(((struct calls *)self)->out, "insn_calls %llu\\n", ((struct calls *)self)->n);
	return 0;
}
const struct encore_plugin encore_plugin = {
	.api_version = $1, .name = "old$1", .suffix = "txt", .create = create, .destroy = destroy,
	.interval_end = end, .on_insn = on_insn, .merge_kind = ENCORE_MERGE_COUNTERS,
	$2,
};
EOF
}
for v in 2 3 4; do
	if [ $v = 2 ]; then
		field='.on_block_decoded = (void *(*)(void *, unsigned, const struct encore_code_block *))1'
	elif [ $v = 4 ]; then
		field='.count_runs = false'
	else
		field='.on_cpl_change = (void (*)(void *, unsigned, uint64_t, unsigned))1'
	fi
	old_plugin $v "$field" >"$tmp/api$v.c"
	if ${CC:-cc} -std=gnu11 -shared -fPIC -Iinclude "$tmp/api$v.c" -o "$tmp/api$v.so" \
		2>"$tmp/api$v.err"; then
		"$ENCORE" simulate -q "$tmp/rec" -j 2 --plugin "$tmp/api$v.so" -o "$tmp/api${v}out" \
			>/dev/null 2>"$tmp/api$v.run" </dev/null
		rc=$?
		calls=$(sed -n 's/^insn_calls //p' "$tmp/api${v}out/old$v.txt" 2>/dev/null)
		if [ $rc = 0 ] && [ "${calls:-0}" -gt 0 ]; then
			ok "a plugin built for API $v runs as it is: exit 0, $calls on_insn calls"
		else
			not_ok "a plugin built for API $v (exit $rc, calls '$calls')" "$tmp/api$v.run"
		fi
	else
		skip "a plugin built for API $v" "no C compiler to build one ($(head -c 100 "$tmp/api$v.err"))"
	fi
done
expect "coverage,cpl=bogus" 2 "cpl=bogus: want kernel, user or all" \
	"$tmp/rec" --plugin coverage,cpl=bogus -o "$tmp/u"
expect "hotspots,map=/nonexistent" 2 "map=/nonexistent: .*No such file" \
	"$tmp/rec" --plugin hotspots,map=/nonexistent -o "$tmp/u"
expect "hotspots,top=0" 2 "top=0: want" "$tmp/rec" --plugin hotspots,top=0 -o "$tmp/u"
expect "memtrace,level=23" 2 "level=23: want" "$tmp/rec" --plugin memtrace,level=23 -o "$tmp/u"
expect "icount,foo (an option that is not key=value)" 2 "plugin icount: option 'foo' is not key=value" \
	"$tmp/rec" --plugin icount,foo -o "$tmp/u"
expect "icount,bar=1 (an option icount does not have)" 2 "unknown option 'bar'" \
	"$tmp/rec" --plugin icount,bar=1 -o "$tmp/u"
# Far past the last (how many intervals there are depends on how long the
# typing pauses take, so no fixed number is sure to be out of range).
far=$((n + 1000))
expect "--intervals $far" 2 "has intervals 0 to $last; --intervals $far names others" \
	"$tmp/rec" --intervals $far
expect "--intervals $n (one past the last)" 2 "has intervals 0 to $last" "$tmp/rec" --intervals $n
expect "--intervals 3-1" 2 "--intervals wants a list" "$tmp/rec" --intervals 3-1
expect "--intervals 1," 2 "--intervals wants a list" "$tmp/rec" --intervals 1,
expect "plugins without -o" 2 "give one with -o OUT" "$tmp/rec" --plugin icount
expect "-j 0" 2 "-j wants 1 to 1024" "$tmp/rec" -j 0
expect "a directory that is not a recording" 2 "$tmp/j3: cannot open meta" "$tmp/j3"
expect "no recording" 2 "give one recording directory" -j 1
[ ! -e "$tmp/u" ] && ok "  ...none of them created the -o directory" ||
	not_ok "  ...a usage error created the -o directory"

finish
