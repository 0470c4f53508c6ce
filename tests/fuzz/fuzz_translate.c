/*
 * Fuzz target for the translator, translate_block (src/arch/x86/interp/
 * translate.c).  Guest code is untrusted input: any bytes the decoder
 * makes a block of must translate within the room given, or be left to
 * the interpreter (0), never write past that room.  The input is
 *
 *   byte 0   the hooks the translation calls (enum code_hooks, low 3 bits)
 *            and, bit 3, a kernel-half RIP instead of a user one
 *   byte 1   the room: TRANSLATE_MAX_CODE, or a small one (byte * 16)
 *   rest     64-bit code, decoded into one block as block_build does
 *
 * The translation is not run (that is what the differential and guest
 * tests do); a guard after the room must stay untouched.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/interp/decode.h"
#include "arch/x86/interp/interp.h"
#include "arch/x86/interp/ops.h"
#include "arch/x86/interp/translate.h"

#define GUARD 256

static struct block *new_block(void)
{
	struct block *b = calloc(1, sizeof(*b) + BLOCK_MAX_INSNS * sizeof(struct insn));
	if (!b)
		abort();
	return b;
}

/* The block the code at rip decodes to: as block_build, without pages. */
static void decode_block(struct block *b, const u8 *code, size_t size, u64 rip)
{
	size_t at = 0;
	unsigned n = 0;
	b->vrip = rip;
	b->mode_key = 1; /* 64-bit code, CPL 0 */
	while (n < BLOCK_MAX_INSNS && at < size) {
		struct insn *i = &b->insns[n];
		int r = decode_bytes(code + at, (unsigned)(size - at), true, false, i);
		if (r == EXC_UD) {
			i->fn = insn_ud;
			i->flags |= IF_BLOCK_END;
		} else if (r != 0) {
			break; /* cut short or too long: the block ends before it */
		} else {
			decode_select(i);
		}
		n++;
		at += i->len;
		if (i->flags & IF_BLOCK_END) {
			ops_branch__resolve(i, rip + at);
			if (i->flags & IF_BLOCK_END)
				break;
		}
	}
	b->ninsns = (u16)n;
	for (unsigned k = n; k-- > 0;) {
		struct insn *i = &b->insns[k];
		i->hook_run = k + 1 == n || (i->flags & IF_SIDE_EXIT) ? 1 : i[1].hook_run + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct block *b;
	static u8 *buf;
	if (!b) {
		interp_init_ops();
		b = new_block();
		buf = malloc(TRANSLATE_MAX_CODE + GUARD);
		if (!buf)
			abort();
	}
	if (size < 2)
		return 0;
	unsigned hooks = data[0] & 7;
	u64 rip = (data[0] & 8) ? 0xffffffff81000000ull : 0x401000ull;
	size_t room = data[1] >= 0xf0 ? TRANSLATE_MAX_CODE : (size_t)data[1] * 16;
	memset(b, 0, sizeof(*b) + BLOCK_MAX_INSNS * sizeof(struct insn));
	decode_block(b, data + 2, size - 2, rip);
	memset(buf, 0xa5, TRANSLATE_MAX_CODE + GUARD);
	size_t used = translate_block(b, buf, room, hooks);
	if (used > room) {
		fprintf(stderr, "fuzz_translate: %zu bytes used of a room of %zu\n", used, room);
		abort();
	}
	for (size_t k = room; k < room + GUARD; k++)
		if (buf[k] != 0xa5) {
			fprintf(stderr, "fuzz_translate: byte %zu written, past a room of %zu\n", k,
				room);
			abort();
		}
	return 0;
}
