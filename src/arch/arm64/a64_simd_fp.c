/*
 * The A64 scalar floating-point and Advanced SIMD group (op0 = x111):
 * picks the class and hands it to its file.
 *   bit 28 = 0 (bits 28:24 = 01110, 01111): Advanced SIMD vector;
 *   bits 31:30 = 01, bits 28:24 = 11110/11111: Advanced SIMD scalar;
 *   bits 31:30 = 00, bits 28:24 = 11110/11111: scalar floating point.
 * What the ID registers do not advertise (a64_sysreg.c: crypto, FP16,
 * BF16, FHM ...) is UNDEFINED.
 */
#include "arch/arm64/a64_fp.h"

void a64_decode_simd_fp(u32 w, struct a64_insn *i)
{
	bool bit28 = (w >> 28) & 1;
	if (bit28 && !((w >> 30) & 1)) { /* bit 31: sf of the conversions */
		a64_decode_fp_scalar(w, i);
		return;
	}
	if (w >> 31) {
		a64_decode_undefined(i);
		return;
	}
	if (a64_bits(w, 27, 25) != 7 || (bit28 && !((w >> 30) & 1))) {
		a64_decode_undefined(i);
		return;
	}
	/* bits 28:24 = x1110 with bit 21 = 0: copy, permute, EXT, TBL */
	if (!((w >> 24) & 1) && !((w >> 21) & 1))
		a64_decode_simd_perm(w, i);
	else
		a64_decode_simd_int(w, i);
}
