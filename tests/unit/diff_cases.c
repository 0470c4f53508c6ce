/* Support shared by the differential test programs (see diff_cases.h). */
#include "diff_cases.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned g_scale = 1;
static const char *g_only;

void diff_cases_start(struct rng *rng, u64 default_seed, unsigned default_scale, u8 *data)
{
	u64 seed = check_seed(default_seed);
	rng_seed(rng, seed);
	g_scale = (unsigned)check_env_u64("ENCORE_DIFF_SCALE", default_scale);
	if (!g_scale)
		g_scale = 1;
	g_only = getenv("ENCORE_DIFF_ONLY");
	if (diff_init())
		check_skip("differential harness unavailable (see above)");
	rng_fill(rng, data, DIFF_DATA_SIZE);
}

bool diff_family_on(const char *name)
{
	return !g_only || strstr(name, g_only);
}

unsigned diff_ncases(unsigned base)
{
	return base * g_scale;
}

void diff_random_gprs(struct diff_state *st, struct rng *rng)
{
	diff_state_init(st);
	for (int r = 0; r < 16; r++)
		st->gpr[r] = rng_next(rng);
	st->gpr[REG_RSP] = 0;
	st->rflags = rng_next(rng) & DIFF_FLAGS;
}

bool diff_check_case(const char *fam, unsigned idx, const u8 *code, unsigned len,
		     const struct diff_state *st, const u8 *data, const struct diff_opts *o)
{
	char tag[96];
	snprintf(tag, sizeof(tag), "%s#%u", fam, idx);
	return diff_check(tag, code, len, st, data, o);
}

unsigned diff_pick_off(struct rng *rng, unsigned align)
{
	unsigned off = 0x1000 + (unsigned)rng_below(rng, DIFF_DATA_SIZE - 0x2000);
	return off & ~(align - 1);
}

i32 diff_rip_disp(u64 target, unsigned len)
{
	return (i32)(target - (DIFF_CODE_ADDR + (u64)len));
}

void diff_mem_pick(struct diff_mem *m, struct rng *rng, unsigned nforms, u32 avoid,
		   unsigned off, struct diff_state *st)
{
	unsigned form = (unsigned)rng_below(rng, nforms);
	m->base = -1;
	m->disp = 0;
	m->disp32 = false;
	m->off = off;
	m->disp_at = -1;
	if (form == 0)
		return;
	avoid |= 1u << REG_RSP;
	do
		m->base = (int)rng_below(rng, 16);
	while (avoid >> m->base & 1);
	m->disp32 = form == 2;
	m->disp = m->disp32 ? (i32)rng_below(rng, 0x2000) - 0x1000 : (i8)rng_next(rng);
	st->gpr[m->base] = DIFF_DATA_ADDR + off - (u64)(i64)m->disp;
}

int diff_mem_emit(struct diff_mem *m, u8 *out, int n, int reg)
{
	int rc = reg & 7;
	if (m->base < 0) {
		out[n++] = (u8)(rc << 3 | 5);
		m->disp_at = n;
		return n + 4;
	}
	bool sib = (m->base & 7) == 4; /* RSP/R12 as base need a SIB byte */
	out[n++] = (u8)((m->disp32 ? 2 : 1) << 6 | rc << 3 | (sib ? 4 : (m->base & 7)));
	if (sib)
		out[n++] = 0x24;
	if (m->disp32) {
		memcpy(out + n, &m->disp, 4);
		n += 4;
	} else {
		out[n++] = (u8)m->disp;
	}
	return n;
}

void diff_mem_finish(const struct diff_mem *m, u8 *out, int len)
{
	if (m->disp_at >= 0) {
		i32 d = diff_rip_disp(DIFF_DATA_ADDR + m->off, (unsigned)len);
		memcpy(out + m->disp_at, &d, 4);
	}
}
