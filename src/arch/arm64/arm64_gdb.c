/*
 * AArch64 registers for gdb: the target description encore sends (gdb's
 * aarch64 core and FP features) and each register's bytes in its order.
 */
#include <string.h>

#include "arch/arm64/a64_state.h"
#include "arch/arm64/arm64_arch.h"
#include "encore/le_bytes.h"

/* Register numbers in the description below. */
enum { R_X = 0, R_SP = 31, R_PC = 32, R_CPSR = 33, R_V = 34, R_FPSR = 66, R_FPCR = 67, R_COUNT };

static const char target_xml[] =
	"<?xml version=\"1.0\"?>\n"
	"<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
	"<target version=\"1.0\">\n"
	"<architecture>aarch64</architecture>\n"
	"<feature name=\"org.gnu.gdb.aarch64.core\">\n"
	/* PSTATE as SPSR lays it out: gdb prints the flags by name. */
	"<flags id=\"cpsr_flags\" size=\"4\">\n"
	"<field name=\"SP\" start=\"0\" end=\"0\" type=\"bool\"/>\n"
	"<field name=\"EL\" start=\"2\" end=\"3\" type=\"uint32\"/>\n"
	"<field name=\"nRW\" start=\"4\" end=\"4\" type=\"bool\"/>\n"
	"<field name=\"F\" start=\"6\" end=\"6\" type=\"bool\"/>\n"
	"<field name=\"I\" start=\"7\" end=\"7\" type=\"bool\"/>\n"
	"<field name=\"A\" start=\"8\" end=\"8\" type=\"bool\"/>\n"
	"<field name=\"D\" start=\"9\" end=\"9\" type=\"bool\"/>\n"
	"<field name=\"IL\" start=\"20\" end=\"20\" type=\"bool\"/>\n"
	"<field name=\"SS\" start=\"21\" end=\"21\" type=\"bool\"/>\n"
	"<field name=\"V\" start=\"28\" end=\"28\" type=\"bool\"/>\n"
	"<field name=\"C\" start=\"29\" end=\"29\" type=\"bool\"/>\n"
	"<field name=\"Z\" start=\"30\" end=\"30\" type=\"bool\"/>\n"
	"<field name=\"N\" start=\"31\" end=\"31\" type=\"bool\"/>\n"
	"</flags>\n"
	"<reg name=\"x0\" bitsize=\"64\" type=\"int\" regnum=\"0\"/>\n"
	"<reg name=\"x1\" bitsize=\"64\" type=\"int\"/>\n<reg name=\"x2\" bitsize=\"64\" type=\"int\"/>\n"
	"<reg name=\"x3\" bitsize=\"64\" type=\"int\"/>\n<reg name=\"x4\" bitsize=\"64\" type=\"int\"/>\n"
	"<reg name=\"x5\" bitsize=\"64\" type=\"int\"/>\n<reg name=\"x6\" bitsize=\"64\" type=\"int\"/>\n"
	"<reg name=\"x7\" bitsize=\"64\" type=\"int\"/>\n<reg name=\"x8\" bitsize=\"64\" type=\"int\"/>\n"
	"<reg name=\"x9\" bitsize=\"64\" type=\"int\"/>\n<reg name=\"x10\" bitsize=\"64\" type=\"int\"/>\n"
	"<reg name=\"x11\" bitsize=\"64\" type=\"int\"/>\n<reg name=\"x12\" bitsize=\"64\" type=\"int\"/>\n"
	"<reg name=\"x13\" bitsize=\"64\" type=\"int\"/>\n<reg name=\"x14\" bitsize=\"64\" type=\"int\"/>\n"
	"<reg name=\"x15\" bitsize=\"64\" type=\"int\"/>\n<reg name=\"x16\" bitsize=\"64\" type=\"int\"/>\n"
	"<reg name=\"x17\" bitsize=\"64\" type=\"int\"/>\n<reg name=\"x18\" bitsize=\"64\" type=\"int\"/>\n"
	"<reg name=\"x19\" bitsize=\"64\" type=\"int\"/>\n<reg name=\"x20\" bitsize=\"64\" type=\"int\"/>\n"
	"<reg name=\"x21\" bitsize=\"64\" type=\"int\"/>\n<reg name=\"x22\" bitsize=\"64\" type=\"int\"/>\n"
	"<reg name=\"x23\" bitsize=\"64\" type=\"int\"/>\n<reg name=\"x24\" bitsize=\"64\" type=\"int\"/>\n"
	"<reg name=\"x25\" bitsize=\"64\" type=\"int\"/>\n<reg name=\"x26\" bitsize=\"64\" type=\"int\"/>\n"
	"<reg name=\"x27\" bitsize=\"64\" type=\"int\"/>\n<reg name=\"x28\" bitsize=\"64\" type=\"int\"/>\n"
	"<reg name=\"x29\" bitsize=\"64\" type=\"int\"/>\n<reg name=\"x30\" bitsize=\"64\" type=\"int\"/>\n"
	"<reg name=\"sp\" bitsize=\"64\" type=\"data_ptr\"/>\n"
	"<reg name=\"pc\" bitsize=\"64\" type=\"code_ptr\"/>\n"
	"<reg name=\"cpsr\" bitsize=\"32\" type=\"cpsr_flags\"/>\n"
	"</feature>\n"
	"<feature name=\"org.gnu.gdb.aarch64.fpu\">\n"
	/* A V register as lanes of every size, as gdb shows one on hardware
	 * ($v0.d.f[1], $v0.s.u[3], $v0.q.u[0]...). */
	"<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n"
	"<vector id=\"v2u\" type=\"uint64\" count=\"2\"/>\n"
	"<vector id=\"v2i\" type=\"int64\" count=\"2\"/>\n"
	"<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n"
	"<vector id=\"v4u\" type=\"uint32\" count=\"4\"/>\n"
	"<vector id=\"v4i\" type=\"int32\" count=\"4\"/>\n"
	"<vector id=\"v8u\" type=\"uint16\" count=\"8\"/>\n"
	"<vector id=\"v8i\" type=\"int16\" count=\"8\"/>\n"
	"<vector id=\"v16u\" type=\"uint8\" count=\"16\"/>\n"
	"<vector id=\"v16i\" type=\"int8\" count=\"16\"/>\n"
	"<vector id=\"v1u\" type=\"uint128\" count=\"1\"/>\n"
	"<vector id=\"v1i\" type=\"int128\" count=\"1\"/>\n"
	"<union id=\"vnd\"><field name=\"f\" type=\"v2d\"/><field name=\"u\" type=\"v2u\"/>"
	"<field name=\"s\" type=\"v2i\"/></union>\n"
	"<union id=\"vns\"><field name=\"f\" type=\"v4f\"/><field name=\"u\" type=\"v4u\"/>"
	"<field name=\"s\" type=\"v4i\"/></union>\n"
	"<union id=\"vnh\"><field name=\"u\" type=\"v8u\"/><field name=\"s\" type=\"v8i\"/></union>\n"
	"<union id=\"vnb\"><field name=\"u\" type=\"v16u\"/><field name=\"s\" type=\"v16i\"/></union>\n"
	"<union id=\"vnq\"><field name=\"u\" type=\"v1u\"/><field name=\"s\" type=\"v1i\"/></union>\n"
	"<union id=\"aarch64v\"><field name=\"d\" type=\"vnd\"/><field name=\"s\" type=\"vns\"/>"
	"<field name=\"h\" type=\"vnh\"/><field name=\"b\" type=\"vnb\"/>"
	"<field name=\"q\" type=\"vnq\"/></union>\n"
	"<reg name=\"v0\" bitsize=\"128\" type=\"aarch64v\" regnum=\"34\"/>\n"
	"<reg name=\"v1\" bitsize=\"128\" type=\"aarch64v\"/>\n<reg name=\"v2\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"<reg name=\"v3\" bitsize=\"128\" type=\"aarch64v\"/>\n<reg name=\"v4\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"<reg name=\"v5\" bitsize=\"128\" type=\"aarch64v\"/>\n<reg name=\"v6\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"<reg name=\"v7\" bitsize=\"128\" type=\"aarch64v\"/>\n<reg name=\"v8\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"<reg name=\"v9\" bitsize=\"128\" type=\"aarch64v\"/>\n<reg name=\"v10\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"<reg name=\"v11\" bitsize=\"128\" type=\"aarch64v\"/>\n<reg name=\"v12\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"<reg name=\"v13\" bitsize=\"128\" type=\"aarch64v\"/>\n<reg name=\"v14\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"<reg name=\"v15\" bitsize=\"128\" type=\"aarch64v\"/>\n<reg name=\"v16\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"<reg name=\"v17\" bitsize=\"128\" type=\"aarch64v\"/>\n<reg name=\"v18\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"<reg name=\"v19\" bitsize=\"128\" type=\"aarch64v\"/>\n<reg name=\"v20\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"<reg name=\"v21\" bitsize=\"128\" type=\"aarch64v\"/>\n<reg name=\"v22\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"<reg name=\"v23\" bitsize=\"128\" type=\"aarch64v\"/>\n<reg name=\"v24\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"<reg name=\"v25\" bitsize=\"128\" type=\"aarch64v\"/>\n<reg name=\"v26\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"<reg name=\"v27\" bitsize=\"128\" type=\"aarch64v\"/>\n<reg name=\"v28\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"<reg name=\"v29\" bitsize=\"128\" type=\"aarch64v\"/>\n<reg name=\"v30\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"<reg name=\"v31\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"<reg name=\"fpsr\" bitsize=\"32\" type=\"int\"/>\n"
	"<reg name=\"fpcr\" bitsize=\"32\" type=\"int\"/>\n"
	"</feature>\n"
	"</target>\n";

const char *arm64__gdb_target_xml(void)
{
	return target_xml;
}

unsigned arm64__gdb_nregs(void)
{
	return R_COUNT;
}

/* The SP of the current exception level and SPSel. */
static u64 current_sp(const struct a64_state *s)
{
	bool el1_spx = (s->pstate & 0xf) == 0x5;
	return el1_spx ? s->sp_el1 : s->sp_el0;
}

unsigned arm64__gdb_reg(const void *state, unsigned n, u8 *out)
{
	const struct a64_state *s = state;
	if (n < R_SP) {
		put64(out, s->x[n]);
		return 8;
	}
	if (n == R_SP || n == R_PC) {
		put64(out, n == R_SP ? current_sp(s) : s->pc);
		return 8;
	}
	if (n == R_CPSR || n == R_FPSR || n == R_FPCR) {
		put32(out, (u32)(n == R_CPSR ? s->pstate : n == R_FPSR ? s->fpsr : s->fpcr));
		return 4;
	}
	if (n >= R_V && n < R_V + 32) {
		put64(out, s->v[n - R_V][0]);
		put64(out + 8, s->v[n - R_V][1]);
		return 16;
	}
	return 0;
}
