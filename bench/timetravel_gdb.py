# Latencies of time travel, measured inside Debian's gdb attached to
# `encore replay --gdb` (bench/timetravel.sh): at positions drawn from a
# fixed seed, each after a `monitor goto` there, the time of one stepi, of
# two reverse-stepi in a row, and of a reverse-continue to the previous
# hit of a breakpoint.  Prints one JSON line.
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


def measure(end, breakpoint, samples):
    rnd = random.Random(20261207)
    out = {'stepi': [], 'reverse-stepi-1': [], 'reverse-stepi-2': [], 'reverse-continue': [],
           'reverse-continue-distance': []}
    for _ in range(samples):
        goto(rnd.randrange(end // 10, end - 1000))
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
