/*
 * Segment descriptors: reading them from the GDT/LDT, checking them and
 * loading segment registers, and the real-mode loads that need no
 * descriptor.  In 64-bit mode only FS/GS bases and CS's L/DPL matter for
 * execution, but the checks are those of the manual.  Segment limits are
 * not checked on memory accesses (that would cost the hot path); far
 * transfers and interrupt delivery check the new EIP against CS's limit.
 */
#include "seg.h"

u64 seg_read_descriptor_ext(struct cpu *c, u16 sel, int vec, u32 ext)
{
	bool ldt = sel & 4;
	u64 base = ldt ? c->s.ldtr.base : c->s.gdtr.base;
	u32 limit = ldt ? c->s.ldtr.limit : c->s.gdtr.limit;
	u32 off = sel & ~7u;
	if (off + 7 > limit)
		cpu_raise(c, vec, (sel & 0xfffc) + ext);
	return mem_read_sys(c, base + off, 8);
}

u64 seg_read_descriptor(struct cpu *c, u16 sel, int vec)
{
	return seg_read_descriptor_ext(c, sel, vec, 0);
}

void seg_from_descriptor(struct encore_segment *s, u16 sel, u64 d)
{
	s->selector = sel;
	s->base = desc_base(d);
	s->limit = desc_limit(d);
	s->attr = (d >> 40) & 0xf0ff;
}

static void set_accessed(struct cpu *c, u16 sel, u64 d)
{
	if (d & (1ull << 40))
		return;
	u64 base = (sel & 4) ? c->s.ldtr.base : c->s.gdtr.base;
	mem_write_sys(c, base + (sel & ~7u) + 5, 1, (d >> 40) | 1);
}

/*
 * Real mode: the selector is the value and the base is value << 4.  The
 * limit and attributes stay as they were, as on Intel processors: a
 * segment given a 4 GiB limit in protected mode keeps it after the return
 * to real mode ("unreal" or "big real" mode), which firmware and boot
 * loaders use to reach memory above 1 MiB with 32-bit offsets.
 */
void seg_load_real(struct cpu *c, int seg, u16 sel)
{
	c->s.seg[seg].selector = sel;
	c->s.seg[seg].base = (u32)sel << 4;
	if (seg == SEG_CS)
		cpu_update_mode(c);
}

void seg_load_data(struct cpu *c, int seg, u16 sel)
{
	u8 rpl = sel & 3;
	if (real_mode(c)) {
		seg_load_real(c, seg, sel);
		return;
	}
	if ((sel & 0xfffc) == 0) {
		/* Null selector: fine for data segments; SS only in 64-bit mode below CPL 3. */
		if (seg == SEG_SS && (!c->mode64 || c->cpl == 3 || rpl != c->cpl))
			raise_gp(c, 0);
		c->s.seg[seg] = (struct encore_segment){ .selector = sel };
		if (seg == SEG_SS)
			c->s.seg[seg].attr = (c->cpl << SEG_ATTR_DPL_SHIFT);
		return;
	}
	u64 d = seg_read_descriptor(c, sel, EXC_GP);
	unsigned type = desc_type(d);
	u8 dpl = desc_dpl(d);
	if (!desc_is_code_data(d))
		raise_gp(c, sel & 0xfffc);
	if (seg == SEG_SS) {
		if (rpl != c->cpl || dpl != c->cpl || (type & 8) || !(type & 2))
			raise_gp(c, sel & 0xfffc);
		if (!desc_present(d))
			cpu_raise(c, EXC_SS, sel & 0xfffc);
	} else {
		bool readable = !(type & 8) || (type & 2);
		bool conforming = (type & 0xc) == 0xc;
		if (!readable || (!conforming && (rpl > dpl || c->cpl > dpl)))
			raise_gp(c, sel & 0xfffc);
		if (!desc_present(d))
			cpu_raise(c, EXC_NP, sel & 0xfffc);
	}
	seg_load_descriptor(c, seg, sel, d);
}

void seg_load_descriptor(struct cpu *c, int seg, u16 sel, u64 d)
{
	set_accessed(c, sel, d);
	seg_from_descriptor(&c->s.seg[seg], sel, d | (1ull << 40));
}

/* Like every descriptor load, a far transfer sets the accessed bit in
 * the descriptor table (the hardware does; KVM shows it). */
void seg_load_cs(struct cpu *c, u16 sel, u64 desc, u8 cpl)
{
	set_accessed(c, sel, desc);
	seg_from_descriptor(&c->s.seg[SEG_CS], (sel & ~3) | cpl, desc | (1ull << 40));
	cpu_update_mode(c);
}
