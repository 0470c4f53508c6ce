/*
 * struct encore_cpu_state <-> the vCPU's KVM state.  The conversions
 * follow the interpreter's conventions exactly: a recording made on KVM
 * is replayed on the interpreter, and the machine fingerprint hashes the
 * state byte by byte, so both engines must describe the same CPU with
 * the same bytes.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "encore/cpuid.h"
#include "encore/msr.h"
#include "kvm.h"


/* Failing ioctls name themselves in err; the caller adds context. */
static int xioctl(int fd, unsigned long req, void *arg, const char *name, char *err,
		  size_t errlen)
{
	if (ioctl(fd, req, arg) >= 0)
		return 0;
	int r = -errno;
	snprintf(err, errlen, "%s: %s", name, strerror(errno));
	return r;
}

/* ---- general registers ---- */

static void regs_get(const struct kvm_regs *r, struct encore_cpu_state *s)
{
	const u64 v[16] = { r->rax, r->rcx, r->rdx, r->rbx, r->rsp, r->rbp, r->rsi, r->rdi,
			    r->r8,  r->r9,  r->r10, r->r11, r->r12, r->r13, r->r14, r->r15 };
	memcpy(s->gpr, v, sizeof(v));
	s->rip = r->rip;
	s->rflags = r->rflags;
}

static void regs_set(struct kvm_regs *r, const struct encore_cpu_state *s)
{
	const u64 *g = s->gpr;
	*r = (struct kvm_regs){
		.rax = g[REG_RAX], .rbx = g[REG_RBX], .rcx = g[REG_RCX], .rdx = g[REG_RDX],
		.rsi = g[REG_RSI], .rdi = g[REG_RDI], .rsp = g[REG_RSP], .rbp = g[REG_RBP],
		.r8 = g[REG_R8],   .r9 = g[REG_R9],   .r10 = g[REG_R10], .r11 = g[REG_R11],
		.r12 = g[REG_R12], .r13 = g[REG_R13], .r14 = g[REG_R14], .r15 = g[REG_R15],
		.rip = s->rip,     .rflags = s->rflags | RF_FIXED1,
	};
}

/* ---- segments and system registers ---- */

static void seg_get(const struct kvm_segment *k, struct encore_segment *s)
{
	s->base = k->base;
	s->limit = k->limit;
	s->selector = k->selector;
	s->attr = (k->type & SEG_ATTR_TYPE_MASK) | (k->s ? SEG_ATTR_S : 0) |
		  (k->dpl & 3) << SEG_ATTR_DPL_SHIFT | (k->present ? SEG_ATTR_P : 0) |
		  (k->avl ? SEG_ATTR_AVL : 0) | (k->l ? SEG_ATTR_L : 0) |
		  (k->db ? SEG_ATTR_DB : 0) | (k->g ? SEG_ATTR_G : 0);
}

/* A segment that is not present is what KVM (and VMX) call unusable:
 * the interpreter's null segments have P clear. */
static void seg_set(struct kvm_segment *k, const struct encore_segment *s)
{
	u16 a = s->attr;
	*k = (struct kvm_segment){
		.base = s->base, .limit = s->limit, .selector = s->selector,
		.type = a & SEG_ATTR_TYPE_MASK, .s = !!(a & SEG_ATTR_S),
		.dpl = (a >> SEG_ATTR_DPL_SHIFT) & 3, .present = !!(a & SEG_ATTR_P),
		.avl = !!(a & SEG_ATTR_AVL), .l = !!(a & SEG_ATTR_L), .db = !!(a & SEG_ATTR_DB),
		.g = !!(a & SEG_ATTR_G), .unusable = !(a & SEG_ATTR_P),
	};
}

static struct kvm_segment *sregs_seg(struct kvm_sregs *r, int seg)
{
	switch (seg) {
	case SEG_ES: return &r->es;
	case SEG_CS: return &r->cs;
	case SEG_SS: return &r->ss;
	case SEG_DS: return &r->ds;
	case SEG_FS: return &r->fs;
	default: return &r->gs;
	}
}

static void dtable_get(const struct kvm_dtable *k, struct encore_dtable *d)
{
	*d = (struct encore_dtable){ .base = k->base, .limit = k->limit };
}

static void dtable_set(struct kvm_dtable *k, const struct encore_dtable *d)
{
	*k = (struct kvm_dtable){ .base = d->base, .limit = d->limit };
}

/*
 * A data segment register holding a null selector in long mode.  The
 * interpreter keeps the selector only, plus SS's DPL (the CPL) and the
 * FS/GS bases (they are MSRs in 64-bit mode).  The SDM leaves the rest
 * undefined and KVM fills it its own way: its emulator loads a null SS
 * as a flat 32-bit data segment so that SS.DPL carries the CPL.  So the
 * state is told the interpreter's way.
 */
static void null_seg_canonical(struct encore_segment *s, int seg)
{
	if (seg == SEG_CS || (s->selector & 0xfffc))
		return;
	u64 base = seg == SEG_FS || seg == SEG_GS ? s->base : 0;
	u16 attr = seg == SEG_SS ? s->attr & (3 << SEG_ATTR_DPL_SHIFT) : 0;
	*s = (struct encore_segment){ .selector = s->selector, .base = base, .attr = attr };
}

static void sregs_get(struct kvm_sregs *r, struct encore_cpu_state *s)
{
	for (int k = 0; k < SEG_COUNT; k++) {
		seg_get(sregs_seg(r, k), &s->seg[k]);
		if (r->efer & EFER_LMA)
			null_seg_canonical(&s->seg[k], k);
	}
	seg_get(&r->ldt, &s->ldtr);
	seg_get(&r->tr, &s->tr);
	dtable_get(&r->gdt, &s->gdtr);
	dtable_get(&r->idt, &s->idtr);
	s->cr0 = r->cr0;
	s->cr2 = r->cr2;
	s->cr3 = r->cr3;
	s->cr4 = r->cr4;
	s->cr8 = r->cr8;
	s->efer = r->efer;
	s->msr.apic_base = r->apic_base;
}

/* interrupt_bitmap stays empty: a pending injection is set through the
 * vCPU events, which say the same thing and more. */
static void sregs_set(struct kvm_sregs *r, const struct encore_cpu_state *s)
{
	memset(r, 0, sizeof(*r));
	for (int k = 0; k < SEG_COUNT; k++)
		seg_set(sregs_seg(r, k), &s->seg[k]);
	seg_set(&r->ldt, &s->ldtr);
	seg_set(&r->tr, &s->tr);
	dtable_set(&r->gdt, &s->gdtr);
	dtable_set(&r->idt, &s->idtr);
	r->cr0 = s->cr0;
	r->cr2 = s->cr2;
	r->cr3 = s->cr3;
	r->cr4 = s->cr4;
	r->cr8 = s->cr8;
	r->efer = s->efer;
	r->apic_base = s->msr.apic_base;
}

/* ---- x87 and SSE: the legacy region of the XSAVE image ---- */

#define FX_FCW 0
#define FX_FSW 2
#define FX_FTW 4
#define FX_FOP 6
#define FX_FIP 8
#define FX_FDP 16
#define FX_MXCSR 24
#define FX_ST 32
#define FX_XMM 160
#define XSAVE_HDR_BV 512
#define XFEATURE_X87_SSE 3ull

/* FXSAVE stores the x87 stack in ST(i) order; encore keeps the physical
 * registers R0..R7, ST(i) = R[(TOP + i) mod 8].  The abridged tag byte
 * is already by physical register in both. */
static unsigned fsw_top(u16 fsw)
{
	return (fsw >> 11) & 7;
}

static void fpu_get(const u8 *fx, struct encore_fpu_state *f)
{
	memset(f, 0, sizeof(*f));
	memcpy(&f->fcw, fx + FX_FCW, 2);
	memcpy(&f->fsw, fx + FX_FSW, 2);
	f->ftw = fx[FX_FTW];
	memcpy(&f->fop, fx + FX_FOP, 2);
	f->fop &= 0x7ff;
	memcpy(&f->fip, fx + FX_FIP, 8);
	memcpy(&f->fdp, fx + FX_FDP, 8);
	memcpy(&f->mxcsr, fx + FX_MXCSR, 4);
	for (unsigned i = 0; i < 8; i++)
		memcpy(f->st[(fsw_top(f->fsw) + i) & 7], fx + FX_ST + 16 * i, 10);
	memcpy(f->xmm, fx + FX_XMM, sizeof(f->xmm));
}

static void fpu_set(u8 *fx, const struct encore_fpu_state *f)
{
	u16 fop = f->fop & 0x7ff;
	memcpy(fx + FX_FCW, &f->fcw, 2);
	memcpy(fx + FX_FSW, &f->fsw, 2);
	fx[FX_FTW] = f->ftw;
	fx[FX_FTW + 1] = 0;
	memcpy(fx + FX_FOP, &fop, 2);
	memcpy(fx + FX_FIP, &f->fip, 8);
	memcpy(fx + FX_FDP, &f->fdp, 8);
	memcpy(fx + FX_MXCSR, &f->mxcsr, 4);
	for (unsigned i = 0; i < 8; i++) {
		memcpy(fx + FX_ST + 16 * i, f->st[(fsw_top(f->fsw) + i) & 7], 10);
		memset(fx + FX_ST + 16 * i + 10, 0, 6);
	}
	memcpy(fx + FX_XMM, f->xmm, sizeof(f->xmm));
	/* Mark x87 and SSE as not in their init state, or KVM would load
	 * the init values instead of these. */
	u64 bv;
	memcpy(&bv, fx + XSAVE_HDR_BV, 8);
	bv |= XFEATURE_X87_SSE;
	memcpy(fx + XSAVE_HDR_BV, &bv, 8);
}

static int xsave_read(struct kvm_engine *k, char *err, size_t errlen)
{
	if (k->xsave_size > sizeof(struct kvm_xsave))
		return xioctl(k->vcpu_fd, KVM_GET_XSAVE2, k->xsave, "KVM_GET_XSAVE2", err, errlen);
	return xioctl(k->vcpu_fd, KVM_GET_XSAVE, k->xsave, "KVM_GET_XSAVE", err, errlen);
}

/* ---- MSRs ---- */

/* The MSRs struct encore_msrs holds (encore/msr.h) go through
 * KVM_GET/SET_MSRS, except the APIC base, which is in the sregs; the TSC
 * offset is encore's own (see msrs_set). */
#define MSR_MAX (64 + 1)

struct msr_buf {
	struct kvm_msrs hdr;
	struct kvm_msr_entry e[MSR_MAX];
};

/* The entries of msr_fields that KVM keeps as MSRs, by index; returns
 * how many. */
static unsigned kvm_msr_fields(const struct msr_field *out[MSR_MAX])
{
	unsigned n = 0;
	for (unsigned k = 0; k < msr_field_count && n < MSR_MAX - 1; k++)
		if (msr_fields[k].index != MSR_APIC_BASE)
			out[n++] = &msr_fields[k];
	return n;
}

/* KVM_GET/SET_MSRS return how many entries they processed: short means
 * the entry after the last one done was refused. */
static int msrs_ioctl(struct kvm_engine *k, unsigned long req, struct msr_buf *b, char *err,
		      size_t errlen)
{
	int n = ioctl(k->vcpu_fd, req, b);
	if (n == (int)b->hdr.nmsrs)
		return 0;
	int r = n < 0 ? -errno : -EINVAL;
	const char *name = req == KVM_GET_MSRS ? "KVM_GET_MSRS" : "KVM_SET_MSRS";
	if (n < 0)
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
	else
		snprintf(err, errlen, "%s: MSR %#x (value %#llx) refused", name, b->e[n].index,
			 (unsigned long long)b->e[n].data);
	return r;
}

static int msrs_get(struct kvm_engine *k, struct encore_msrs *m, char *err, size_t errlen)
{
	const struct msr_field *f[MSR_MAX];
	unsigned n = kvm_msr_fields(f);
	struct msr_buf b = { .hdr.nmsrs = n };
	for (unsigned i = 0; i < n; i++)
		b.e[i].index = f[i]->index;
	int r = msrs_ioctl(k, KVM_GET_MSRS, &b, err, errlen);
	for (unsigned i = 0; !r && i < n; i++)
		*msr_field__ptr(m, f[i]) = b.e[i].data;
	return r;
}

/*
 * The guest TSC starts where the interpreter's would: virtual time
 * (idle_ns alone when KVM runs, which counts no instructions) plus the
 * offset.  It is written once; from then on KVM advances it with the
 * host TSC, at the host's rate: RDTSC is not intercepted on KVM, so the
 * TSC is neither deterministic nor at CPUID's 1 GHz there.  tsc_offset
 * itself is kept as set_state gave it, never derived from the host.
 */
static int msrs_set(struct kvm_engine *k, const struct encore_cpu_state *s, char *err,
		    size_t errlen)
{
	const struct msr_field *f[MSR_MAX];
	unsigned n = kvm_msr_fields(f);
	struct msr_buf b = { .hdr.nmsrs = n + 1 };
	struct encore_msrs m = s->msr;
	for (unsigned i = 0; i < n; i++)
		b.e[i] = (struct kvm_msr_entry){ .index = f[i]->index,
						 .data = *msr_field__ptr(&m, f[i]) };
	b.e[n] = (struct kvm_msr_entry){ .index = MSR_TSC,
					 .data = k->m->idle_ns + s->msr.tsc_offset };
	return msrs_ioctl(k, KVM_SET_MSRS, &b, err, errlen);
}

void kvm_state__set_constant_msrs(struct kvm_engine *k, char *note, size_t notelen)
{
	static const struct kvm_msr_entry constants[] = {
		{ .index = MSR_BIOS_SIGN_ID, .data = 0 },
		{ .index = MSR_ARCH_CAPABILITIES, .data = CPUID_ARCH_CAPABILITIES },
	};
	note[0] = 0;
	for (unsigned i = 0; i < ARRAY_SIZE(constants); i++) {
		struct msr_buf b = { .hdr.nmsrs = 1, .e[0] = constants[i] };
		if (ioctl(k->vcpu_fd, KVM_SET_MSRS, &b) != 1)
			snprintf(note, notelen,
				 "this host's KVM refused MSR %#x = %#llx: the guest reads KVM's value",
				 constants[i].index, (unsigned long long)constants[i].data);
	}
}

/* ---- debug registers ---- */

static void dregs_get(struct kvm_engine *k, const struct kvm_debugregs *d,
		      struct encore_cpu_state *s)
{
	memcpy(s->dr, d->db, sizeof(d->db));
	s->dr[4] = k->dr4;
	s->dr[5] = k->dr5;
	s->dr[6] = d->dr6;
	s->dr[7] = d->dr7;
}

static void dregs_set(struct kvm_engine *k, struct kvm_debugregs *d,
		      const struct encore_cpu_state *s)
{
	memset(d, 0, sizeof(*d));
	memcpy(d->db, s->dr, sizeof(d->db));
	d->dr6 = s->dr[6];
	d->dr7 = s->dr[7];
	k->dr4 = s->dr[4];
	k->dr5 = s->dr[5];
}

/* ---- events: interrupt shadow and injection ---- */

static void events_get(const struct kvm_vcpu_events *ev, struct encore_cpu_state *s)
{
	s->irq_shadow = ev->interrupt.shadow ? 1 : 0;
	s->irq_injected = ev->interrupt.injected ? 1 : 0;
	s->irq_vector = ev->interrupt.injected ? ev->interrupt.nr : 0;
	s->nmi_pending = ev->nmi.pending ? 1 : 0;
	s->nmi_blocked = ev->nmi.masked ? 1 : 0;
}

/*
 * encore has one shadow flag for STI and MOV SS.  VMX refuses an STI
 * shadow with IF clear, and only STI (which sets IF) makes one with IF
 * set; so IF picks the kind.  Exceptions are never pending at the
 * boundaries where encore takes state, so they are cleared; an NMI can be.
 */
static void events_set(struct kvm_vcpu_events *ev, const struct encore_cpu_state *s)
{
	memset(ev, 0, sizeof(*ev));
	ev->interrupt.injected = s->irq_injected ? 1 : 0;
	ev->interrupt.nr = s->irq_injected ? s->irq_vector : 0;
	if (s->irq_shadow)
		ev->interrupt.shadow = (s->rflags & RF_IF) ? KVM_X86_SHADOW_INT_STI
							   : KVM_X86_SHADOW_INT_MOV_SS;
	ev->nmi.pending = s->nmi_pending;
	ev->nmi.masked = s->nmi_blocked;
	ev->flags = KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_NMI_PENDING;
}

/* ---- the whole state ---- */

static void engine_fields_get(struct kvm_engine *k, struct encore_cpu_state *s)
{
	s->halted = k->halted;
	s->irq_window_wanted = k->run->request_interrupt_window ? 1 : 0;
	s->kick_pending = k->kicked ? 1 : 0;
}

int kvm_state__get(struct kvm_engine *k, struct encore_cpu_state *s, char *err, size_t errlen)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_debugregs dregs;
	struct kvm_vcpu_events ev;
	int fd = k->vcpu_fd, r;
	memset(s, 0, sizeof(*s));
	if ((r = xioctl(fd, KVM_GET_REGS, &regs, "KVM_GET_REGS", err, errlen)) ||
	    (r = xioctl(fd, KVM_GET_SREGS, &sregs, "KVM_GET_SREGS", err, errlen)) ||
	    (r = xsave_read(k, err, errlen)) ||
	    (r = xioctl(fd, KVM_GET_DEBUGREGS, &dregs, "KVM_GET_DEBUGREGS", err, errlen)) ||
	    (r = xioctl(fd, KVM_GET_VCPU_EVENTS, &ev, "KVM_GET_VCPU_EVENTS", err, errlen)) ||
	    (r = msrs_get(k, &s->msr, err, errlen)))
		return r;
	regs_get(&regs, s);
	sregs_get(&sregs, s);
	fpu_get((const u8 *)k->xsave->region, &s->fpu);
	dregs_get(k, &dregs, s);
	events_get(&ev, s);
	s->msr.tsc_offset = k->tsc_offset;
	engine_fields_get(k, s);
	return 0;
}

/* Order matters: the sregs set the mode the MSRs and events are checked
 * against, and the events come after the sregs, which could queue an
 * interrupt of their own. */
int kvm_state__set(struct kvm_engine *k, const struct encore_cpu_state *s, char *err,
		   size_t errlen)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_debugregs dregs;
	struct kvm_vcpu_events ev;
	int fd = k->vcpu_fd, r;
	regs_set(&regs, s);
	sregs_set(&sregs, s);
	dregs_set(k, &dregs, s);
	events_set(&ev, s);
	if ((r = xioctl(fd, KVM_SET_SREGS, &sregs, "KVM_SET_SREGS", err, errlen)) ||
	    (r = xioctl(fd, KVM_SET_REGS, &regs, "KVM_SET_REGS", err, errlen)) ||
	    (r = xsave_read(k, err, errlen)))
		return r;
	fpu_set((u8 *)k->xsave->region, &s->fpu);
	if ((r = xioctl(fd, KVM_SET_XSAVE, k->xsave, "KVM_SET_XSAVE", err, errlen)) ||
	    (r = xioctl(fd, KVM_SET_DEBUGREGS, &dregs, "KVM_SET_DEBUGREGS", err, errlen)) ||
	    (r = msrs_set(k, s, err, errlen)) ||
	    (r = xioctl(fd, KVM_SET_VCPU_EVENTS, &ev, "KVM_SET_VCPU_EVENTS", err, errlen)))
		return r;
	k->tsc_offset = s->msr.tsc_offset;
	k->halted = s->halted;
	k->kicked = s->kick_pending;
	k->run->request_interrupt_window = s->irq_window_wanted ? 1 : 0;
	k->run->immediate_exit = k->kicked ? 1 : 0;
	return 0;
}

int kvm_state__interrupt_window(struct kvm_engine *k, bool *open)
{
	struct kvm_regs regs;
	struct kvm_vcpu_events ev;
	if (ioctl(k->vcpu_fd, KVM_GET_REGS, &regs) < 0 ||
	    ioctl(k->vcpu_fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return -errno;
	*open = (regs.rflags & RF_IF) && !ev.interrupt.shadow && !ev.interrupt.injected;
	return 0;
}

int kvm_state__irq_pending(struct kvm_engine *k, bool *pending)
{
	struct kvm_vcpu_events ev;
	if (ioctl(k->vcpu_fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return -errno;
	*pending = ev.interrupt.injected;
	return 0;
}
