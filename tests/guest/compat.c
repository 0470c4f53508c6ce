/*
 * compat: 32-bit compatibility-mode code segments under long mode.
 * A GDT with a 32-bit code segment (L=0, D=1) and a based 32-bit data
 * segment; LRETQ, far CALL m16:32 and far JMP m16:32 into it from 64-bit
 * mode; in 32-bit mode: arithmetic and flags, push/pop in 4-byte slots on
 * ESP, near CALL/RET, the 0x66 prefix, INC/DEC as 0x40-0x4f, absolute and
 * wrapping 32-bit addresses, segment bases and 16-bit addressing (0x67);
 * back with a 32-bit LRET and a direct far JMP.  #UD and #GP raised in
 * compatibility mode go through the 64-bit IDT with a 64-bit frame (CS =
 * the 32-bit selector) and IRETQ resumes the 32-bit code; the same from
 * CPL 3 32-bit code (#UD and int $0x80 onto the TSS.RSP0 stack).
 *
 * The 32-bit code is in compat.S; it stores its observations in r32[].
 */
#include "rt.h"

#define SEL_CODE32 0x40
#define SEL_DATA32B 0x48
#define SEL_UCODE32 0x50
#define CGDT_ENTRIES (GDT_ENTRIES + 3)
#define FRAME_SS_OFF __builtin_offsetof(struct intr_frame, ss)

/* Slots of r32[] (same numbers in compat.S). */
#define R_ESP0 0
#define R_CS 1
#define R_SS 2
#define R_PUSH_ESP 3
#define R_PUSH_MEM 4
#define R_PUSH_TOTAL 5
#define R_POPW 6
#define R_POP_EBP 7
#define R_POP_IMM 8
#define R_POP_DELTA 9
#define R_PUSHF_DELTA 10
#define R_PUSHCS_DELTA 11
#define R_PUSHCS_VAL 12
#define R_ADD1_RES 13
#define R_ADD1_FL 14
#define R_ADD2_RES 15
#define R_ADD2_FL 16
#define R_MUL_EAX 17
#define R_MUL_EDX 18
#define R_MUL_FL 19
#define R_SUB_RES 20
#define R_SUB_FL 21
#define R_SHL_RES 22
#define R_SHL_FL 23
#define R_ADC_EAX 24
#define R_ADC_EDX 25
#define R_CALL_DELTA 26
#define R_CALL_RET 27
#define R_CALL_AFTER 28
#define R_CALLR_ARG1 29
#define R_CALLR_ARG2 30
#define R_CALLR_AFTER 31
#define R_W_ADD_RES 32
#define R_W_ADD_FL 33
#define R_W_MOV 34
#define R_W_ADD2_RES 35
#define R_W_ADD2_FL 36
#define R_W_MEM 37
#define R_W_INC 38
#define R_W_INC_FL 39
#define R_W_PUSH_DELTA 40
#define R_ID_MOV 41
#define R_ID_EAX 42
#define R_ID_ECX 43
#define R_ID_EDX 44
#define R_ID_EBX 45
#define R_ID_ESP 46
#define R_ID_EBP 47
#define R_ID_ESI 48
#define R_ID_EDI 49
#define R_INC_RES 50
#define R_INC_FL 51
#define R_DEC_RES 52
#define R_DEC_FL 53
#define R_M_ABS 54
#define R_M_BASE 55
#define R_M_WRAP 56
#define R_M_LEA 57
#define R_M_SIB 58
#define R_S_ES_BASE 59
#define R_S_A16 60
#define R_DONE 61
#define R_LC_ESP 62
#define R_LC_EIP 63
#define R_LC_CS 64
#define R_F_ESP 65
#define R_F_CF 66
#define R_F_ESP2 67
#define R_F_MODE 68
#define R_F_DONE 69
#define R_F_EAX 70
#define R_U_CS 71
#define R_U_SS 72
#define R_U_ESP 73
#define R_U_RESUMED 74

u32 r32[96];
/* What the based data segment (0x48) covers. */
u32 based_area[1024] ALIGNED(4096);

extern u8 stack32_top[];
extern u32 data32, data32w;
extern u8 c32_ret_addr[], c32_ud2[], c32_ud2_end[], c32_gp[], c32_gp_end[];
extern u8 compat_lcall_ret[];
void compat_run(void);
u64 compat_lcall(void);
void compat_fault(void);
void compat_user(void);
NORETURN void compat_user_exit(void);
extern u8 c32_user_ud2[], c32_user_ud2_end[], c32_user_int80_end[];

static u64 cgdt[CGDT_ENTRIES] ALIGNED(16);

static u64 seg_desc(u32 base, u32 limit, u8 access, u8 flags)
{
	return (limit & 0xffff) | (u64)(base & 0xffffff) << 16 | (u64)access << 40 |
	       (u64)(limit >> 16 & 0xf) << 48 | (u64)(flags & 0xf) << 52 |
	       (u64)(base >> 24) << 56;
}

/*
 * The runtime's GDT has no spare slot: copy it (TR stays loaded; its
 * descriptor is already busy) and append our descriptors.
 */
static void compat_gdt_init(void)
{
	struct dtr d = { .limit = sizeof(cgdt) - 1, .base = (u64)cgdt };

	memcpy(cgdt, gdt, sizeof(gdt));
	/* 32-bit code: G=1, D=1, L=0, P, DPL 0, execute/read, base 0, 4 GiB */
	cgdt[SEL_CODE32 / 8] = 0x00cf9a000000fffful;
	/* 32-bit data: G=0, B=1, P, DPL 0, read/write, base based_area, 4 KiB */
	cgdt[SEL_DATA32B / 8] = seg_desc((u32)(u64)based_area, sizeof(based_area) - 1, 0x92, 0x4);
	/* 32-bit code, DPL 3 */
	cgdt[SEL_UCODE32 / 8] = 0x00cffa000000fffful;
	lgdt(&d);
}

#define CHK(slot, want, what) check_eq(r32[slot], (want), "%s", what)
#define CHKFL(slot, mask, want, what) \
	check_eq(r32[slot] & (mask), (want), "%s (flags & %lx)", what, (u64)(mask))

static void test_compat_run(void)
{
	u32 top = (u32)(u64)stack32_top;

	memset(r32, 0, sizeof(r32));
	based_area[1] = 0x8a5e0001;
	based_area[2] = 0x8a5e0002;
	based_area[3] = 0;
	compat_run();

	if (!check_eq(r32[R_DONE], 0x600d, "32-bit code ran to its far return"))
		return;
	check_eq(read_cs(), SEL_KCODE, "back in 64-bit CS");
	CHK(R_ESP0, top, "LRETQ into 32-bit code: ESP");
	CHK(R_CS, SEL_CODE32, "32-bit code: CS");
	CHK(R_SS, SEL_KDATA, "32-bit code: SS");

	/* push/pop */
	CHK(R_PUSH_ESP, top - 4, "push imm32: ESP - 4 (across a 64 KiB boundary)");
	CHK(R_PUSH_MEM, 0x11223344, "push imm32: value at [ESP]");
	CHK(R_PUSH_TOTAL, 10, "push imm32, push ebp, pushw imm16: 4 + 4 + 2 bytes");
	CHK(R_POPW, 0xaaaa5566, "popw %ax: only AX written");
	CHK(R_POP_EBP, top, "pop ecx: pushed EBP");
	CHK(R_POP_IMM, 0x11223344, "pop edx: pushed imm32");
	CHK(R_POP_DELTA, 0, "pops restore ESP");
	CHK(R_PUSHF_DELTA, 4, "pushfd: 4 bytes");
	CHK(R_PUSHCS_DELTA, 4, "push cs: 4-byte slot");
	CHK(R_PUSHCS_VAL, SEL_CODE32, "push cs: selector");

	/* arithmetic */
	CHK(R_ADD1_RES, 0, "add 0xffffffff + 1");
	CHKFL(R_ADD1_FL, FL_ARITH, FL_CF | FL_PF | FL_AF | FL_ZF, "add 0xffffffff + 1 flags");
	CHK(R_ADD2_RES, 0x80000000, "add 0x7fffffff + 1");
	CHKFL(R_ADD2_FL, FL_ARITH, FL_PF | FL_AF | FL_SF | FL_OF, "add 0x7fffffff + 1 flags");
	CHK(R_MUL_EAX, 0x34567800, "mul ecx: EAX");
	CHK(R_MUL_EDX, 0x12, "mul ecx: EDX");
	CHKFL(R_MUL_FL, FL_CF | FL_OF, FL_CF | FL_OF, "mul ecx: CF OF");
	CHK(R_SUB_RES, 0xfffffffe, "sub 5 - 7");
	CHKFL(R_SUB_FL, FL_ARITH, FL_CF | FL_AF | FL_SF, "sub 5 - 7 flags");
	CHK(R_SHL_RES, 2, "shl 0x80000001, 1");
	CHKFL(R_SHL_FL, FL_ARITH & ~FL_AF, FL_CF | FL_OF, "shl 0x80000001, 1 flags");
	CHK(R_ADC_EAX, 0, "add/adc: low word");
	CHK(R_ADC_EDX, 2, "add/adc: carry out of bit 31");

	/* near call/ret */
	CHK(R_CALL_DELTA, 4, "call rel32: 4-byte return address");
	CHK(R_CALL_RET, (u32)(u64)c32_ret_addr, "call rel32: return EIP on the stack");
	CHK(R_CALL_AFTER, 0, "ret: ESP restored");
	CHK(R_CALLR_ARG1, 2, "call *eax: [ESP+4]");
	CHK(R_CALLR_ARG2, 1, "call *eax: [ESP+8]");
	CHK(R_CALLR_AFTER, 0, "ret $8: ESP restored");

	/* 0x66 */
	CHK(R_W_ADD_RES, 0x12340000, "66 add ax, 1: upper half kept");
	CHKFL(R_W_ADD_FL, FL_ARITH, FL_CF | FL_PF | FL_AF | FL_ZF, "66 add ax, 1 flags");
	CHK(R_W_MOV, 0x1234beef, "66 b8 imm16: mov ax");
	CHK(R_W_ADD2_RES, 0x00010000, "66 add dx, 0x8000");
	CHKFL(R_W_ADD2_FL, FL_ARITH, FL_CF | FL_PF | FL_ZF | FL_OF, "66 add dx, 0x8000 flags");
	CHK(R_W_MEM, 0xaaaa7777, "66 c7 05 disp32 imm16: 16-bit store");
	CHK(R_W_INC, 0x55550000, "66 40: inc ax");
	CHKFL(R_W_INC_FL, FL_ARITH, FL_CF | FL_PF | FL_AF | FL_ZF, "66 40: inc ax flags (CF kept)");
	CHK(R_W_PUSH_DELTA, 2, "66 51: push cx is 2 bytes");

	/* 0x40-0x4f */
	CHK(R_ID_MOV, 4, "48 89 c1 is dec eax; mov ecx, eax (not REX.W mov)");
	CHK(R_ID_EAX, 0x0f, "40 / 48 48: eax");
	CHK(R_ID_ECX, 0x20, "41 / 49: ecx");
	CHK(R_ID_EDX, 0x2e, "42 / 4a 4a 4a: edx");
	CHK(R_ID_EBX, 0x40, "43 / 4b: ebx");
	CHK(R_ID_ESP, 0, "44 / 4c: esp");
	CHK(R_ID_EBP, 0x4e, "45 / 4d 4d 4d: ebp");
	CHK(R_ID_ESI, 0x60, "46 / 4e: esi");
	CHK(R_ID_EDI, 0x6f, "47 / 4f 4f: edi");
	CHK(R_INC_RES, 0x80000000, "42: inc edx");
	CHKFL(R_INC_FL, FL_ARITH, FL_CF | FL_PF | FL_AF | FL_SF | FL_OF,
	      "42: inc edx flags (CF kept)");
	CHK(R_DEC_RES, 0, "4b: dec ebx");
	CHKFL(R_DEC_FL, FL_ARITH, FL_PF | FL_ZF, "4b: dec ebx flags (CF kept clear)");

	/* memory */
	check_eq(data32, 0xcafebabe, "c7 05 disp32: absolute store (not RIP-relative)");
	CHK(R_M_ABS, 0xcafebabe, "a1 moffs32 load");
	CHK(R_M_BASE, 0xcafebabe, "load through [ebx]");
	CHK(R_M_WRAP, 0xcafebabe, "effective address wraps at 4 GiB");
	CHK(R_M_LEA, (u32)(u64)&data32, "lea: 32-bit effective address");
	CHK(R_M_SIB, 0x40, "load through [esi+ecx*4]");

	/* segment base, 16-bit addressing */
	CHK(R_S_ES_BASE, 0x8a5e0001, "ES base applies in compatibility mode");
	CHK(R_S_A16, 0x8a5e0002, "26 67 8b 07: mov eax, es:[bx] (16-bit address)");
	check_eq(based_area[3], 0x5e5e5e5e, "store through ES with a base");
	check_eq(read_es(), SEL_KDATA, "ES restored");
}

static void test_lcall(void)
{
	u32 top = (u32)(u64)stack32_top;
	u64 rsp;

	memset(r32, 0, sizeof(r32));
	rsp = compat_lcall();
	CHK(R_LC_ESP, top - 8, "far call m16:32 from 64-bit mode: two 4-byte pushes");
	CHK(R_LC_EIP, (u32)(u64)compat_lcall_ret, "far call m16:32: return EIP");
	CHK(R_LC_CS, SEL_KCODE, "far call m16:32: return CS");
	check_eq(rsp, top, "32-bit lret back to 64-bit: RSP");
}

/* What an exception handler below saw: its last frame, where that frame
 * was, and how many times it ran. */
struct seen {
	struct intr_frame f;
	u64 frame_addr;
	int count;
};

static void seen_record(struct seen *s, const struct intr_frame *f)
{
	s->f = *f;
	s->frame_addr = (u64)f;
	s->count++;
}

static struct seen ud_seen, gp_seen;

static void ud_handler(struct intr_frame *f)
{
	seen_record(&ud_seen, f);
	if (f->rip != (u64)c32_ud2)
		fail("#UD at unexpected rip %lx cs %lx", f->rip, f->cs);
	f->rip = (u64)c32_ud2_end;
	f->rflags |= FL_CF;
}

static void gp_handler(struct intr_frame *f)
{
	seen_record(&gp_seen, f);
	if (f->rip != (u64)c32_gp)
		fail("#GP(%lx) at unexpected rip %lx cs %lx", f->error, f->rip, f->cs);
	f->rip = (u64)c32_gp_end;
}

static void check_frame(const char *what, const struct seen *s, u64 rip, u64 err)
{
	const struct intr_frame *f = &s->f;
	u32 top = (u32)(u64)stack32_top;

	check_eq(f->rip, rip, "%s: saved RIP", what);
	check_eq(f->cs, SEL_CODE32, "%s: saved CS is the 32-bit selector", what);
	check_eq(f->error, err, "%s: error code", what);
	check_eq(f->rsp & 0xffffffff, top, "%s: saved RSP (low half) is ESP", what);
	check_eq(f->ss, SEL_KDATA, "%s: saved SS", what);
	check_eq(f->rflags & ~(FL_ARITH | FL_RF), FL_FIXED, "%s: saved RFLAGS", what);
	check_eq(s->frame_addr + FRAME_SS_OFF, (u64)ist1_stack_top - 8,
		 "%s: 64-bit frame at the top of the IST1 stack", what);
}

static void test_fault(void)
{
	memset(r32, 0, sizeof(r32));
	idt_set_handler(VEC_UD, ud_handler);
	idt_set_handler(VEC_GP, gp_handler);
	/* Deliver on IST1: RSP's upper half is undefined after 32-bit code. */
	idt_set_ist(VEC_UD, 1);
	idt_set_ist(VEC_GP, 1);
	compat_fault();
	idt_set_ist(VEC_UD, 0);
	idt_set_ist(VEC_GP, 0);
	idt_set_handler(VEC_UD, NULL);
	idt_set_handler(VEC_GP, NULL);

	CHK(R_F_ESP, (u32)(u64)stack32_top, "far jmp m16:32 into 32-bit code: ESP");
	check_eq(ud_seen.count, 1, "ud2 in compatibility mode: one #UD");
	check_frame("#UD from compatibility mode", &ud_seen, (u64)c32_ud2, 0);
	CHK(R_F_CF, 0xffffffff, "IRETQ into 32-bit code: RFLAGS from the frame");
	CHK(R_F_EAX, 0x11111111, "IRETQ into 32-bit code: EAX preserved");
	CHK(R_F_ESP2, (u32)(u64)stack32_top, "IRETQ into 32-bit code: ESP");
	CHK(R_F_MODE, 4, "IRETQ into 32-bit code: still decoding 48 as dec eax");
	check_eq(gp_seen.count, 1, "mov es, 0x1000 in compatibility mode: one #GP");
	check_frame("#GP from compatibility mode", &gp_seen, (u64)c32_gp, 0x1000);
	CHK(R_F_DONE, 1, "resumed after #GP, far jmp ptr16:32 back to 64-bit mode");
	check_eq(read_cs(), SEL_KCODE, "back in 64-bit CS");
}

static struct seen uud_seen, u80_seen;

static void user_ud_handler(struct intr_frame *f)
{
	seen_record(&uud_seen, f);
	if (f->rip != (u64)c32_user_ud2)
		fail("#UD at unexpected rip %lx cs %lx", f->rip, f->cs);
	f->rip = (u64)c32_user_ud2_end;
}

static void user_int80_handler(struct intr_frame *f)
{
	seen_record(&u80_seen, f);
	compat_user_exit();
}

static void check_user_frame(const char *what, const struct seen *s, u64 rip)
{
	const struct intr_frame *f = &s->f;

	check_eq(f->rip, rip, "%s: saved RIP", what);
	check_eq(f->cs, SEL_UCODE32 | 3, "%s: saved CS is the 32-bit user selector", what);
	check_eq(f->error, 0, "%s: error code", what);
	check_eq(f->rsp & 0xffffffff, (u32)(u64)stack32_top, "%s: saved RSP (low half)", what);
	check_eq(f->ss, SEL_UDATA | 3, "%s: saved SS", what);
	check_eq(s->frame_addr + FRAME_SS_OFF, (u64)rsp0_stack_top - 8,
		 "%s: 64-bit frame at the top of TSS.RSP0", what);
}

static void test_user(void)
{
	u64 old_cr3 = read_cr3();

	/* Encore's boot map is supervisor-only: an identity map with U. */
	write_cr3((u64)pt_identity(PTE_P | PTE_W | PTE_U));
	memset(r32, 0, sizeof(r32));
	idt_set_handler(VEC_UD, user_ud_handler);
	idt_set_handler(0x80, user_int80_handler);
	idt_set_dpl(0x80, 3);
	compat_user();
	idt_set_dpl(0x80, 0);
	idt_set_handler(0x80, NULL);
	idt_set_handler(VEC_UD, NULL);
	write_cr3(old_cr3);

	CHK(R_U_CS, SEL_UCODE32 | 3, "IRETQ to CPL 3 32-bit code: CS");
	CHK(R_U_SS, SEL_UDATA | 3, "IRETQ to CPL 3 32-bit code: SS");
	CHK(R_U_ESP, (u32)(u64)stack32_top, "IRETQ to CPL 3 32-bit code: ESP");
	check_eq(uud_seen.count, 1, "ud2 at CPL 3 in compatibility mode: one #UD");
	check_user_frame("#UD from CPL 3 compatibility mode", &uud_seen, (u64)c32_user_ud2);
	CHK(R_U_RESUMED, 4, "IRETQ back to CPL 3 32-bit code after #UD");
	check_eq(u80_seen.count, 1, "int $0x80 from CPL 3 compatibility mode");
	check_user_frame("int $0x80 from CPL 3 compatibility mode", &u80_seen,
			 (u64)c32_user_int80_end);
	check_eq(read_cs(), SEL_KCODE, "back in 64-bit CS");
}

int main(void)
{
	test_start("compat");
	gdt_init();
	idt_init();
	compat_gdt_init();
	test_compat_run();
	test_lcall();
	test_fault();
	test_user();
	return test_finish();
}
