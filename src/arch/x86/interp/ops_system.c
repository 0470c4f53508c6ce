/*
 * System instructions: HLT, CLI/STI, port I/O, software interrupts,
 * IRET, SYSCALL/SYSRET, SWAPGS, CPUID, RDTSC(P), MSRs, control and debug
 * registers, descriptor tables, INVLPG and the UD opcodes.
 */
#include "encore/cpuid.h"
#include "interp.h"
#include "mmu.h"
#include "seg.h"

static void require_cpl0(struct cpu *c)
{
	if (c->cpl != 0)
		raise_gp(c, 0);
}

/* SLDT, STR, LLDT, LTR, VERR, VERW, LAR and LSL do not exist in real mode. */
static void require_protected(struct cpu *c)
{
	if (real_mode(c))
		raise_ud(c);
}

static unsigned iopl(struct cpu *c)
{
	return (c->s.rflags >> 12) & 3;
}

/* ---- HLT, CLI, STI ---- */

static void hlt(struct cpu *c, const struct insn *i)
{
	(void)i;
	require_cpl0(c);
	c->s.halted = 1;
	cpu_end_block(c);
}

static void cli(struct cpu *c, const struct insn *i)
{
	(void)i;
	if (c->cpl > iopl(c))
		raise_gp(c, 0);
	c->s.rflags &= ~RF_IF;
}

static void sti(struct cpu *c, const struct insn *i)
{
	(void)i;
	if (c->cpl > iopl(c))
		raise_gp(c, 0);
	if (!(c->s.rflags & RF_IF)) {
		c->s.irq_shadow = 1;
		cpu_end_block(c); /* interrupts wait one more instruction */
	}
	c->s.rflags |= RF_IF;
}

/* ---- port I/O ---- */

static void io_check(struct cpu *c)
{
	if (c->cpl > iopl(c))
		raise_gp(c, 0); /* the TSS I/O permission bitmap is not modelled */
}

static unsigned io_size(const struct insn *i)
{
	return i->opsize > 4 ? 4 : i->opsize;
}

static void in_imm(struct cpu *c, const struct insn *i)
{
	io_check(c);
	reg_write(c, REG_RAX, io_size(i), cpu_port_in(c, i->imm & 0xff, io_size(i)));
}

static void in_dx(struct cpu *c, const struct insn *i)
{
	io_check(c);
	reg_write(c, REG_RAX, io_size(i), cpu_port_in(c, c->s.gpr[REG_RDX] & 0xffff, io_size(i)));
}

static void out_imm(struct cpu *c, const struct insn *i)
{
	io_check(c);
	cpu_port_out(c, i->imm & 0xff, io_size(i), reg_read(c, REG_RAX, io_size(i)));
}

static void out_dx(struct cpu *c, const struct insn *i)
{
	io_check(c);
	cpu_port_out(c, c->s.gpr[REG_RDX] & 0xffff, io_size(i), reg_read(c, REG_RAX, io_size(i)));
}

/* ---- software interrupts and IRET ---- */

static void int_n(struct cpu *c, const struct insn *i) { cpu_software_interrupt(c, i->imm & 0xff); }
static void int3(struct cpu *c, const struct insn *i) { (void)i; cpu_software_interrupt(c, EXC_BP); }
static void int1(struct cpu *c, const struct insn *i) { (void)i; cpu_software_interrupt(c, EXC_DB); }

static void into(struct cpu *c, const struct insn *i)
{
	(void)i;
	if (flags_get(c) & RF_OF)
		cpu_software_interrupt(c, EXC_OF);
}

/* After a return to an outer privilege, data segments it may not use go null. */
static void null_inaccessible_segments(struct cpu *c)
{
	static const int segs[] = { SEG_ES, SEG_DS, SEG_FS, SEG_GS };
	for (unsigned k = 0; k < 4; k++) {
		struct encore_segment *s = &c->s.seg[segs[k]];
		unsigned dpl = (s->attr >> SEG_ATTR_DPL_SHIFT) & 3;
		bool conforming_code = (s->attr & 0xc) == 0xc;
		if ((s->selector & 0xfffc) && dpl < c->cpl && !conforming_code) {
			u64 base = s->base;
			*s = (struct encore_segment){ 0 };
			if (segs[k] >= SEG_FS)
				s->base = base; /* 64-bit FS/GS bases come from MSRs */
		}
	}
}

/*
 * Real mode: pop IP, CS and FLAGS at the operand size.  A 16-bit IRET
 * replaces FLAGS[15:0]; a 32-bit one the EFLAGS bits 257FD5H (VM, VIF
 * and VIP stay).  CPL is 0, so IOPL and IF are always writable.
 */
static void iret_real(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->opsize;
	u64 sp = c->s.gpr[REG_RSP];
	u64 ip = mem_read(c, stack_lin(c, sp), sz);
	u16 cs = mem_read(c, stack_lin(c, sp + sz), sz);
	u64 fl = mem_read(c, stack_lin(c, sp + 2 * sz), sz);
	if (ip > c->s.seg[SEG_CS].limit)
		raise_gp(c, 0);
	seg_load_real(c, SEG_CS, cs);
	stack_set_sp(c, sp + 3 * sz);
	flags_set(c, fl, sz == 4 ? 0x257fd5 : 0x7fd5);
	c->s.rip = ip;
	c->s.nmi_blocked = 0;
}

static void iret(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->opsize;
	if (real_mode(c)) {
		iret_real(c, i);
		return;
	}
	bool legacy = !(c->s.efer & EFER_LMA);
	if (c->s.rflags & RF_NT) {
		if (legacy)
			cpu_unsupported(c, "IRET with NT set (a return from a nested task) is not supported");
		raise_gp(c, 0);
	}
	u64 sp = c->s.gpr[REG_RSP];
	u64 rip = mem_read(c, stack_lin(c, sp), sz);
	u16 cs = mem_read(c, stack_lin(c, sp + sz), sz);
	u64 fl = mem_read(c, stack_lin(c, sp + 2 * sz), sz);
	u8 rpl = cs & 3, old_cpl = c->cpl;
	if (legacy && sz == 4 && (fl & RF_VM) && old_cpl == 0)
		cpu_unsupported(c, "IRET to virtual-8086 mode is not supported");
	if (rpl < old_cpl || (cs & 0xfffc) == 0)
		raise_gp(c, cs & 0xfffc);
	u64 d = seg_read_descriptor(c, cs, EXC_GP);
	if (!desc_is_code_data(d) || !(desc_type(d) & 8) || desc_dpl(d) > rpl)
		raise_gp(c, cs & 0xfffc);
	if (!desc_present(d))
		cpu_raise(c, EXC_NP, cs & 0xfffc);
	bool pop_stack = c->mode64 || rpl > old_cpl;
	u64 new_sp = sp + 3 * sz;
	u16 ss = 0;
	if (pop_stack) {
		new_sp = mem_read(c, stack_lin(c, sp + 3 * sz), sz);
		ss = mem_read(c, stack_lin(c, sp + 4 * sz), sz);
	}
	bool to64 = desc_long(c, d);
	if (to64 ? !is_canonical(rip) : rip > desc_limit(d))
		raise_gp(c, 0);
	/* RFLAGS: IOPL, VIF and VIP only at CPL 0, IF only at CPL <= IOPL. */
	u64 mask = RF_ARITH | RF_TF | RF_DF | RF_NT | RF_AC | RF_ID | RF_RF;
	if (old_cpl == 0)
		mask |= RF_IOPL | RF_VIF | RF_VIP;
	if (old_cpl <= iopl(c))
		mask |= RF_IF;
	if (sz == 2)
		mask &= 0xffff;
	seg_load_cs(c, cs, d, rpl);
	if (pop_stack) {
		if ((ss & 0xfffc) == 0 && !(c->mode64 && rpl < 3))
			raise_gp(c, 0);
		seg_load_data(c, SEG_SS, ss);
		if (legacy)
			stack_set_sp(c, new_sp); /* a 16-bit SS takes SP only: ESP[31:16] stay */
		else
			c->s.gpr[REG_RSP] = sz == 8 ? new_sp : (u32)new_sp;
	} else {
		stack_set_sp(c, new_sp);
	}
	flags_set(c, fl, mask);
	c->s.rip = to64 ? rip : (u32)rip;
	c->s.nmi_blocked = 0; /* an IRET ends NMI blocking, whatever it returns from */
	if (rpl > old_cpl)
		null_inaccessible_segments(c);
}

/* ---- SYSCALL, SYSRET, SWAPGS ---- */

/* RIP already points past the instruction; the hook reports its own. */
static void syscall_hook(struct cpu *c, const struct insn *i)
{
	const u64 *r = c->s.gpr;
	u64 args[6] = { r[REG_RDI], r[REG_RSI], r[REG_RDX], r[REG_R10], r[REG_R8], r[REG_R9] };
	c->hooks->on_syscall(c->hooks->syscall_opaque, c->engine.vcpu->index, cpu_icount(c),
			     c->s.rip - i->len, r[REG_RAX], args, c->s.cr3);
}

/* Outside long mode (real and legacy protected mode) SYSCALL is #UD. */
static void syscall(struct cpu *c, const struct insn *i)
{
	if (!(c->s.efer & EFER_SCE) || !(c->s.efer & EFER_LMA))
		raise_ud(c);
	if (unlikely(c->hooks && c->hooks->on_syscall))
		syscall_hook(c, i);
	u16 sel = (c->s.msr.star >> 32) & 0xfffc;
	u64 fl = flags_get(c);
	c->s.gpr[REG_RCX] = c->s.rip;
	c->s.gpr[REG_R11] = fl & ~RF_RF;
	u64 target = c->mode64 ? c->s.msr.lstar : c->s.msr.cstar;
	segment__set_flat(&c->s.seg[SEG_CS], sel, true, true, 0);
	segment__set_flat(&c->s.seg[SEG_SS], sel + 8, false, false, 0);
	flags_set(c, fl & ~c->s.msr.fmask & ~RF_RF, ~0ull);
	cpu_update_mode(c);
	c->s.rip = target;
}

static void sysret(struct cpu *c, const struct insn *i)
{
	if (!(c->s.efer & EFER_SCE) || !c->mode64)
		raise_ud(c); /* Intel: #UD outside 64-bit mode */
	if (c->cpl != 0)
		raise_gp(c, 0);
	u16 base = (c->s.msr.star >> 48) & 0xfffc;
	bool to64 = i->pfx & PFX_REXW;
	u64 rip = c->s.gpr[REG_RCX];
	if (to64 && !is_canonical(rip))
		raise_gp(c, 0);
	segment__set_flat(&c->s.seg[SEG_CS], (to64 ? base + 16 : base) | 3, true, to64, 3);
	segment__set_flat(&c->s.seg[SEG_SS], (base + 8) | 3, false, false, 3);
	flags_set(c, (c->s.gpr[REG_R11] & 0x3c7fd7) | RF_FIXED1, ~0ull);
	cpu_update_mode(c);
	c->s.rip = to64 ? rip : (u32)rip;
}

static void swapgs(struct cpu *c)
{
	if (!c->mode64)
		raise_ud(c);
	require_cpl0(c);
	u64 t = c->s.seg[SEG_GS].base;
	c->s.seg[SEG_GS].base = c->s.msr.kernel_gs_base;
	c->s.msr.kernel_gs_base = t;
}

/* ---- CPUID, RDTSC, MSRs ---- */

static void cpuid(struct cpu *c, const struct insn *i)
{
	(void)i;
	u32 r[4];
	cpuid__query((u32)c->s.gpr[REG_RAX], (u32)c->s.gpr[REG_RCX], c->engine.vcpu->index, r);
	for (int k = 0; k < 4; k++)
		c->s.gpr[k == 0 ? REG_RAX : k == 1 ? REG_RBX : k == 2 ? REG_RCX : REG_RDX] = r[k];
}

static void rdtsc(struct cpu *c, const struct insn *i)
{
	(void)i;
	if ((c->s.cr4 & CR4_TSD) && c->cpl != 0)
		raise_gp(c, 0);
	u64 t = cpu_tsc(c);
	c->s.gpr[REG_RAX] = (u32)t;
	c->s.gpr[REG_RDX] = t >> 32;
}

static void rdtscp(struct cpu *c)
{
	rdtsc(c, NULL);
	c->s.gpr[REG_RCX] = (u32)c->s.msr.tsc_aux;
}

static void rdmsr(struct cpu *c, const struct insn *i)
{
	(void)i;
	require_cpl0(c);
	u64 v;
	if (msr_read(c, (u32)c->s.gpr[REG_RCX], &v))
		raise_gp(c, 0);
	c->s.gpr[REG_RAX] = (u32)v;
	c->s.gpr[REG_RDX] = v >> 32;
}

static void wrmsr(struct cpu *c, const struct insn *i)
{
	(void)i;
	require_cpl0(c);
	u64 v = ((u64)(u32)c->s.gpr[REG_RDX] << 32) | (u32)c->s.gpr[REG_RAX];
	if (msr_write(c, (u32)c->s.gpr[REG_RCX], v))
		raise_gp(c, 0);
}

static void rdpmc(struct cpu *c, const struct insn *i)
{
	(void)i;
	raise_gp(c, 0); /* no performance counters are advertised */
}

/* ---- control and debug registers ---- */

#define CR4_SUPPORTED (CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_MCE | \
		       CR4_PGE | CR4_PCE | CR4_OSFXSR | CR4_OSXMMEXCPT)

/*
 * PAE paging outside long mode: the CR write that starts it or reloads CR3
 * loads the four PDPTEs, and #GP if one has a reserved bit (mmu.c reads
 * them again at each walk).
 */
static void check_pdptes(struct cpu *c, u64 cr0, u64 cr3, u64 cr4)
{
	bool legacy_pae = (cr0 & CR0_PG) && (cr4 & CR4_PAE) && !(c->s.efer & EFER_LME);
	if (legacy_pae && !mmu_pae_pdptes_ok(c, cr3))
		raise_gp(c, 0);
}

/*
 * PE and PG: PE = 0 is real mode; PG with EFER.LME activates long mode,
 * PG without it is 32-bit or PAE paging by CR4.PAE.  PG needs PE, so
 * clearing PE with paging on (in one write or not) is #GP.
 */
static void write_cr0(struct cpu *c, u64 v)
{
	if ((v >> 32) || ((v & CR0_PG) && !(v & CR0_PE)) || ((v & CR0_NW) && !(v & CR0_CD)))
		raise_gp(c, 0);
	bool paging_on = (v & CR0_PG) && !(c->s.cr0 & CR0_PG);
	bool paging_off = !(v & CR0_PG) && (c->s.cr0 & CR0_PG);
	if (paging_on && (c->s.efer & EFER_LME)) {
		if (!(c->s.cr4 & CR4_PAE))
			raise_gp(c, 0);
		c->s.efer |= EFER_LMA;
	}
	if ((v ^ c->s.cr0) & (CR0_PG | CR0_CD | CR0_NW))
		check_pdptes(c, v, c->s.cr3, c->s.cr4);
	if (paging_off && (c->s.efer & EFER_LMA)) {
		if (c->mode64)
			raise_gp(c, 0);
		c->s.efer &= ~EFER_LMA;
	}
	u64 changed = v ^ c->s.cr0;
	c->s.cr0 = v | CR0_ET;
	if (changed & (CR0_PG | CR0_WP | CR0_PE))
		tlb_flush_all(c);
	cpu_update_mode(c);
}

static void write_cr4(struct cpu *c, u64 v)
{
	if ((v & ~CR4_SUPPORTED) || ((c->s.efer & EFER_LMA) && !(v & CR4_PAE)))
		raise_gp(c, 0);
	u64 changed = v ^ c->s.cr4;
	if (changed & (CR4_PAE | CR4_PGE | CR4_PSE))
		check_pdptes(c, c->s.cr0, c->s.cr3, v);
	c->s.cr4 = v;
	if (changed & (CR4_PGE | CR4_PAE | CR4_PSE))
		tlb_flush_all(c);
}

static void mov_to_cr(struct cpu *c, const struct insn *i)
{
	require_cpl0(c);
	u64 v = reg_read(c, i->rm, c->mode64 ? 8 : 4);
	switch (i->reg) {
	case 0: write_cr0(c, v); break;
	case 2: c->s.cr2 = v; break;
	case 3:
		if (v >> PHYS_ADDR_BITS)
			raise_gp(c, 0);
		check_pdptes(c, c->s.cr0, v, c->s.cr4);
		c->s.cr3 = v;
		tlb_flush_nonglobal(c);
		break;
	case 4: write_cr4(c, v); break;
	case 8:
		if (v >> 4)
			raise_gp(c, 0);
		c->s.cr8 = v;
		break;
	default: raise_ud(c);
	}
}

static void mov_from_cr(struct cpu *c, const struct insn *i)
{
	require_cpl0(c);
	u64 v;
	switch (i->reg) {
	case 0: v = c->s.cr0; break;
	case 2: v = c->s.cr2; break;
	case 3: v = c->s.cr3; break;
	case 4: v = c->s.cr4; break;
	case 8: v = c->s.cr8; break;
	default: raise_ud(c);
	}
	reg_write(c, i->rm, c->mode64 ? 8 : 4, v);
}

static unsigned dr_index(struct cpu *c, unsigned r)
{
	if (r > 7)
		raise_ud(c);
	if (r == 4 || r == 5) {
		if (c->s.cr4 & CR4_DE)
			raise_ud(c);
		r += 2;
	}
	return r;
}

static void mov_dr(struct cpu *c, const struct insn *i)
{
	require_cpl0(c);
	unsigned r = dr_index(c, i->reg), size = c->mode64 ? 8 : 4;
	if (i->op == 0x23) {
		u64 v = reg_read(c, i->rm, size);
		if (r >= 6 && (v >> 32))
			raise_gp(c, 0);
		c->s.dr[r] = v;
	} else {
		reg_write(c, i->rm, size, c->s.dr[r]);
	}
}

static void clts(struct cpu *c, const struct insn *i)
{
	(void)i;
	require_cpl0(c);
	c->s.cr0 &= ~CR0_TS;
}

static void wbinvd(struct cpu *c, const struct insn *i)
{
	(void)i;
	require_cpl0(c);
}

/* ---- descriptor tables: 0F 00 and 0F 01 ---- */

static void load_dtable(struct cpu *c, const struct insn *i, struct encore_dtable *t)
{
	require_cpl0(c);
	u64 ea = insn_ea(c, i);
	u16 limit = mem_read16(c, ea);
	u64 base = c->mode64 ? mem_read64(c, ea + 2) : mem_read32(c, ea + 2);
	if (c->mode64 && !is_canonical(base))
		raise_gp(c, 0);
	if (!c->mode64 && i->opsize == 2)
		base &= 0xffffff; /* the 16-bit form loads a 24-bit base */
	t->limit = limit;
	t->base = base;
}

/* SGDT/SIDT: limit and base, the base in 4 bytes outside 64-bit mode
 * whatever the operand size. */
static void store_dtable(struct cpu *c, const struct insn *i, const struct encore_dtable *t)
{
	u64 ea = insn_ea(c, i);
	u8 img[10];
	__builtin_memcpy(img, &t->limit, 2);
	__builtin_memcpy(img + 2, &t->base, 8);
	mem_write_bytes(c, ea, img, c->mode64 ? 10 : 6);
}

static void grp7_reg(struct cpu *c, const struct insn *i)
{
	switch (i->modrm) {
	case 0xf8: swapgs(c); return;
	case 0xf9: rdtscp(c); return;
	}
	if (i->ext == 4) { /* SMSW r */
		reg_write(c, i->rm, i->opsize, c->s.cr0 & size_mask(i->opsize));
		return;
	}
	if (i->ext == 6) { /* LMSW r */
		require_cpl0(c);
		u64 v = reg_read(c, i->rm, 2);
		write_cr0(c, (c->s.cr0 & ~0xeull) | (v & 0xf) | (c->s.cr0 & CR0_PE));
		return;
	}
	raise_unimplemented(c);
}

static void grp7_mem(struct cpu *c, const struct insn *i)
{
	switch (i->ext) {
	case 0: store_dtable(c, i, &c->s.gdtr); return;
	case 1: store_dtable(c, i, &c->s.idtr); return;
	case 2: load_dtable(c, i, &c->s.gdtr); return;
	case 3: load_dtable(c, i, &c->s.idtr); return;
	case 4: mem_write16(c, insn_ea(c, i), c->s.cr0); return;
	case 6: {
		require_cpl0(c);
		u64 v = mem_read16(c, insn_ea(c, i));
		write_cr0(c, (c->s.cr0 & ~0xeull) | (v & 0xf) | (c->s.cr0 & CR0_PE));
		return;
	}
	case 7:
		require_cpl0(c);
		tlb_flush_page(c, insn_ea(c, i));
		return;
	}
	raise_unimplemented(c);
}

static insn_fn sel_grp7(struct insn *i)
{
	if (i->rm != RM_MEM) {
		if (i->modrm == 0xf8 || i->modrm == 0xf9 || i->ext == 4 || i->ext == 6)
			return grp7_reg;
		return NULL;
	}
	return i->ext == 5 ? NULL : grp7_mem;
}

/* LLDT/LTR load system descriptors (16 bytes in long mode). */
static void load_system_segment(struct cpu *c, u16 sel, bool tss)
{
	require_cpl0(c);
	struct encore_segment *dst = tss ? &c->s.tr : &c->s.ldtr;
	if ((sel & 0xfffc) == 0) {
		if (tss)
			raise_gp(c, 0);
		*dst = (struct encore_segment){ .selector = sel };
		return;
	}
	if (sel & 4)
		raise_gp(c, sel & 0xfffc);
	/* In long mode the descriptor is 16 bytes: all within the GDT limit. */
	bool wide = c->s.efer & EFER_LMA;
	if (wide && (sel & ~7u) + 15 > c->s.gdtr.limit)
		raise_gp(c, sel & 0xfffc);
	u64 d = seg_read_descriptor(c, sel, EXC_GP);
	unsigned type = desc_type(d);
	bool ok = !desc_is_code_data(d) && (tss ? (type == 9 || type == 1) : type == 2);
	if (!ok)
		raise_gp(c, sel & 0xfffc);
	if (!desc_present(d))
		cpu_raise(c, EXC_NP, sel & 0xfffc);
	/* Its upper half has a type field that must be 0 (as a 64-bit call
	 * gate's): an all-ones one, read where there is no RAM, is not. */
	u64 hi = wide ? mem_read_sys(c, c->s.gdtr.base + (sel & ~7u) + 8, 8) : 0;
	if ((hi >> 40) & 0x1f)
		raise_gp(c, sel & 0xfffc);
	seg_from_descriptor(dst, sel, d);
	dst->base |= (hi & 0xffffffff) << 32;
	if (tss) {
		u64 busy = d | (2ull << 40);
		mem_write_sys(c, c->s.gdtr.base + (sel & ~7u), 8, busy);
		dst->attr |= 2;
	}
}

/* VERR/VERW/LAR/LSL look a selector up without faulting on a bad one. */
static bool lookup_descriptor(struct cpu *c, u16 sel, u64 *d)
{
	if ((sel & 0xfffc) == 0)
		return false;
	bool ldt = sel & 4;
	u64 base = ldt ? c->s.ldtr.base : c->s.gdtr.base;
	u32 limit = ldt ? c->s.ldtr.limit : c->s.gdtr.limit;
	if ((sel & ~7u) + 7 > limit)
		return false;
	*d = mem_read_sys(c, base + (sel & ~7u), 8);
	return true;
}

/* DPL >= max(CPL, RPL), which conforming code segments need not meet. */
static bool visible_at_cpl(struct cpu *c, u16 sel, u64 d)
{
	bool conforming = desc_is_code_data(d) && (desc_type(d) & 0xc) == 0xc;
	u8 rpl = sel & 3, level = c->cpl > rpl ? c->cpl : rpl;
	return conforming || desc_dpl(d) >= level;
}

/* VERR/VERW: ZF = the segment is readable/writable from here.  Linux
 * executes VERW on every return to user mode to clear CPU buffers. */
static void verify_segment(struct cpu *c, const struct insn *i, bool write)
{
	u16 sel = rm_read(c, i, 2);
	u64 d;
	bool ok = lookup_descriptor(c, sel, &d) && desc_is_code_data(d) && visible_at_cpl(c, sel, d);
	if (ok) {
		unsigned type = desc_type(d);
		bool code = type & 8, rw = type & 2;
		ok = write ? !code && rw : !code || rw;
	}
	flags_set(c, ok ? RF_ZF : 0, RF_ZF);
}

/* System descriptor types LAR (and, without the gates, LSL) accept. */
static bool lar_system_type_ok(unsigned type, bool mode64, bool lsl)
{
	if (mode64)
		return type == 2 || type == 9 || type == 11 || (!lsl && type == 12);
	static const u16 legacy_lar = 0x1a3e, legacy_lsl = 0x0a0e; /* bit per type */
	return ((lsl ? legacy_lsl : legacy_lar) >> type) & 1;
}

/* LAR (0F 02) and LSL (0F 03): access rights or limit when visible. */
static void lar_lsl(struct cpu *c, const struct insn *i)
{
	bool lsl = i->op == 0x03;
	require_protected(c);
	u16 sel = rm_read(c, i, 2);
	u64 d;
	bool ok = lookup_descriptor(c, sel, &d) && visible_at_cpl(c, sel, d) &&
		  (desc_is_code_data(d) || lar_system_type_ok(desc_type(d), c->mode64, lsl));
	flags_set(c, ok ? RF_ZF : 0, RF_ZF);
	if (!ok)
		return;
	struct encore_segment seg;
	seg_from_descriptor(&seg, sel, d);
	u64 v = lsl ? seg.limit : (d >> 32) & 0x00ffff00;
	reg_write(c, i->reg, i->opsize == 2 ? 2 : i->opsize, v & size_mask(i->opsize));
}

static void grp6(struct cpu *c, const struct insn *i)
{
	require_protected(c);
	switch (i->ext) {
	case 0: rm_write(c, i, i->rm == RM_MEM ? 2 : i->opsize, c->s.ldtr.selector); return;
	case 1: rm_write(c, i, i->rm == RM_MEM ? 2 : i->opsize, c->s.tr.selector); return;
	case 2: load_system_segment(c, rm_read(c, i, 2), false); return;
	case 3: load_system_segment(c, rm_read(c, i, 2), true); return;
	case 4: verify_segment(c, i, false); return;
	case 5: verify_segment(c, i, true); return;
	}
	raise_unimplemented(c);
}

static insn_fn sel_grp6(struct insn *i) { return i->ext < 6 ? grp6 : NULL; }

static insn_fn sel_sys(struct insn *i)
{
	if (i->map == MAP_1B) {
		switch (i->op) {
		case 0xf4: return hlt;
		case 0xfa: return cli;
		case 0xfb: return sti;
		case 0xe4: case 0xe5: return in_imm;
		case 0xe6: case 0xe7: return out_imm;
		case 0xec: case 0xed: return in_dx;
		case 0xee: case 0xef: return out_dx;
		case 0xcc: return int3;
		case 0xcd: return int_n;
		case 0xf1: return int1;
		case 0xce: return into;
		case 0xcf: return iret;
		}
		return NULL;
	}
	switch (i->op) {
	case 0x05: return syscall;
	case 0x07: return sysret;
	case 0xa2: return cpuid;
	case 0x31: return rdtsc;
	case 0x32: return rdmsr;
	case 0x30: return wrmsr;
	case 0x33: return rdpmc;
	case 0x20: case 0x22: return i->op == 0x22 ? mov_to_cr : mov_from_cr;
	case 0x21: case 0x23: return mov_dr;
	case 0x06: return clts;
	case 0x08: case 0x09: return wbinvd;
	case 0x0b: case 0xb9: case 0xff: return insn_invalid;
	case 0x02: case 0x03: return lar_lsl;
	}
	return NULL;
}

void ops_system__register(void)
{
	static const u8 one[] = { 0xf4, 0xfa, 0xfb, 0xe4, 0xe5, 0xe6, 0xe7, 0xec, 0xed, 0xee,
				  0xef, 0xcc, 0xcd, 0xf1, 0xce, 0xcf };
	static const u8 two[] = { 0x05, 0x07, 0xa2, 0x31, 0x32, 0x30, 0x33, 0x20, 0x22, 0x21,
				  0x23, 0x06, 0x08, 0x09, 0x0b, 0xb9, 0xff, 0x02, 0x03 };
	for (unsigned k = 0; k < sizeof(one); k++)
		op_register(MAP_1B, one[k], sel_sys, "system");
	for (unsigned k = 0; k < sizeof(two); k++)
		op_register(MAP_0F, two[k], sel_sys, "system");
	op_register(MAP_0F, 0x01, sel_grp7, "grp7");
	op_register(MAP_0F, 0x00, sel_grp6, "grp6");
}
