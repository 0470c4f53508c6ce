/*
 * Stage-1 translation tables as the A64 unit tests write them by hand
 * (test_a64_mmu.c, test_a64_translate.c): the descriptor bits (4 KiB
 * granule), the MAIR the tests use, and the keys of the registers that
 * set the MMU up (a64_sysreg_write).
 */
#ifndef TESTS_A64_TABLES_H
#define TESTS_A64_TABLES_H

#include "arch/arm64/a64_sysreg.h"

#define SCTLR_KEY A64_SYSREG(3, 0, 1, 0, 0)
#define TCR_KEY A64_SYSREG(3, 0, 2, 0, 2)
#define TTBR0_KEY A64_SYSREG(3, 0, 2, 0, 0)
#define TTBR1_KEY A64_SYSREG(3, 0, 2, 0, 1)
#define MAIR_KEY A64_SYSREG(3, 0, 10, 2, 0)

/* Descriptor bits. */
#define D_VALID 1ull
#define D_TABLE 3ull
#define D_BLOCK 1ull
#define D_PAGE 3ull
#define D_ATTR(n) ((u64)(n) << 2)
#define D_AP_EL0 (1ull << 6)
#define D_AP_RO (1ull << 7)
#define D_SH_ISH (3ull << 8)
#define D_AF (1ull << 10)
#define D_NG (1ull << 11)
#define D_PXN (1ull << 53)
#define D_UXN (1ull << 54)
#define T_PXN (1ull << 59)
#define T_UXN (1ull << 60)
#define T_AP_NOEL0 (1ull << 61)
#define T_AP_RO (1ull << 62)

/* MAIR: attribute 0 Device-nGnRnE, 1 Normal write-back, 2 Normal NC. */
#define MAIR_VALUE 0x44ff00ull
#define NORMAL D_ATTR(1)
#define DEVICE D_ATTR(0)

#endif
