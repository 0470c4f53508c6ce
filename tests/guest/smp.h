/*
 * smp guest: constants shared by smp.c and the AP trampoline in smp.S
 * (preprocessor only: the .S includes it too).
 */
#ifndef GUEST_SMP_H
#define GUEST_SMP_H

/*
 * The trampoline runs at TRAMP, where a STARTUP IPI with vector
 * TRAMP >> 12 starts an AP (real mode, CS = TRAMP >> 4, IP = 0).  It must
 * be a page below 1 MiB: 0x10000 is the first page above what encore
 * keeps for its boot structures (0x1000-0x9fff, BARE_RESERVED_END is
 * 64 KiB), far below the EBDA, the BIOS area and the ACPI tables, and
 * nothing a boot loader leaves in QEMU's low memory (SeaBIOS's own AP
 * start-up code, which used it, has finished by then).
 */
#define TRAMP 0x10000
#define TRAMP_VECTOR (TRAMP >> 12)
#define TRAMP_SEG (TRAMP >> 4)

/* The trampoline's GDT: long-mode code and data at the runtime's
 * selectors, then 16-bit segments based at TRAMP and flat 32-bit code. */
#define TSEL_CODE64 0x08
#define TSEL_DATA 0x10
#define TSEL_CODE16 0x18
#define TSEL_DATA16 0x20
#define TSEL_CODE32 0x28
#define TGDT_ENTRIES 6

/* What the BSP fills in for each AP (struct tramp_data in smp.c). */
#define TD_CR0 0
#define TD_CR3 4
#define TD_CR4 8
#define TD_EFER 12
#define TD_STACK 16 /* u64: the AP's stack top */
#define TD_ENTRY 24 /* u64: ap_entry(TD_ARG), 64-bit */
#define TD_ARG 32   /* u64: the AP's struct cpu */
#define TD_STAGES 40 /* u32: STAGE_* bits the AP sets on the way */
#define TD_RM_CS 44  /* u16: CS in real mode */
#define TD_SIZE 48

#define STAGE_REAL 1
#define STAGE_PM16 2
#define STAGE_PM32 4
#define STAGE_LONG 8
#define STAGES_ALL 15

#endif
