# Latencies of time travel, measured inside Debian's gdb attached to
# `encore replay --gdb` (bench/timetravel.sh): at positions drawn from a
# fixed seed, the time of a `monitor goto` there (a restore and a
# replay), then of one stepi, of two reverse-stepi in a row, and of a
# reverse-continue to the previous hit of a breakpoint (measure); and at
# a breakpoint's first hit, the same steps as on QEMU's replay
# (at_first_hit).  Prints JSON lines.
import json
import random
import re
import time

import gdb


def run(cmd):
    return gdb.execute(cmd, to_string=True)


def pos():
    return int(re.search(r'at instruction (\d+)', run('monitor when')).group(1))


def goto(p):
    run('monitor goto %d' % p)
    run('maintenance flush register-cache')


def timed(cmd):
    t = time.perf_counter()
    run(cmd)
    return time.perf_counter() - t


def at_first_hit(breakpoint, label):
    """From the start: continue to the breakpoint's first hit, then three
    stepi and three reverse-stepi there (the same on QEMU's replay)."""
    out = {'continue': [], 'stepi': [], 'reverse-stepi': []}
    run('break *%s' % breakpoint)
    out['continue'].append(timed('continue'))
    run('delete')
    for _ in range(3):
        out['stepi'].append(timed('stepi'))
    for _ in range(3):
        out['reverse-stepi'].append(timed('reverse-stepi'))
    print('FIRSTHIT %s %s' % (label, json.dumps(out)))


def measure(end, breakpoint, samples):
    rnd = random.Random(20261207)
    out = {'stepi': [], 'reverse-stepi-1': [], 'reverse-stepi-2': [], 'reverse-continue': [],
           'reverse-continue-distance': []}
    out['goto'] = []
    for _ in range(samples):
        t = time.perf_counter()
        goto(rnd.randrange(end // 10, end - 1000))
        out['goto'].append(time.perf_counter() - t)
        out['stepi'].append(timed('stepi'))
        out['reverse-stepi-1'].append(timed('reverse-stepi'))
        out['reverse-stepi-2'].append(timed('reverse-stepi'))
    run('break *%s' % breakpoint)
    for _ in range(samples):
        p = rnd.randrange(end // 2, end - 1000)
        goto(p)
        out['reverse-continue'].append(timed('reverse-continue'))
        out['reverse-continue-distance'].append(p - pos())
    run('delete')
    print('RESULT ' + json.dumps(out))
