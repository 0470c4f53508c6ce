/*
 * The top-level A64 decoder: the encoding's op0 field (bits 28:25) picks
 * the group, and each group's file decodes the rest.
 */
#include "arch/arm64/a64_cpu.h"
#include "arch/arm64/a64_exception.h"
#include "arch/arm64/a64_mem.h"

static int exec_undefined(struct a64_cpu *c, const struct a64_insn *i)
{
	(void)i;
	return a64_undefined(c);
}

void a64_decode_undefined(struct a64_insn *i)
{
	i->exec = exec_undefined;
}

void a64_decode(u32 word, struct a64_insn *i)
{
	*i = (struct a64_insn){ .word = word };
	unsigned op0 = a64_bits(word, 28, 25);
	switch (op0) {
	case 0x8: case 0x9:
		a64_decode_dp_imm(word, i);
		return;
	case 0xa: case 0xb:
		if (!a64_decode_system(word, i))
			a64_decode_branch(word, i);
		return;
	case 0x5: case 0xd:
		a64_decode_dp_reg(word, i);
		return;
	case 0x7: case 0xf:
		a64_decode_simd_fp(word, i);
		return;
	case 0x4: case 0x6: case 0xc: case 0xe:
		a64_decode_ldst(word, i);
		return;
	default: /* 0000 reserved, 0001/0011 unallocated, 0010 SVE */
		a64_decode_undefined(i);
		return;
	}
}

int a64_step(struct a64_cpu *c)
{
	u32 word;
	if (c->pc & 3)
		return a64_take_sync(c, A64_EC_PC_ALIGN, 0, c->pc, true);
	int r = a64_load(c, c->pc, 4, &word, A64_ACC_FETCH);
	if (r != A64_OK)
		return r;
	struct a64_insn i;
	a64_decode(word, &i);
	r = i.exec(c, &i);
	if (r != A64_EXC)
		c->insns++;
	return r;
}
