# Checks that run inside Debian's gdb (gdb -batch -x THIS -ex 'python ...')
# against `encore replay --gdb`.  Each prints "CHECK OK NAME ..." or
# "CHECK FAIL NAME: why"; the shell test counts them.
import re

import gdb

REGS = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10',
        'r11', 'r12', 'r13', 'r14', 'r15', 'rip', 'eflags', 'cs', 'ss', 'ds', 'es',
        'fs', 'gs', 'fs_base', 'gs_base', 'mxcsr', 'fstat', 'fctrl']


def run(cmd):
    return gdb.execute(cmd, to_string=True)


def regs():
    return tuple(int(gdb.parse_and_eval('$' + r)) & (2**64 - 1) for r in REGS)


def when():
    return run('monitor when')


def pos():
    m = re.search(r'at instruction (\d+)', when())
    return int(m.group(1)) if m else None


def state():
    return (pos(), regs())


def ok(name, detail=''):
    print('CHECK OK %s %s' % (name, detail))


def fail(name, why):
    print('CHECK FAIL %s: %s' % (name, why))


def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i, x, y
    return None


def step_check(name, n):
    """n stepi, then n reverse-stepi: the same positions and registers."""
    fwd = [state()]
    for _ in range(n):
        run('stepi')
        fwd.append(state())
    back = [state()]
    for _ in range(n):
        run('reverse-stepi')
        back.append(state())
    back.reverse()
    start = fwd[0][0]
    if [p for p, _ in fwd] != list(range(start, start + n + 1)):
        return fail(name, 'forward positions are not consecutive: %s' % [p for p, _ in fwd][:8])
    d = first_difference(fwd, back)
    if d:
        i, x, y = d
        return fail(name, 'step %d differs: forward %s, reverse %s' % (i, x, y))
    ok(name, 'positions %d..%d, %d registers each' % (start, start + n, len(REGS)))


def breaks_check(name, where, n):
    """Continue to n hits of a breakpoint (a function, or *ADDRESS), then
    reverse-continue back through them: each reverse stop is the earlier
    forward stop."""
    bp = gdb.Breakpoint(where)
    if where.startswith('*'):
        addr = int(where[1:], 0)
    else:
        addr = int(gdb.parse_and_eval('(long)&%s' % where)) & (2**64 - 1)
    hits = []
    for _ in range(n):
        run('continue')
        pc = int(gdb.parse_and_eval('$pc')) & (2**64 - 1)
        if pc != addr:
            bp.delete()
            return fail(name, 'continue stopped at %#x, not at the breakpoint %#x' % (pc, addr))
        hits.append(state())
    for i in range(n - 2, -1, -1):
        run('reverse-continue')
        got = state()
        if got != hits[i]:
            bp.delete()
            return fail(name, 'reverse-continue #%d stopped at %s, hit %d was at %s'
                        % (n - 1 - i, got[0], i, hits[i][0]))
    bp.delete()
    ok(name, 'hits at %s' % [p for p, _ in hits])


def value(expr):
    return int(gdb.parse_and_eval(expr))


def watch_check(name, expr):
    """A write watchpoint stops after the writing instruction going
    forward, before it in reverse: one stepi apart, old and new value."""
    wp = gdb.Breakpoint(expr, gdb.BP_WATCHPOINT, gdb.WP_WRITE)
    run('continue')
    p1, v1 = pos(), value(expr)
    run('continue')
    p2, v2 = pos(), value(expr)
    run('reverse-continue')
    p3, v3 = pos(), value(expr)
    wp.delete()
    if p3 != p2 - 1 or v3 != v1 or v2 == v1:
        return fail(name, 'forward hits at %d (%d) and %d (%d), reverse stop at %d (%d)'
                    % (p1, v1, p2, v2, p3, v3))
    run('stepi')
    p4, v4 = pos(), value(expr)
    if p4 != p2 or v4 != v2:
        return fail(name, 'stepping the writing instruction went to %d (%d), not %d (%d)'
                    % (p4, v4, p2, v2))
    ok(name, 'writes at %d and %d, reverse stop before the second' % (p1 - 1, p2 - 1))


def goto(target):
    """monitor goto moves the machine behind gdb's back: gdb must drop
    the registers and frames it read before."""
    out = run('monitor goto %s' % target)
    run('maintenance flush register-cache')
    return out


def expect_error(name, cmd, pattern):
    try:
        out = run(cmd)
    except gdb.error as e:
        out = str(e)
    if re.search(pattern, out):
        ok(name, repr(out.strip()[:80]))
    else:
        fail(name, 'no %r in %r' % (pattern, out[:300]))


def function_name():
    f = gdb.selected_frame().function()
    return f.name if f else '?'


def finish_check(name, where):
    """reverse-finish from inside a function goes back to its caller,
    before the call; finish then reverse-nexti steps back over the whole
    call to the call instruction, just before the function's entry."""
    bp = gdb.Breakpoint(where)
    run('continue')
    bp.delete()
    entry = pos()
    for _ in range(3):
        run('stepi')
    run('reverse-finish')
    back, caller = pos(), function_name()
    goto(entry)
    run('finish')
    after = pos()
    run('reverse-nexti')
    call, call_in = pos(), function_name()
    if not (entry - 64 < back < entry) or caller == where or after <= entry or \
            call != entry - 1 or call_in != caller:
        return fail(name, 'entry %d: reverse-finish to %d in %s, finish to %d, reverse-nexti '
                    'to %d in %s' % (entry, back, caller, after, call, call_in))
    ok(name, '%s called at %d from %s, returned at %d' % (where, call, caller, after))


def memory_checkpoint_check(name, at, steps):
    """monitor checkpoint keeps the machine in memory; going back to it
    (from far away) gives the same machine, and steps back and forth
    from there, each starting from that copy, agree."""
    goto(at)
    before = state()
    out = run('monitor checkpoint')
    m = re.search(r'checkpoint (m\d+) kept in memory at instruction (\d+)', out)
    if not m or int(m.group(2)) != at:
        return fail(name, 'monitor checkpoint said %r' % out)
    if not re.search(r'%s +instruction %d' % (m.group(1), at), run('monitor info checkpoints')):
        return fail(name, 'info checkpoints does not list %s' % m.group(1))
    goto('start')
    goto(at)
    if state() != before:
        return fail(name, 'back at %d from the copy, the machine differs' % at)
    run('stepi')
    step_check(name + ': steps from it', steps)
    ok(name, '%s at %d' % (m.group(1), at))


def end_check(name, end):
    """continue runs to the end of the replay (a cut-short recording's
    last complete point), stays there, and steps back from it."""
    out = run('continue')
    at_end = pos()
    run('stepi')
    still = pos()
    run('reverse-stepi')
    back = pos()
    if at_end != end or still != end or back != end - 1:
        return fail(name, 'continue to %d (want %d), stepi to %d, reverse-stepi to %d (%r)'
                    % (at_end, end, still, back, out[-100:]))
    ok(name, 'at %d' % end)


def threads_check(name, nvcpus):
    """Each vCPU is a gdb thread, with registers of its own."""
    out = run('info threads')
    ids = sorted(set(int(t) for t in re.findall(r'Thread (\d+)', out)))
    if ids != list(range(1, nvcpus + 1)):
        return fail(name, 'threads %s, want 1..%d (%r)' % (ids, nvcpus, out[:200]))
    stacks = []
    for t in ids:
        run('thread %d' % t)
        stacks.append(int(gdb.parse_and_eval('$rsp')) & (2**64 - 1))
    if len(set(stacks)) != nvcpus:
        return fail(name, 'the threads share a stack pointer: %s' % [hex(s) for s in stacks])
    ok(name, 'stacks %s' % [hex(s) for s in stacks])


def monitor_check(name, at, phys):
    """monitor regs, phys and hash: the control registers are there,
    physical memory reads what gdb reads through the page tables (the
    guest maps `phys` one to one), and the state hash at a place is the
    same every time the replay gets there."""
    goto(at)
    regs_out = run('monitor regs')
    if not re.search(r'cr0 0x[0-9a-f]+ .*cr3 0x[0-9a-f]+ .*efer 0x', regs_out):
        return fail(name, 'monitor regs: %r' % regs_out[:200])
    dump = run('monitor phys %#x 16' % phys).split(':', 1)[1].split()
    mem = run('x/16xb %#x' % phys)
    want = [b[2:] for b in re.findall(r'0x[0-9a-f]{2}\b', mem.split(':', 1)[1])]
    if dump != want:
        return fail(name, 'monitor phys %s, x/16xb %s' % (dump, want))
    h1 = re.search(r'state hash ([0-9a-f]{16})', run('monitor hash')).group(1)
    goto(at + 5000)
    h2 = re.search(r'state hash ([0-9a-f]{16})', run('monitor hash')).group(1)
    goto('start')
    goto(at)
    h3 = re.search(r'state hash ([0-9a-f]{16})', run('monitor hash')).group(1)
    if h1 != h3 or h1 == h2:
        return fail(name, 'hash at %d: %s then %s; %d later: %s' % (at, h1, h3, 5000, h2))
    ok(name, 'hash %s at %d both times' % (h1, at))
