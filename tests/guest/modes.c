/*
 * modes: from 64-bit long mode down through compatibility mode, 32-bit
 * protected mode (with and without 32-bit paging) and 16-bit protected
 * mode to real mode, and back up to long mode the way Linux's AP
 * trampoline goes (modes.S).  This file builds what the lower modes need
 * (a GDT with 16/32-bit segments, an IDT of 8-byte gates, a real-mode IVT,
 * 32-bit page tables), runs the trip and checks what each stage observed,
 * printing "modes: <stage> ok" per stage that passed.
 */
#include "modes.h"
#include "rt.h"

extern u8 lowblob[], lowblob_end[], lowres[];
extern u8 low_int40_ret[], low_ud2[], low_pf[], low_int41_ret[], low_int21_ret[], low_div[];
extern u8 low_h40[], low_hud[], low_hpf[], low_h41[], low_h21[], low_hde[];
void modes_run(void);

/* Referenced by modes.S (32-bit absolute addresses: the image is below 4 MiB). */
u64 mgdt[MGDT_ENTRIES] ALIGNED(16);
u64 idt32[256] ALIGNED(8);
u32 pd32[1024] ALIGNED(4096);
u32 pt32[1024] ALIGNED(4096);
u32 test_page[1024] ALIGNED(4096);

/* Where a blob label is once the blob sits at LOW. */
static u32 low_addr(const u8 *label)
{
	return LOW + (u32)(label - lowblob);
}

static u16 low_off(const u8 *label)
{
	return (u16)(label - lowblob);
}

static u32 res(int slot)
{
	return ((volatile u32 *)(u64)low_addr(lowres))[slot];
}

static u64 seg_desc(u32 base, u32 limit, u8 access, u8 flags)
{
	return (limit & 0xffff) | (u64)(base & 0xffffff) << 16 | (u64)access << 40 |
	       (u64)(limit >> 16 & 0xf) << 48 | (u64)(flags & 0xf) << 52 | (u64)(base >> 24) << 56;
}

/* The runtime's GDT (TR stays loaded; its descriptor is busy) plus ours. */
static void mgdt_init(void)
{
	struct dtr d = { .limit = sizeof(mgdt) - 1, .base = (u64)mgdt };

	memcpy(mgdt, gdt, sizeof(gdt));
	mgdt[SEL_CODE32 / 8] = seg_desc(0, 0xfffff, 0x9b, 0xc);
	mgdt[SEL_DATA32 / 8] = seg_desc(0, 0xfffff, 0x93, 0xc);
	mgdt[SEL_CODE16 / 8] = seg_desc(LOW, 0xffff, 0x9b, 0x0);
	mgdt[SEL_DATA16 / 8] = seg_desc(LOW, 0xffff, 0x93, 0x0);
	lgdt(&d);
}

/* An 8-byte gate: type 6 (16-bit interrupt), 14 (interrupt), 15 (trap). */
static void gate32(int vec, u16 sel, u32 off, unsigned type)
{
	idt32[vec] = (off & 0xffff) | (u64)sel << 16 | (u64)(0x80 | type) << 40 |
		     (u64)(off >> 16) << 48;
}

static void ivt_set(int vec, u16 seg, u16 off)
{
	volatile u16 *e = (volatile u16 *)(u64)(IVT + 4 * vec);

	e[0] = off;
	e[1] = seg;
}

static void tables_init(void)
{
	gate32(0x40, SEL_CODE32, low_addr(low_h40), 15);
	gate32(6, SEL_CODE32, low_addr(low_hud), 14);
	gate32(14, SEL_CODE32, low_addr(low_hpf), 14);
	gate32(0x41, SEL_CODE16, low_off(low_h41), 6);
	ivt_set(0x21, LOW_SEG, low_off(low_h21));
	ivt_set(0, LOW_SEG, low_off(low_hde));
	/* 32-bit paging: 4 MiB identity pages below 16 MiB, then 4 KiB pages. */
	for (u32 k = 0; k < 4; k++)
		pd32[k] = k << 22 | PTE_PS | PTE_W | PTE_P;
	pd32[PAGED_VA >> 22] = (u32)(u64)pt32 | PTE_W | PTE_P;
	pt32[0] = (u32)(u64)test_page | PTE_W | PTE_P;
	pt32[1] = 0;
}

#define CHK(slot, want, what) ok &= check_eq(res(slot), (want), "%s", what)
/* The saved flags, arithmetic flags aside (they hold what ran before). */
#define CHKFL(slot, want, what) \
	ok &= check_eq(res(slot) & ~FL_ARITH, (want), "%s (without arithmetic flags)", what)

static void stage(const char *name, int ok)
{
	if (ok)
		kprintf("modes: %s ok\n", name);
}

static void check_results(void)
{
	int ok = 1;

	CHK(R_C_CS, SEL_CODE32, "compatibility mode: CS");
	ok &= check_eq(res(R_C_EFER) & 0x500, 0x500, "compatibility mode: EFER.LME and LMA");
	stage("compatibility mode", ok);

	ok = 1;
	ok &= check_eq(res(R_OFF_EFER) & 0x500, 0, "paging off, LME off: long mode is over");
	ok &= check_eq(res(R_OFF_CR0) >> 31, 0, "CR0.PG clear");
	stage("long mode off", ok);

	ok = 1;
	CHK(R_P_EIP, low_addr(low_int40_ret), "INT 0x40 (32-bit trap gate): EIP");
	CHK(R_P_CS, SEL_CODE32, "INT 0x40: CS");
	CHKFL(R_P_EFLAGS, 0x2, "INT 0x40: EFLAGS");
	CHK(R_P_ESP, LOW + LOW_STACK - 12, "INT 0x40: a 12-byte frame");
	CHK(R_P_AFTER, LOW + LOW_STACK, "IRET pops it");
	CHK(R_P_UD_EIP, low_addr(low_ud2), "#UD through the 32-bit IDT: EIP of UD2");
	stage("32-bit protected mode", ok);

	ok = 1;
	CHK(R_G_ERR, 0, "#PF on a not-present PTE: error code 0");
	CHK(R_G_CR2, PAGED_VA + 0x1000, "#PF: CR2");
	CHK(R_G_EIP, low_addr(low_pf), "#PF: EIP of the load");
	CHK(R_G_READ, 0x5a5a5a5a, "read back through the 4 KiB mapping");
	ok &= check_eq(test_page[0], 0x5a5a5a5a, "the store reached test_page");
	ok &= check_eq(pt32[0] & (PTE_A | PTE_D), PTE_A | PTE_D, "PTE: A and D");
	ok &= check_eq(pt32[1], 0, "the not-present PTE untouched");
	ok &= check_eq(pd32[PAGED_VA >> 22] & (PTE_A | PTE_D), PTE_A, "PDE of the table: A");
	ok &= check_eq(pd32[0] & PTE_A, PTE_A, "4 MiB PDE of the code: A");
	stage("32-bit paging", ok);

	ok = 1;
	CHK(R_S_CS, SEL_CODE16, "16-bit protected mode: CS");
	CHK(R_S_PUSH, 2, "a 16-bit push");
	CHK(R_S_IP, low_off(low_int41_ret), "INT 0x41 (16-bit gate): IP");
	CHK(R_S_GCS, SEL_CODE16, "INT 0x41: CS");
	CHKFL(R_S_FLAGS, 0x2, "INT 0x41: FLAGS");
	CHK(R_S_SP, LOW_STACK - 6, "INT 0x41: 2-byte slots");
	CHK(R_S_AFTER, LOW_STACK, "16-bit IRET");
	stage("16-bit protected mode", ok);

	ok = 1;
	CHK(R_R_CS, LOW_SEG, "real mode: CS");
	CHK(R_R_IP, low_off(low_int21_ret), "INT 0x21 through the IVT: IP");
	CHK(R_R_ICS, LOW_SEG, "INT 0x21: CS");
	CHKFL(R_R_FLAGS, 0x2, "INT 0x21: FLAGS");
	CHK(R_R_SP, LOW_STACK - 6, "INT 0x21: a 6-byte frame");
	CHK(R_R_AFTER, LOW_STACK, "IRET");
	CHK(R_R_DE_IP, low_off(low_div), "#DE through the IVT: IP of the DIV");
	CHK(R_R_DIV, 7, "DIV restarted: 7 / 1");
	CHK(R_R_ES, 0x1234, "segment arithmetic: (DS + 1):(x - 16) = DS:x");
	CHK(R_R_UNREAL, 0x5a5a5a5a, "FS keeps its 4 GiB limit in real mode");
	stage("real mode", ok);

	ok = 1;
	ok &= check_eq(res(R_U_EFER) & 0x500, 0x500, "after CR0.PG: EFER.LMA");
	CHK(R_U_CS, SEL_CODE32, "still 32-bit code: compatibility mode");
	ok &= check_eq(read_cs(), SEL_KCODE, "back in 64-bit mode");
	ok &= check_eq(rdmsr(MSR_EFER) & 0x500, 0x500, "EFER.LME and LMA");
	stage("back to long mode", ok);
}

int main(void)
{
	test_start("modes");
	gdt_init();
	idt_init();
	mgdt_init();
	tables_init();
	memcpy((void *)(u64)LOW, lowblob, lowblob_end - lowblob);
	modes_run();
	idt_load();
	check_results();
	return test_finish();
}
