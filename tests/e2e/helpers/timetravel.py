# Checks that run inside Debian's gdb (gdb -batch -x THIS -ex 'python ...')
# against `encore replay --gdb`.  Each prints "CHECK OK NAME ..." or
# "CHECK FAIL NAME: why"; the shell test counts them.  The registers
# compared are those of gdb's current architecture: x86-64 (gdb.sh) or
# AArch64 (arm64_gdb.sh, with gdb-multiarch).
import re
from collections import namedtuple

import gdb

REGS = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10',
        'r11', 'r12', 'r13', 'r14', 'r15', 'rip', 'eflags', 'cs', 'ss', 'ds', 'es',
        'fs', 'gs', 'fs_base', 'gs_base', 'mxcsr', 'fstat', 'fctrl']
# encore's aarch64 target description (src/arch/arm64/arm64_gdb.c): the
# core registers, then the SIMD&FP ones (each v register a union of its
# lanes, as on hardware; read whole through .q.u[0]).
A64_REGS = (['x%d' % k for k in range(31)] + ['sp', 'pc', 'cpsr', 'fpsr', 'fpcr'] +
            ['v%d' % k for k in range(32)])
# Per architecture: the registers compared, the stack pointer, and what
# `monitor regs` must show.
Arch = namedtuple('Arch', 'regs sp monitor_regs')
X86_64 = Arch(REGS, 'rsp', re.compile(r'cr0 0x[0-9a-f]+ .*cr3 0x[0-9a-f]+ .*efer 0x'))
ARCHS = {  # by gdb's name; any other is x86-64
    'aarch64': Arch(A64_REGS, 'sp', re.compile(
        r'sctlr_el1 0x[0-9a-f]+ .*ttbr0_el1 0x[0-9a-f]+ .*vbar_el1 0x', re.S)),
}


def arch():
    return ARCHS.get(gdb.selected_frame().architecture().name(), X86_64)


def run(cmd):
    return gdb.execute(cmd, to_string=True)


def uval(expr):
    """A gdb expression's value as an unsigned number of its size (Python's
    int() of a value stops at 8 bytes, so an AArch64 v register, a union
    of its lanes, is read whole as hex)."""
    v = gdb.parse_and_eval(expr)
    if v.type.strip_typedefs().code == gdb.TYPE_CODE_UNION:
        v = v['q']['u'][0]
    if v.type.sizeof > 8:
        return int(v.format_string(format='x'), 16)
    return int(v) & ((1 << 8 * v.type.sizeof) - 1)


def reg(name):
    return uval('$' + name)


def regs():
    return tuple(reg(r) for r in arch().regs)


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


def there_and_back(n, look):
    """look() at each of n stepi, then at each of n reverse-stepi: the
    two lists, the reverse one in forward order."""
    fwd = [look()]
    for _ in range(n):
        run('stepi')
        fwd.append(look())
    back = [look()]
    for _ in range(n):
        run('reverse-stepi')
        back.append(look())
    back.reverse()
    return fwd, back


def step_check(name, n):
    """n stepi, then n reverse-stepi: the same positions and registers."""
    fwd, back = there_and_back(n, state)
    start = fwd[0][0]
    if [p for p, _ in fwd] != list(range(start, start + n + 1)):
        return fail(name, 'forward positions are not consecutive: %s' % [p for p, _ in fwd][:8])
    d = first_difference(fwd, back)
    if d:
        i, x, y = d
        return fail(name, 'step %d differs: forward %s, reverse %s' % (i, x, y))
    ok(name, 'positions %d..%d, %d registers each' % (start, start + n, len(arch().regs)))


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
        stacks.append(reg(arch().sp))
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
    if not arch().monitor_regs.search(regs_out):
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


# ---- for arm64_gdb.sh (any architecture unless named) ----

def stop_where():
    """(instruction, vCPU, PC) as `monitor when` says."""
    m = re.search(r'at instruction (\d+) \(vCPU (\d+) at \w+ (0x[0-9a-f]+|0)\)', when())
    return int(m.group(1)), int(m.group(2)), int(m.group(3), 16)




def sysregs():
    """`monitor regs` as {name: value}: the vCPU of gdb's last Hg (the last
    thread whose registers gdb fetched), not necessarily its selected one."""
    out = run('monitor regs')
    got = {k: int(v, 0) for k, v in re.findall(r'\b([a-z][a-z0-9_]*) (0x[0-9a-f]+|\d+)\b', out)}
    got['vcpu'] = int(re.search(r'vCPU (\d+)', out).group(1))
    return got


def regs_check(name):
    """Every register of the architecture is listed by `info all-registers`
    and readable, and gdb's PC is the one `monitor when` names."""
    listed = set(re.findall(r'^(\w+)\s', run('info all-registers'), re.M))
    missing = [r for r in arch().regs if r not in listed]
    if missing:
        return fail(name, 'info all-registers lacks %s' % missing)
    try:
        values = dict(zip(arch().regs, regs()))
    except gdb.error as e:
        return fail(name, 'a register does not read: %s' % e)
    at, _, pc = stop_where()
    if reg('pc') != pc:
        return fail(name, 'gdb pc %#x, monitor when %#x' % (reg('pc'), pc))
    ok(name, '%d registers at instruction %d: pc %#x sp %#x %s' % (
        len(values), at, pc, reg(arch().sp),
        ' '.join('%s %#x' % (r, uval('$' + r)) for r in ('cpsr', 'fpsr', 'fpcr', 'v0') if r in values)))


def a64_types_check(name):
    """The AArch64 registers have gdb's own types: cpsr prints its flags by
    name, and a v register's lanes of every size ($v0.d.u, .s.u, .b.u)
    and gdb's pseudo-registers d0 and s0 agree with the whole register."""
    cpsr = run('p $cpsr')
    if 'EL=' not in cpsr:
        return fail(name, 'p $cpsr shows no flags: %s' % cpsr.strip())
    whole = reg('v0.q.u[0]')
    lanes = {
        'v0.d.u[1]': whole >> 64, 'v0.s.u[1]': (whole >> 32) & 0xffffffff,
        'v0.b.u[15]': whole >> 120, 'd0': whole & (2**64 - 1),
        's0': whole & 0xffffffff,
    }
    for expr, want in lanes.items():
        got = uval('$' + expr) if expr[0] != 'd' and expr[0] != 's' else uval('$%s.u' % expr)
        if got != want:
            return fail(name, '$%s is %#x, but v0 is %#x' % (expr, got, whole))
    ok(name, '%s; v0 %#x' % (cpsr.split('=', 1)[1].strip(), whole))


def sysregs_check(name, want):
    """`monitor regs` shows the system registers, and each in `want`
    holds the value of the gdb expression beside it."""
    got = sysregs()
    bad = []
    for k, expr in sorted(want.items()):
        v = uval(expr)
        if got.get(k) != v:
            bad.append('%s is %s, %s is %#x' % (k, hex(got[k]) if k in got else 'missing', expr, v))
    if bad:
        return fail(name, '; '.join(bad))
    ok(name, ', '.join('%s %#x' % (k, got[k]) for k in sorted(want)))


def a64_irq_entry_check(name, vectors, offset, steps):
    """AArch64: the next IRQ, taken at the vector `vectors`+offset (the
    guest's VBAR_EL1).  A breakpoint on the vector's second instruction
    stops there (the first is sub sp); reverse-stepi goes back out of the
    vector to the interrupted instruction: IRQs unmasked there, its PC and
    PSTATE the ones the entry saved in ELR_EL1 and SPSR_EL1, x0..x30
    unchanged; stepi from there comes back to the same state; and steps
    both ways around the entry agree."""
    vec = vectors + offset
    bp = gdb.Breakpoint('*%#x' % (vec + 4))
    run('continue')
    bp.delete()
    p, pc = pos(), reg('pc')
    if pc != vec + 4:
        return fail(name, 'continue stopped at %#x (instruction %s), not at %#x' % (pc, p, vec + 4))
    entry, saved, cpsr_in = state(), sysregs(), uval('$cpsr')
    back = 0
    while vectors <= reg('pc') < vectors + 0x800 and back < 3:
        run('reverse-stepi')
        back += 1
    q, qpc, qcpsr = pos(), reg('pc'), uval('$cpsr')
    before = state()
    bad = []
    if saved['vbar_el1'] != vectors:
        bad.append('VBAR_EL1 %#x, not %#x' % (saved['vbar_el1'], vectors))
    if q != p - back:
        bad.append('%d reverse-stepi went from %d to %d' % (back, p, q))
    if qcpsr & 0x80:
        bad.append('IRQs masked at %#x (cpsr %#x)' % (qpc, qcpsr))
    if saved['elr_el1'] != qpc or saved['spsr_el1'] != qcpsr:
        bad.append('ELR_EL1 %#x SPSR_EL1 %#x, but before the entry pc %#x cpsr %#x' %
                   (saved['elr_el1'], saved['spsr_el1'], qpc, qcpsr))
    if cpsr_in & 0x3cf != 0x3c5:
        bad.append('in the vector cpsr %#x: not EL1h with DAIF masked' % cpsr_in)
    if before[1][:31] != entry[1][:31]:
        bad.append('x0..x30 differ between %d and %d' % (q, p))
    for _ in range(back):
        run('stepi')
    if state() != entry:
        bad.append('stepi from %d went to %s, not the entry state at %d' % (q, pos(), p))
    if bad:
        return fail(name, '; '.join(bad))
    ok(name, 'IRQ taken at %#x (instruction %d), in the vector at %d: %d reverse-stepi back, '
       'ELR_EL1 %#x SPSR_EL1 %#x' % (qpc, q, p, back, saved['elr_el1'], saved['spsr_el1']))
    goto(q - steps // 2)
    step_check(name + ': %d steps both ways across the entry' % steps, steps)


def thread_regs_check(name, nvcpus):
    """AArch64: each vCPU is a gdb thread whose registers are its own:
    `monitor regs` while gdb reads thread N's registers (the thread of
    its last Hg) is vCPU N-1's, with gdb's stack pointer and cpsr; the
    threads' PCs and stack pointers differ."""
    rows = []
    for t in range(1, nvcpus + 1):
        run('thread %d' % t)
        run('maintenance flush register-cache')  # gdb reads them again, after Hg
        pc, sp, cpsr = reg('pc'), reg('sp'), uval('$cpsr')
        s = sysregs()
        cur_sp = s['sp_el1'] if s['pstate'] & 0xf == 0x5 else s['sp_el0']
        if s['vcpu'] != t - 1 or cur_sp != sp or s['pstate'] != cpsr:
            return fail(name, 'thread %d: monitor regs vCPU %d sp %#x pstate %#x; gdb sp %#x cpsr %#x'
                        % (t, s['vcpu'], cur_sp, s['pstate'], sp, cpsr))
        rows.append((pc, sp))
    if len(set(r[0] for r in rows)) != nvcpus or len(set(r[1] for r in rows)) != nvcpus:
        return fail(name, 'threads share a pc or sp: %s' % rows)
    ok(name, ', '.join('thread %d pc %#x sp %#x' % (t + 1, pc, sp) for t, (pc, sp) in enumerate(rows)))


def thread_stops_check(name, n):
    """n stepi then n reverse-stepi across a switch between vCPUs: at each
    stop gdb's thread is the vCPU that `monitor when` names, with that
    vCPU's PC, and positions, threads and registers agree both ways."""
    def look():
        p, v, pc = stop_where()
        return (p, gdb.selected_thread().num, v + 1, reg('pc'), pc, regs())
    fwd, back = there_and_back(n, look)
    for p, thread, want_thread, pc, want_pc, _ in fwd + back:
        if thread != want_thread or pc != want_pc:
            return fail(name, 'at %d gdb shows thread %d at pc %#x; encore: vCPU %d at %#x'
                        % (p, thread, pc, want_thread - 1, want_pc))
    vcpus = sorted(set(x[2] - 1 for x in fwd))
    if len(vcpus) < 2:
        return fail(name, 'only vCPU %s ran in %d..%d' % (vcpus, fwd[0][0], fwd[-1][0]))
    d = first_difference(fwd, back)
    if d:
        return fail(name, 'step %d differs: forward %s, reverse %s' % (d[0], d[1][:5], d[2][:5]))
    ok(name, 'positions %d..%d, vCPUs %s' % (fwd[0][0], fwd[-1][0], vcpus))


def thread_break_check(name, where, thread):
    """With thread 1 selected, continue to a breakpoint that only `thread`
    reaches: gdb stops there, in that thread, where encore is."""
    run('thread 1')
    bp = gdb.Breakpoint(where)
    addr = int(gdb.parse_and_eval('(long)&%s' % where)) & (2**64 - 1)
    run('continue')
    bp.delete()
    p, v, want_pc = stop_where()
    got, pc = gdb.selected_thread().num, reg('pc')
    if got != thread or pc != addr or want_pc != addr or v != thread - 1:
        return fail(name, 'stopped at %d: gdb thread %d at %#x; encore vCPU %d at %#x; want thread '
                    '%d at %#x' % (p, got, pc, v, want_pc, thread, addr))
    ok(name, 'thread %d at %#x, instruction %d' % (thread, addr, p))
