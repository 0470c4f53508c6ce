/*
 * decode_length() (src/arch/x86/interp/cpu.h) against capstone's instruction
 * length in 64-bit mode:
 *  (a) a generated stream of random prefix + opcode + ModRM/SIB/disp/imm
 *      byte sequences, compared where capstone decodes them;
 *  (b) real code: the .text of /bin/busybox (if present) and of this test
 *      binary, walked linearly with capstone.
 * VEX/EVEX/XOP (C4, C5, 62, 8F with ModRM.reg != 0), AMD 3DNow!, AMD
 * SSE4a EXTRQ/INSERTQ and VIA PadLock forms are skipped (see excluded()).
 *
 * Every disagreement is a failure, reported with the bytes and capstone's
 * text, except the capstone 4 quirks listed in capstone_quirk() below,
 * each documented with the SDM rule capstone gets wrong; those are counted
 * and listed in a summary but do not fail.
 *
 * ENCORE_TEST_SEED: seed.  ENCORE_DECODE_COUNT: number of generated
 * sequences (default 300000).  ENCORE_DECODE_FILES: extra ELF files
 * (colon-separated) for part (b).
 */
#include <capstone/capstone.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "arch/x86/interp/cpu.h"

static csh cs;
static cs_insn *csi;
static struct rng R;

/* Mismatch bookkeeping per opcode key: map * 256 + opcode. */
static unsigned long key_fail[4 * 256], key_quirk[4 * 256];
static const char *key_quirk_why[4 * 256];
static unsigned long skipped_vex, skipped_nocs, compared, quirks;

struct parsed {
	unsigned npfx;   /* legacy prefix bytes */
	bool rex;
	u8 rex_val;
	unsigned op_at;  /* index of the first opcode byte */
	unsigned map;    /* 0 one-byte, 1 0F, 2 0F38, 3 0F3A */
	u8 op;
	bool has_modrm_byte; /* a byte follows the opcode (may or may not be ModRM) */
	u8 modrm;
	bool p66, p67, pf2, pf3;
	u8 last_f2f3;
};

/* Walk prefixes the way the CPU does in 64-bit mode: legacy prefixes in
 * any order, a REX counts only immediately before the opcode. */
static void parse(const u8 *b, unsigned n, struct parsed *p)
{
	memset(p, 0, sizeof(*p));
	unsigned k = 0;
	for (; k < n && k < 15; k++) {
		u8 c = b[k];
		if (c == 0x66)
			p->p66 = true;
		else if (c == 0x67)
			p->p67 = true;
		else if (c == 0xf2 || c == 0xf3) {
			p->pf2 |= c == 0xf2;
			p->pf3 |= c == 0xf3;
			p->last_f2f3 = c;
		} else if (c == 0xf0 || c == 0x2e || c == 0x3e || c == 0x26 || c == 0x36 || c == 0x64 ||
			   c == 0x65)
			;
		else if ((c & 0xf0) == 0x40) {
			p->rex = true;
			p->rex_val = c;
			continue;
		} else
			break;
		p->rex = false; /* a legacy prefix after REX cancels it */
	}
	p->npfx = k;
	p->op_at = k;
	if (k < n && b[k] == 0x0f) {
		if (k + 1 < n && b[k + 1] == 0x38) {
			p->map = 2;
			k += 2;
		} else if (k + 1 < n && b[k + 1] == 0x3a) {
			p->map = 3;
			k += 2;
		} else {
			p->map = 1;
			k += 1;
		}
	}
	p->op = k < n ? b[k] : 0;
	if (k + 1 < n) {
		p->has_modrm_byte = true;
		p->modrm = b[k + 1];
	}
}

/*
 * Forms that are not Intel instructions or that encore's CPU does not
 * have at all, skipped in both parts: VEX/EVEX/XOP, AMD 3DNow! (0F 0F and
 * FEMMS 0F 0E), AMD SSE4a EXTRQ/INSERTQ (66/F2 0F 78/79), and VIA PadLock
 * (0F A6/A7 with a register ModRM).  None of them is in the Intel SDM's
 * opcode map (Vol. 2D Appendix A) for an Intel CPU.
 */
static bool excluded(const struct parsed *p)
{
	if (p->map == 0 && (p->op == 0xc4 || p->op == 0xc5 || p->op == 0x62))
		return true; /* VEX / EVEX in 64-bit mode */
	if (p->map == 0 && p->op == 0x8f && p->has_modrm_byte && ((p->modrm >> 3) & 7) != 0)
		return true; /* XOP */
	if (p->map == 1 && (p->op == 0x0f || p->op == 0x0e))
		return true; /* 3DNow!, FEMMS */
	if (p->map == 1 && (p->op == 0x78 || p->op == 0x79) && (p->p66 || p->pf2 || p->pf3))
		return true; /* SSE4a EXTRQ/INSERTQ (and their F3 forms: #UD either way) */
	if (p->map == 1 && (p->op == 0xa6 || p->op == 0xa7) && p->has_modrm_byte && p->modrm >= 0xc0)
		return true; /* VIA PadLock */
	return false;
}

/*
 * Known capstone 4.0.2 length quirks.  Returns the reason, or NULL when the
 * disagreement is not a known capstone error (then it is a failure).
 */
static const char *capstone_quirk(const struct parsed *p, unsigned cs_len, int dl)
{
	/*
	 * Near CALL/JMP/Jcc rel32 with a 66 or 67 prefix in 64-bit mode:
	 * capstone decodes rel16 (AMD's behaviour for 66; for 67 simply
	 * wrong).  On Intel CPUs the operand size of near branches is fixed
	 * at 64 bits in 64-bit mode and the displacement stays rel32 (SDM
	 * Vol. 2A CALL/JMP/Jcc, "In 64-bit mode ... the operand size is
	 * forced to 64 bits"; the address-size prefix never changes a
	 * relative displacement).  encore models an Intel CPU.
	 */
	if ((p->p66 || p->p67) && ((p->map == 0 && (p->op == 0xe8 || p->op == 0xe9)) ||
				   (p->map == 1 && (p->op & 0xf0) == 0x80)) &&
	    dl > (int)cs_len)
		return "66/67 + near branch: capstone decodes rel16, Intel uses rel32";
	/*
	 * RET imm16 (C2 iw) with REX.W and a 66 or 67 prefix: capstone reads a
	 * 4-byte immediate.  The immediate is always 16 bits (SDM Vol. 2B RET:
	 * "C2 iw").
	 */
	if (p->map == 0 && p->op == 0xc2 && p->rex && (p->rex_val & 8) && (p->p66 || p->p67) &&
	    cs_len == (unsigned)dl + 2)
		return "REX.W C2 iw with 66/67: capstone reads imm32, RET imm is always 16 bits";
	/*
	 * A 66 prefix together with F2/F3 on a one-byte opcode: capstone
	 * treats 66 as cancelled by the "mandatory" F2/F3 and decodes a
	 * 32-bit immediate.  F2/F3 have no meaning there and 66 still selects
	 * 16-bit operands (SDM Vol. 2A 2.1.1: instruction prefixes; only
	 * SSE opcodes use 66/F2/F3 as mandatory prefixes).
	 */
	if (p->map == 0 && p->p66 && (p->pf2 || p->pf3) && !(p->rex && (p->rex_val & 8)) &&
	    cs_len == (unsigned)dl + 2)
		return "66 with F2/F3 on a one-byte opcode: capstone drops 66";
	/*
	 * UD1 (0F B9) and UD0 (0F FF) take a ModRM byte (SDM Vol. 2B UD:
	 * "0F FF /r UD0 r32, r/m32", "0F B9 /r UD1 r32, r/m32"); capstone 4
	 * decodes them as two-byte instructions without one.
	 */
	if (p->map == 1 && (p->op == 0xb9 || p->op == 0xff) && cs_len < (unsigned)dl)
		return "UD0/UD1 have a ModRM byte; capstone 4 omits it";
	/*
	 * 0F 78 with a 67 prefix and no 66: capstone 4 decodes AMD's EXTRQ
	 * xmm, imm8, imm8 (which needs 66).  Without 66 it is VMREAD
	 * r/m, r (SDM Vol. 3C 31.3 VMREAD: "0F 78"), no immediates.
	 */
	if (p->map == 1 && p->op == 0x78 && p->p67 && !p->p66 && cs_len == (unsigned)dl + 2)
		return "67 0F 78: capstone decodes EXTRQ (needs 66), Intel VMREAD has no imm";
	return NULL;
}

/* Compare at b[0..avail); returns capstone's length (0: not decoded). */
static unsigned compare_one(const char *where, u64 off, const u8 *b, unsigned avail)
{
	const u8 *code = b;
	size_t size = avail;
	u64 addr = 0;
	if (!cs_disasm_iter(cs, &code, &size, &addr, csi)) {
		skipped_nocs++;
		return 0;
	}
	unsigned cl = csi->size;
	struct parsed p;
	parse(b, avail, &p);
	if (excluded(&p)) {
		skipped_vex++;
		return cl;
	}
	compared++;
	int dl = decode_length(b, avail, true);
	if (dl == (int)cl) {
		check_pass();
		return cl;
	}
	unsigned key = p.map * 256 + p.op;
	const char *why = capstone_quirk(&p, cl, dl);
	if (why) {
		quirks++;
		key_quirk[key]++;
		key_quirk_why[key] = why;
		return cl;
	}
	key_fail[key]++;
	if (check_fail()) {
		printf("FAIL %s+%#llx: bytes=", where, (unsigned long long)off);
		unsigned show = cl > (unsigned)dl ? cl : (unsigned)dl;
		if (show < 4)
			show = 4;
		if (show > avail)
			show = avail;
		for (unsigned k = 0; k < show; k++)
			printf("%02x", b[k]);
		printf(" capstone=%u [%s %s] decode_length=%d\n", cl, csi->mnemonic, csi->op_str, dl);
	}
	return cl;
}

/* ---- (a) generated sequences ---- */

static const u8 legacy[] = { 0x66, 0x67, 0xf2, 0xf3, 0xf0, 0x2e, 0x3e, 0x26, 0x36, 0x64, 0x65 };

static void gen_one(u8 *b)
{
	unsigned n = 0;
	rng_fill(&R, b, 32);
	unsigned np = (unsigned)rng_below(&R, 8);
	np = np < 3 ? 0 : np < 6 ? 1 : np < 7 ? 2 : 3;
	for (unsigned k = 0; k < np; k++)
		b[n++] = legacy[rng_below(&R, ARRAY_SIZE(legacy))];
	if (rng_chance(&R, 2, 5))
		b[n++] = (u8)(0x40 | rng_below(&R, 16));
	if (rng_chance(&R, 1, 20)) /* REX followed by a legacy prefix: REX ignored */
		b[n++] = legacy[rng_below(&R, ARRAY_SIZE(legacy))];
	unsigned kind = (unsigned)rng_below(&R, 20);
	if (kind < 9) {
		u8 op;
		do
			op = (u8)rng_next(&R);
		while (op == 0x0f || op == 0xc4 || op == 0xc5 || op == 0x62 || op == 0x8f ||
		       (op & 0xf0) == 0x40 || op == 0x66 || op == 0x67 || op == 0xf2 || op == 0xf3 ||
		       op == 0xf0 || op == 0x26 || op == 0x2e || op == 0x36 || op == 0x3e || op == 0x64 ||
		       op == 0x65);
		b[n++] = op;
	} else if (kind < 16) {
		u8 op;
		do
			op = (u8)rng_next(&R);
		while (op == 0x0f || op == 0x38 || op == 0x3a);
		b[n++] = 0x0f;
		b[n++] = op;
	} else {
		b[n++] = 0x0f;
		b[n++] = kind < 18 ? 0x38 : 0x3a;
		b[n++] = (u8)rng_next(&R);
	}
	/* ModRM: bias towards memory forms with SIB and displacements. */
	u8 modrm = b[n];
	if (rng_chance(&R, 1, 3))
		modrm = (u8)((modrm & 0xf8) | 4);
	b[n] = modrm;
	/* POP r/m (8F /0) only; the rest of 8F is XOP. */
	if (b[n - 1] == 0x8f && n >= 1)
		b[n] &= 0xc7;
}

static void test_generated(void)
{
	check_group("generated");
	unsigned long count = check_env_u64("ENCORE_DECODE_COUNT", 300000);
	u8 b[32];
	for (unsigned long k = 0; k < count; k++) {
		gen_one(b);
		compare_one("generated", k, b, 15);
	}
}

/* ---- (b) real code ---- */

static u8 *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 20, n = 0;
	u8 *buf = malloc(cap);
	for (;;) {
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		if (!r)
			break;
		n += r;
	}
	fclose(f);
	*len = n;
	return buf;
}

/* The .text section of an ELF64 x86-64 file; NULL if none. */
static const u8 *elf_text(const u8 *img, size_t len, size_t *tlen)
{
	if (len < sizeof(Elf64_Ehdr) || memcmp(img, ELFMAG, SELFMAG) || img[EI_CLASS] != ELFCLASS64)
		return NULL;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
	if (eh->e_machine != EM_X86_64 || !eh->e_shoff || eh->e_shstrndx == SHN_UNDEF ||
	    eh->e_shoff + (u64)eh->e_shnum * sizeof(Elf64_Shdr) > len)
		return NULL;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(img + eh->e_shoff);
	const Elf64_Shdr *strs = &sh[eh->e_shstrndx];
	if (strs->sh_offset + strs->sh_size > len)
		return NULL;
	for (unsigned k = 0; k < eh->e_shnum; k++) {
		if (sh[k].sh_name >= strs->sh_size)
			continue;
		const char *name = (const char *)img + strs->sh_offset + sh[k].sh_name;
		if (strcmp(name, ".text") || sh[k].sh_type != SHT_PROGBITS)
			continue;
		if (sh[k].sh_offset + sh[k].sh_size > len)
			return NULL;
		*tlen = sh[k].sh_size;
		return img + sh[k].sh_offset;
	}
	return NULL;
}

static void test_file(const char *label, const char *path)
{
	size_t len, tlen;
	u8 *img = read_file(path, &len);
	if (!img) {
		printf("note: %s (%s) not readable, skipped\n", label, path);
		return;
	}
	const u8 *text = elf_text(img, len, &tlen);
	if (!text) {
		printf("note: %s (%s) has no ELF64 .text, skipped\n", label, path);
		free(img);
		return;
	}
	check_group(label);
	unsigned long before = compared, undecoded = skipped_nocs;
	size_t off = 0;
	while (off < tlen) {
		unsigned avail = tlen - off < 15 ? (unsigned)(tlen - off) : 15;
		unsigned cl = compare_one(label, off, text + off, avail);
		off += cl ? cl : 1;
	}
	printf("%s: %zu bytes of .text, %lu instructions compared, %lu bytes capstone could not decode\n",
	       label, tlen, compared - before, skipped_nocs - undecoded);
	free(img);
}

int main(void)
{
	u64 seed = check_seed(0xdec0de1e);
	rng_seed(&R, seed);
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		check_skip("capstone unavailable");
	csi = cs_malloc(cs);

	test_generated();
	test_file("busybox", "/bin/busybox");
	test_file("self", "/proc/self/exe");
	const char *extra = getenv("ENCORE_DECODE_FILES");
	if (extra) {
		char *list = strdup(extra), *save = NULL;
		for (char *f = strtok_r(list, ":", &save); f; f = strtok_r(NULL, ":", &save))
			test_file(f, f);
		free(list);
	}
	check_group_end();

	printf("compared %lu, skipped %lu VEX/EVEX/XOP/AMD/VIA, %lu not decoded by capstone\n", compared,
	       skipped_vex, skipped_nocs);
	bool any = false;
	for (unsigned k = 0; k < 4 * 256; k++)
		if (key_fail[k]) {
			if (!any)
				printf("mismatches by opcode:\n");
			any = true;
			static const char *const maps[4] = { "", "0f ", "0f38 ", "0f3a " };
			printf("  %s%02x: %lu\n", maps[k >> 8], k & 0xff, key_fail[k]);
		}
	if (quirks) {
		printf("known capstone quirks (not failures): %lu\n", quirks);
		for (unsigned k = 0; k < 4 * 256; k++)
			if (key_quirk[k]) {
				static const char *const maps[4] = { "", "0f ", "0f38 ", "0f3a " };
				printf("  %s%02x: %lu (%s)\n", maps[k >> 8], k & 0xff, key_quirk[k],
				       key_quirk_why[k]);
			}
	}
	cs_free(csi, 1);
	cs_close(&cs);
	return check_summary();
}
