/*
 * Addresses shared by test_modes.c and the guest code it runs
 * (test_modes_code.S): included by both, so only preprocessor constants.
 */
#ifndef TEST_MODES_H
#define TEST_MODES_H

/* Real mode: code at RM_CS:0, data at RM_DS:0, stack in RM_SS. */
#define RM_CS 0x1000
#define RM_DS 0x2000
#define RM_SS 0x3000
#define RM_CODE (RM_CS * 16)
#define RM_DATA (RM_DS * 16)
#define RM_STACK (RM_SS * 16)

/* Results the code stores: slot n at DS:RES + 4n (physical RM_DATA + ...). */
#define RES 0x800
#define R(n) (RES + 4 * (n))
#define RES_PHYS (RM_DATA + RES)
#define RP(n) (RES_PHYS + 4 * (n))

/* Other code segments the far-transfer test calls into (IP 0 in each). */
#define FAR_A 0x1100
#define FAR_B 0x1200

/* Protected mode: the GDT, IDT and TSS the tests build. */
#define GDT_PHYS 0x5000
#define IDT_PHYS 0x6000
#define TSS_PHYS 0x7000
#define SEL_CODE16 0x08 /* 16-bit code, base RM_CODE, limit 0xffff */
#define SEL_CODE32 0x10 /* 32-bit code, flat */
#define SEL_DATA32 0x18 /* 32-bit data, flat */
#define SEL_DATA16 0x20 /* 16-bit data, base RM_DATA, limit 0xffff */
#define SEL_UCODE32 0x28 /* 32-bit code, DPL 3, flat (use with RPL 3) */
#define SEL_UDATA32 0x30 /* 32-bit data, DPL 3, flat (use with RPL 3) */
#define SEL_TSS32 0x38  /* 32-bit TSS at TSS_PHYS */
#define SEL_CODE64 0x40 /* 64-bit code */
#define SEL_CALLGATE 0x48 /* a 32-bit call gate (not modelled) */
#define SEL_CODE16F 0x50 /* 16-bit code, base 0, limit 0xffff */
#define GDT_ENTRIES 11

/* Protected-mode code runs flat from here (below 64 KiB, so that 16-bit
 * gates and IRETs can return to it). */
#define PM_CODE 0x8000

/* The protected-mode stacks (flat). */
#define PM_STACK0 0x48000 /* TSS.ESP0 */
#define PM_STACK3 0x4c000 /* the CPL 3 code's stack */
#define PM_STACK 0x44000  /* CPL 0 code entered directly */

/* Shared exception handlers of the protected-mode tests. */
#define PM_HANDLERS 0x9000

/* Paging tests: page tables live here. */
#define PT_PHYS 0x80000

#endif
