/*
 * strings: REP MOVSB/MOVSQ/STOSB/STOSQ/CMPSB/SCASB with DF=0 and DF=1,
 * counts 0, 1 and 64 KiB (crossing many 4 KiB pages), overlapping copies
 * (which must behave element by element), final RSI/RDI/RCX and flags, and
 * a page fault in the middle of a REP that must leave RCX/RSI/RDI at the
 * faulting element and resume correctly.  Runs on our own 4 KiB tables.
 */
#include "rt.h"

#define BIG 0x10000ul
#define BUFSZ (BIG + 0x2000)
#define W_BASE 0x40000000ul /* three pages: present, absent, present */

static u8 bufa[BUFSZ] ALIGNED(4096);
static u8 bufb[BUFSZ] ALIGNED(4096);
static u64 *pml4;

struct sregs {
	u64 rdi, rsi, rcx, rax, rflags;
};

/* Run one string instruction with all inputs, flags included, from r. */
#define DEF_STROP(name, insn) \
	static void name(struct sregs *r) \
	{ \
		u64 di = r->rdi, si = r->rsi, cx = r->rcx, ax = r->rax, fl = r->rflags; \
		asm volatile("push %[fl]\n\t" \
			     "popfq\n\t" insn "\n\t" \
			     "pushfq\n\t" \
			     "pop %[fl]\n\t" \
			     "cld" \
			     : "+D"(di), "+S"(si), "+c"(cx), "+a"(ax), [fl] "+r"(fl) \
			     : \
			     : "memory", "cc"); \
		r->rdi = di; \
		r->rsi = si; \
		r->rcx = cx; \
		r->rax = ax; \
		r->rflags = fl; \
	}

DEF_STROP(op_movsb, "rep movsb")
DEF_STROP(op_movsq, "rep movsq")
DEF_STROP(op_stosb, "rep stosb")
DEF_STROP(op_stosq, "rep stosq")
DEF_STROP(op_repe_cmpsb, "repe cmpsb")
DEF_STROP(op_repne_cmpsb, "repne cmpsb")
DEF_STROP(op_repe_scasb, "repe scasb")
DEF_STROP(op_repne_scasb, "repne scasb")

static u8 pat(u64 i)
{
	return (u8)((i * 7 + 3) ^ (i >> 8));
}

static void fill_pattern(u8 *p, u64 n, u64 seed)
{
	for (u64 i = 0; i < n; i++)
		((volatile u8 *)p)[i] = pat(i + seed);
}

static void fill(u8 *p, u64 n, u8 v)
{
	for (u64 i = 0; i < n; i++)
		((volatile u8 *)p)[i] = v;
}

/* Index of the first difference, or -1. */
static long diff(const u8 *a, const u8 *b, u64 n)
{
	for (u64 i = 0; i < n; i++)
		if (((volatile const u8 *)a)[i] != ((volatile const u8 *)b)[i])
			return (long)i;
	return -1;
}

static u64 flags_in(int df)
{
	return FL_FIXED | (df ? FL_DF : 0);
}

static const char *dfs(int df)
{
	return df ? "DF=1" : "DF=0";
}

/* REP MOVSB / MOVSQ of n elements, non-overlapping, page-misaligned. */
static void test_copy(int width, int df, u64 n)
{
	u8 *src = bufa + 0x123, *dst = bufb + 0x456 + (width == 8 ? 2 : 0);
	u64 bytes = n * width, step = df ? -(u64)width : (u64)width;
	struct sregs r;
	long d;

	fill_pattern(bufa, 0x200 + bytes, n);
	fill(bufb, 0x500 + bytes, 0xee);
	r.rsi = (u64)src + (df ? bytes - width : 0);
	r.rdi = (u64)dst + (df ? bytes - width : 0);
	r.rcx = n;
	r.rax = 0;
	r.rflags = flags_in(df) | FL_CF | FL_ZF;
	u64 si0 = r.rsi, di0 = r.rdi;
	if (width == 1)
		op_movsb(&r);
	else
		op_movsq(&r);

	d = diff(dst, src, bytes);
	check(d < 0, "rep movs%c %s n=%lu: data copied%s", width == 1 ? 'b' : 'q', dfs(df), n,
	      d < 0 ? "" : " (mismatch)");
	if (d >= 0)
		kprintf("    first mismatch at byte %ld: %x vs %x\n", d, dst[d], src[d]);
	check(dst[-1] == 0xee && dst[bytes] == 0xee, "rep movs%c %s n=%lu: neighbours untouched",
	      width == 1 ? 'b' : 'q', dfs(df), n);
	check_eq(r.rcx, 0, "rep movs%c %s n=%lu: RCX", width == 1 ? 'b' : 'q', dfs(df), n);
	check_eq(r.rsi, si0 + n * step, "rep movs%c %s n=%lu: RSI", width == 1 ? 'b' : 'q', dfs(df),
		 n);
	check_eq(r.rdi, di0 + n * step, "rep movs%c %s n=%lu: RDI", width == 1 ? 'b' : 'q', dfs(df),
		 n);
	check_eq(r.rflags, flags_in(df) | FL_CF | FL_ZF, "rep movs%c %s n=%lu: flags unchanged",
		 width == 1 ? 'b' : 'q', dfs(df), n);
}

static void test_store(int width, int df, u64 n)
{
	u8 *dst = bufb + 0x789 + (width == 8 ? 3 : 0);
	u64 bytes = n * width, step = df ? -(u64)width : (u64)width;
	u64 val = width == 1 ? 0xab : 0x1122334455667788ul;
	struct sregs r;
	int bad = 0;

	fill(bufb, 0x800 + bytes, 0xee);
	r.rdi = (u64)dst + (df ? bytes - width : 0);
	r.rsi = 0x5151;
	r.rcx = n;
	r.rax = val;
	r.rflags = flags_in(df) | FL_SF;
	u64 di0 = r.rdi;
	if (width == 1)
		op_stosb(&r);
	else
		op_stosq(&r);

	for (u64 i = 0; i < bytes; i++)
		bad += dst[i] != (u8)(val >> (8 * (i % width)));
	check_eq(bad, 0, "rep stos%c %s n=%lu: data stored", width == 1 ? 'b' : 'q', dfs(df), n);
	check(dst[-1] == 0xee && dst[bytes] == 0xee, "rep stos%c %s n=%lu: neighbours untouched",
	      width == 1 ? 'b' : 'q', dfs(df), n);
	check_eq(r.rcx, 0, "rep stos%c %s n=%lu: RCX", width == 1 ? 'b' : 'q', dfs(df), n);
	check_eq(r.rdi, di0 + n * step, "rep stos%c %s n=%lu: RDI", width == 1 ? 'b' : 'q', dfs(df),
		 n);
	check_eq(r.rsi, 0x5151, "rep stos%c: RSI untouched", width == 1 ? 'b' : 'q');
	check_eq(r.rflags, flags_in(df) | FL_SF, "rep stos%c %s n=%lu: flags unchanged",
		 width == 1 ? 'b' : 'q', dfs(df), n);
}

/*
 * REPE CMPSB over n bytes that differ only at k (k = n: equal), with
 * [rsi] = hi and [rdi] = lo at the difference.
 */
static void test_cmps(int df, u64 n, u64 k, u8 s_byte, u8 d_byte)
{
	u8 *a = bufa + 0x321, *b = bufb + 0x654;
	struct sregs r;
	u64 iters = k >= n ? n : (df ? n - k : k + 1);
	u64 step = df ? -1ul : 1;

	fill_pattern(a, n + 16, 5);
	fill_pattern(b, n + 16, 5);
	if (k < n) {
		a[k] = s_byte;
		b[k] = d_byte;
	}
	r.rsi = (u64)a + (df ? n - 1 : 0);
	r.rdi = (u64)b + (df ? n - 1 : 0);
	r.rcx = n;
	r.rax = 0;
	r.rflags = flags_in(df) | FL_CF | FL_SF | FL_OF; /* ZF=0 */
	u64 si0 = r.rsi, di0 = r.rdi;
	op_repe_cmpsb(&r);

	check_eq(r.rcx, n - iters, "repe cmpsb %s n=%lu diff@%lu: RCX", dfs(df), n, k);
	check_eq(r.rsi, si0 + iters * step, "repe cmpsb %s n=%lu diff@%lu: RSI", dfs(df), n, k);
	check_eq(r.rdi, di0 + iters * step, "repe cmpsb %s n=%lu diff@%lu: RDI", dfs(df), n, k);
	if (n == 0) {
		check_eq(r.rflags, flags_in(df) | FL_CF | FL_SF | FL_OF,
			 "repe cmpsb %s n=0: flags unchanged", dfs(df));
	} else if (k >= n) {
		check_eq(r.rflags & (FL_ZF | FL_CF), FL_ZF, "repe cmpsb %s n=%lu equal: ZF=1 CF=0",
			 dfs(df), n);
	} else {
		u8 res = (u8)(s_byte - d_byte);
		u64 want = (res & 0x80 ? FL_SF : 0) | (s_byte < d_byte ? FL_CF : 0);

		check_eq(r.rflags & (FL_ZF | FL_CF | FL_SF), want,
			 "repe cmpsb %s diff@%lu (%x vs %x): ZF/CF/SF of the mismatch", dfs(df), k,
			 s_byte, d_byte);
	}
}

/* REPNE CMPSB: all bytes differ except at k. */
static void test_repne_cmps(int df, u64 n, u64 k)
{
	u8 *a = bufa + 0x100, *b = bufb + 0x200;
	struct sregs r;
	u64 iters = df ? n - k : k + 1, step = df ? -1ul : 1;

	fill(a, n, 0x11);
	fill(b, n, 0x22);
	a[k] = b[k] = 0x33;
	r.rsi = (u64)a + (df ? n - 1 : 0);
	r.rdi = (u64)b + (df ? n - 1 : 0);
	r.rcx = n;
	r.rax = 0;
	r.rflags = flags_in(df);
	u64 si0 = r.rsi;
	op_repne_cmpsb(&r);
	check_eq(r.rcx, n - iters, "repne cmpsb %s n=%lu equal@%lu: RCX", dfs(df), n, k);
	check_eq(r.rsi, si0 + iters * step, "repne cmpsb %s: RSI", dfs(df));
	check(r.rflags & FL_ZF, "repne cmpsb %s: stops with ZF=1", dfs(df));
}

/* REPNE SCASB for AL present only at k (k >= n: absent); REPE SCASB. */
static void test_scas(int df, u64 n, u64 k)
{
	u8 *b = bufb + 0x1ff;
	struct sregs r;
	u64 iters = k >= n ? n : (df ? n - k : k + 1), step = df ? -1ul : 1;

	fill(b - 1, n + 2, 0x42); /* guards hold the searched byte too */
	if (k < n)
		b[k] = 0x99;
	r.rdi = (u64)b + (df ? n - 1 : 0);
	r.rsi = 0;
	r.rcx = n;
	r.rax = 0x1234599; /* AL = 0x99 */
	r.rflags = flags_in(df) | FL_ZF | FL_CF;
	u64 di0 = r.rdi;
	op_repne_scasb(&r);
	check_eq(r.rcx, n - iters, "repne scasb %s n=%lu at=%lu: RCX", dfs(df), n, k);
	check_eq(r.rdi, di0 + iters * step, "repne scasb %s n=%lu at=%lu: RDI", dfs(df), n, k);
	check_eq(r.rax, 0x1234599, "repne scasb: RAX untouched");
	if (n == 0)
		check_eq(r.rflags, flags_in(df) | FL_ZF | FL_CF, "repne scasb %s n=0: flags unchanged",
			 dfs(df));
	else
		check_eq(r.rflags & FL_ZF, k < n ? FL_ZF : 0, "repne scasb %s n=%lu at=%lu: ZF",
			 dfs(df), n, k);

	/* REPE SCASB: skip bytes equal to AL = 0x42 up to the 0x99 at k. */
	r.rdi = di0;
	r.rcx = n;
	r.rax = 0x42;
	r.rflags = flags_in(df);
	op_repe_scasb(&r);
	check_eq(r.rcx, n - iters, "repe scasb %s n=%lu at=%lu: RCX", dfs(df), n, k);
	check_eq(r.rdi, di0 + iters * step, "repe scasb %s n=%lu at=%lu: RDI", dfs(df), n, k);
	if (n && k < n)
		check_eq(r.rflags & (FL_ZF | FL_CF), FL_CF,
			 "repe scasb %s: stops at 0x99 with ZF=0, CF=1 (0x42 < 0x99)", dfs(df));
}

/*
 * Overlapping copies behave as if each element were moved in turn:
 * compare with a step-by-step model run on a copy.
 */
static void model_movs(u8 *buf, u64 si, u64 di, u64 n, int width, int df)
{
	volatile u8 *p = buf;

	for (u64 i = 0; i < n; i++) {
		u8 tmp[8];

		for (int j = 0; j < width; j++)
			tmp[j] = p[si + j];
		for (int j = 0; j < width; j++)
			p[di + j] = tmp[j];
		si += df ? -(u64)width : (u64)width;
		di += df ? -(u64)width : (u64)width;
	}
}

static void test_overlap(int width, int df, long delta, u64 n)
{
	u64 base = 0x1000; /* offset of the source start in both buffers */
	u64 si = base + (df ? (n - 1) * width : 0), di = si + delta;
	struct sregs r;
	long d;

	fill_pattern(bufa, 0x4000, 9);
	fill_pattern(bufb, 0x4000, 9);
	model_movs(bufb, si, di, n, width, df);
	r.rsi = (u64)bufa + si;
	r.rdi = (u64)bufa + di;
	r.rcx = n;
	r.rax = 0;
	r.rflags = flags_in(df);
	if (width == 1)
		op_movsb(&r);
	else
		op_movsq(&r);
	d = diff(bufa, bufb, 0x4000);
	check(d < 0, "overlapping rep movs%c %s dst=src%+ld n=%lu: element-by-element result",
	      width == 1 ? 'b' : 'q', dfs(df), delta, n);
	if (d >= 0)
		kprintf("    first mismatch at offset %lx: got %x want %x\n", d - base, bufa[d],
			bufb[d]);
	check_eq(r.rcx, 0, "overlapping rep movs: RCX");
}

/* ---- a #PF in the middle of a REP ---- */

static struct {
	int count;
	u64 err, cr2, rip, rcx, rsi, rdi;
	u8 last_before; /* the byte just before the faulting one, at fault time */
} pf;

static void pf_handler(struct intr_frame *f)
{
	u64 cr2 = read_cr2(), *pte = pt_entry(pml4, cr2, 1, 0);

	pf.count++;
	pf.err = f->error;
	pf.cr2 = cr2;
	pf.rip = f->rip;
	pf.rcx = f->rcx;
	pf.rsi = f->rsi;
	pf.rdi = f->rdi;
	if (!pte || (*pte & PTE_P))
		fail("unexpected #PF at %lx (error %lx, rip %lx)", pf.cr2, f->error, f->rip);
	*pte |= PTE_P; /* P 0 -> 1: no invalidation needed; the REP resumes */
}

static void unmap_middle(void)
{
	u64 *pte = pt_entry(pml4, W_BASE + 0x1000, 1, 0);

	*pte &= ~PTE_P;
	invlpg((void *)(W_BASE + 0x1000));
	memset(&pf, 0, sizeof(pf));
}

static void test_rep_fault(void)
{
	u8 *w = (u8 *)W_BASE;
	u64 insn, di, si, cx;
	int bad = 0;

	pt_map(pml4, W_BASE, frame_alloc(), PTE_P | PTE_W);
	pt_map(pml4, W_BASE + 0x1000, frame_alloc(), PTE_P | PTE_W);
	pt_map(pml4, W_BASE + 0x2000, frame_alloc(), PTE_P | PTE_W);
	idt_set_handler(VEC_PF, pf_handler);

	/* rep stosb upwards into the absent page */
	unmap_middle();
	di = W_BASE + 0xf00;
	cx = 0x400;
	asm volatile("lea 1f(%%rip), %[insn]\n"
		     "1: rep stosb"
		     : [insn] "=&r"(insn), "+D"(di), "+c"(cx)
		     : "a"(0x5a)
		     : "memory");
	check_eq(pf.count, 1, "rep stosb into an absent page: one #PF");
	check_eq(pf.err, PFE_W, "rep stosb #PF: write, not present");
	check_eq(pf.cr2, W_BASE + 0x1000, "rep stosb #PF: CR2 = first byte of the absent page");
	check_eq(pf.rip, insn, "rep stosb #PF: RIP = the REP instruction");
	check_eq(pf.rcx, 0x300, "rep stosb #PF: RCX = elements left");
	check_eq(pf.rdi, W_BASE + 0x1000, "rep stosb #PF: RDI = faulting element");
	check_eq(cx, 0, "rep stosb resumed: RCX = 0");
	check_eq(di, W_BASE + 0x1300, "rep stosb resumed: final RDI");
	for (u64 i = 0xf00; i < 0x1300; i++)
		bad += w[i] != 0x5a;
	check(bad == 0 && w[0x1300] == 0 && w[0xeff] == 0, "rep stosb resumed: all bytes stored");

	/* rep movsq reading from the absent page (the page keeps its data) */
	for (u64 i = 0; i < 0x200; i++)
		w[0xf80 + i] = (u8)(0xa0 + i);
	unmap_middle();
	fill(bufb, 0x200, 0);
	si = W_BASE + 0xf80;
	di = (u64)bufb + 8;
	cx = 0x20;
	asm volatile("lea 1f(%%rip), %[insn]\n"
		     "1: rep movsq"
		     : [insn] "=&r"(insn), "+D"(di), "+S"(si), "+c"(cx)
		     :
		     : "memory");
	check_eq(pf.count, 1, "rep movsq from an absent page: one #PF");
	check_eq(pf.err, 0, "rep movsq #PF: read, not present");
	check_eq(pf.cr2, W_BASE + 0x1000, "rep movsq #PF: CR2");
	check_eq(pf.rip, insn, "rep movsq #PF: RIP = the REP instruction");
	check_eq(pf.rcx, 0x10, "rep movsq #PF: RCX = elements left");
	check_eq(pf.rsi, W_BASE + 0x1000, "rep movsq #PF: RSI = faulting element");
	check_eq(pf.rdi, (u64)bufb + 8 + 0x80, "rep movsq #PF: RDI advanced by the copied part");
	check_eq(cx, 0, "rep movsq resumed: RCX = 0");
	check(diff(bufb + 8, w + 0xf80, 0x100) < 0, "rep movsq resumed: all data copied");

	/* rep stosb downwards (DF=1) into the absent page */
	unmap_middle();
	di = W_BASE + 0x2080;
	cx = 0x100;
	asm volatile("lea 1f(%%rip), %[insn]\n"
		     "std\n"
		     "1: rep stosb\n"
		     "cld"
		     : [insn] "=&r"(insn), "+D"(di), "+c"(cx)
		     : "a"(0xc7)
		     : "memory");
	check_eq(pf.count, 1, "DF=1 rep stosb into an absent page: one #PF");
	check_eq(pf.cr2, W_BASE + 0x1fff, "DF=1 rep stosb #PF: CR2 = last byte of the absent page");
	check_eq(pf.rcx, 0x100 - 0x81, "DF=1 rep stosb #PF: RCX = elements left");
	check_eq(pf.rdi, W_BASE + 0x1fff, "DF=1 rep stosb #PF: RDI = faulting element");
	check_eq(di, W_BASE + 0x2080 - 0x100, "DF=1 rep stosb resumed: final RDI");
	bad = 0;
	for (u64 i = 0x1f81; i <= 0x2080; i++)
		bad += w[i] != 0xc7;
	check(bad == 0 && w[0x1f80] == 0 && w[0x2081] == 0,
	      "DF=1 rep stosb resumed: all bytes stored (%d wrong, below %x, above %x)", bad,
	      w[0x1f80], w[0x2081]);

	idt_set_handler(VEC_PF, NULL);
}

int main(void)
{
	static const u64 counts[] = { 0, 1, 7, BIG };

	test_start("strings");
	gdt_init();
	idt_init();
	pml4 = pt_identity(PTE_P | PTE_W);
	write_cr3((u64)pml4);

	for (int df = 0; df <= 1; df++) {
		for (u32 i = 0; i < ARRAY_SIZE(counts); i++) {
			test_copy(1, df, counts[i]);
			test_copy(8, df, counts[i] / (counts[i] == BIG ? 8 : 1));
			test_store(1, df, counts[i]);
			test_store(8, df, counts[i] / (counts[i] == BIG ? 8 : 1));
		}
		test_cmps(df, 0, 0, 0, 0);
		test_cmps(df, 1, 1, 0, 0);
		test_cmps(df, 1, 0, 0x10, 0x20);
		test_cmps(df, BIG, BIG, 0, 0);
		test_cmps(df, BIG, 0x8765, 0x10, 0x20);
		test_cmps(df, BIG, 0x8765, 0x30, 0x20);
		test_cmps(df, BIG, 0x8765, 0x90, 0x10);
		test_repne_cmps(df, 4096 + 100, 4096 + 7);
		test_scas(df, 0, 0);
		test_scas(df, 1, 0);
		test_scas(df, 1, 1);
		test_scas(df, BIG, 0x9abc);
		test_scas(df, BIG, BIG);
		test_overlap(1, df, 1, 1000);
		test_overlap(1, df, -1, 1000);
		test_overlap(1, df, 5, 3000);
		test_overlap(1, df, -7, 3000);
		test_overlap(8, df, 8, 300);
		test_overlap(8, df, -8, 300);
		test_overlap(8, df, 3, 300);
		test_overlap(8, df, -3, 300);
	}
	test_rep_fault();
	return test_finish();
}
