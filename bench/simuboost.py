#!/usr/bin/env python3
# The SimuBoost model (Rittinghaus et al.): the wall time of simulating a
# recorded execution in n intervals on W workers, from measured costs.
# Used by bench/sim.sh and bench/sim_cluster.sh:
#   simuboost.py T_VM N T_CHECKPOINT LOAD_MS SLOWDOWN MEASURED_1 MEASURED_2 NSEL
#                [MEASURED_ONLINE_2]
# MEASURED_k: measured offline simulation seconds with k workers (after
# the recording); MEASURED_ONLINE_2: measured wall of record --simulate -j 2.
import heapq, math, sys
t_vm, n, tc, load_ms, slow, m1, m2, nsel = (float(x) for x in sys.argv[1:9])  # m1, m2 < 0: not measured
online2 = float(sys.argv[9]) if len(sys.argv) > 9 else None
n, nsel = int(n), int(nsel)
load = load_ms / 1000
L = t_vm / n          # virtual-machine seconds per interval

def makespan(workers, n, L, online):
    # Interval i can start once recorded (online: while the VM runs on),
    # or once the whole recording is (offline, as encore simulate does).
    free = [0.0] * min(workers, n)
    end = 0.0
    for i in range(n):
        ready = (i + 1) * (L + tc) if online else n * (L + tc)
        start = max(ready, heapq.heappop(free))
        done = start + load + slow * L
        heapq.heappush(free, done)
        end = max(end, done)
    return end

print("Measured inputs: T_vm = %.2f s (the recording's wall time, on the interpreter: on a host "
      "with VT-x T_vm would be the hardware-speed run), n = %d intervals of L = %.3f s, "
      "t_checkpoint = %.2f ms, t_load = %.2f ms (mean restore per interval), "
      "slowdown = %.1f (memtrace simulation time per second of T_vm)." %
      (t_vm, n, L, tc * 1e3, load * 1e3, slow))
print()
print("Model: total = T_vm + n t_checkpoint + t_load + slowdown L with a worker per interval;")
print("with W workers, intervals queue for them (list scheduling, computed below).  Online =")
print("SimuBoost (an interval is simulated as soon as it is recorded); offline = encore today")
print("(record, then `encore simulate`).  Best L = sqrt(T_vm t_checkpoint / slowdown).")
print()
print("| workers | model offline s | model online s | online with best L s (best L, n) | measured offline s | measured online s |")
print("|---|---|---|---|---|---|")
serial = slow * t_vm
best_L = math.sqrt(t_vm * tc / slow) if tc > 0 else L
best_n = max(1, round(t_vm / best_L))
measured = {k: v for k, v in ((1, m1), (2, m2)) if v >= 0} if nsel == n else {}
for w in (1, 2, 8, 64, 512):
    meas = "%.1f (%.1f + %.1f)" % (t_vm + measured[w], t_vm, measured[w]) if w in measured else ""
    bl = makespan(w, best_n, t_vm / best_n, True)
    on = "%.1f" % online2 if w == 2 and online2 is not None else ""
    print("| %d | %.1f | %.1f | %.1f (%.3f s, %d) | %s | %s |" % (
        w, makespan(w, n, L, False), makespan(w, n, L, True), bl, t_vm / best_n, best_n, meas,
        on))
print()
print("Simulating the whole execution serially, with no recording, would take slowdown T_vm = %.1f s." % serial)
if nsel != n:
    print("(Measured points only when every interval is simulated: set BENCH_SIM_INTERVALS "
          "unset.)")
