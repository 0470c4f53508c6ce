/*
 * modes guest: constants shared by modes.c and modes.S (preprocessor
 * only: the .S includes it too).
 */
#ifndef GUEST_MODES_H
#define GUEST_MODES_H

/* The low blob (modes.S) runs at LOW = LOW_SEG:0, below 1 MiB. */
#define LOW 0x20000
#define LOW_SEG 0x2000
#define LOW_STACK 0xf000 /* stack offset in the blob's 64 KiB */
#define IVT 0x30000      /* the real-mode IVT (IDTR.base) */

/* Descriptors after the runtime's 8 GDT entries. */
#define SEL_CODE32 0x40 /* 32-bit code, flat */
#define SEL_DATA32 0x48 /* 32-bit data, flat */
#define SEL_CODE16 0x50 /* 16-bit code, base LOW, limit 0xffff */
#define SEL_DATA16 0x58 /* 16-bit data, base LOW, limit 0xffff */
#define MGDT_ENTRIES 12

/* 32-bit paging: linear PAGED_VA maps test_page, PAGED_VA + 4 KiB is absent. */
#define PAGED_VA 0x1000000

/* Result slots (u32) the blob fills; see modes.c for what each holds. */
#define R_C_EFER 0
#define R_C_CS 1
#define R_OFF_EFER 2
#define R_OFF_CR0 3
#define R_P_EIP 4
#define R_P_CS 5
#define R_P_EFLAGS 6
#define R_P_ESP 7
#define R_P_AFTER 8
#define R_P_UD_EIP 9
#define R_G_ERR 10
#define R_G_CR2 11
#define R_G_EIP 12
#define R_G_READ 13
#define R_S_CS 14
#define R_S_PUSH 15
#define R_S_IP 16
#define R_S_GCS 17
#define R_S_FLAGS 18
#define R_S_SP 19
#define R_S_AFTER 20
#define R_R_CS 21
#define R_R_IP 22
#define R_R_ICS 23
#define R_R_FLAGS 24
#define R_R_SP 25
#define R_R_DE_IP 26
#define R_R_DIV 27
#define R_R_ES 28
#define R_R_UNREAL 29
#define R_R_AFTER 30
#define R_U_EFER 31
#define R_U_CS 32
#define R_COUNT 40

#endif
