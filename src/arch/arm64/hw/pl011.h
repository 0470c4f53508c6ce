/*
 * An Arm PrimeCell PL011 UART, revision r1p5 (32-entry FIFOs), as on the
 * QEMU-virt style AArch64 board: the registers Linux's amba-pl011 driver
 * and earlycon=pl011 use, the PrimeCell ID registers the AMBA bus matches
 * the driver by, the receive, receive-timeout, transmit, modem-status and
 * overrun interrupts combined into one level-triggered line.
 * Transmission is immediate: a byte written to UARTDR while the
 * transmitter is enabled goes to the host at once.
 */
#ifndef ARM64_HW_PL011_H
#define ARM64_HW_PL011_H

#include "encore/hw.h"
#include "encore/serial.h"

#define PL011_SIZE 0x1000ull
#define PL011_FIFO_DEPTH 32
/* UARTCLK: the board's device tree must give the same (QEMU virt's apb-pclk). */
#define PL011_CLOCK_HZ 24000000ull

/* Register offsets (PL011 TRM, "Summary of registers"). */
enum pl011_reg {
	PL011_DR = 0x000,
	PL011_RSR_ECR = 0x004,
	PL011_FR = 0x018,
	PL011_ILPR = 0x020,
	PL011_IBRD = 0x024,
	PL011_FBRD = 0x028,
	PL011_LCR_H = 0x02c,
	PL011_CR = 0x030,
	PL011_IFLS = 0x034,
	PL011_IMSC = 0x038,
	PL011_RIS = 0x03c,
	PL011_MIS = 0x040,
	PL011_ICR = 0x044,
	PL011_DMACR = 0x048,
	PL011_PERIPH_ID0 = 0xfe0, /* PeriphID0-3, then PCellID0-3 at 0xff0 */
};

/* Everything the guest can observe; a checkpoint saves these bytes. */
struct pl011_state {
	u64 rx_last_ns;       /* when the newest character entered the receive FIFO */
	u64 timeout_deadline; /* receive-timeout timer, or VTIMER_OFF */
	u16 rx_fifo[PL011_FIFO_DEPTH]; /* data and error bits, as UARTDR reads them */
	u8 tx_fifo[PL011_FIFO_DEPTH];  /* bytes written while the transmitter is off */
	u32 baud_divisor;     /* 64 * IBRD + FBRD, latched by the last LCR_H write */
	u16 cr, lcr_h, ibrd, fbrd, ifls, imsc, ris, dmacr;
	u8 rx_head, rx_count, tx_head, tx_count;
	u8 ilpr;
	u8 rsr;               /* receive status: FE, PE, BE, OE until a UARTECR write */
	u8 modem;             /* modem status inputs: CTS, DSR, DCD, RI in bits 0-3 */
	u8 overrun;           /* the next character stored carries DR.OE */
	u8 irq_level;         /* what the interrupt line is driven to */
	u8 reserved[3];       /* keeps the layout free of compiler padding */
};

struct pl011;

/*
 * A PL011 at MMIO `base` (PL011_SIZE bytes) driving interrupt line `irq`
 * (machine__set_irq; on the board an SPI number).  Transmitted bytes go to
 * tx(tx_opaque, byte).  Registered as device "pl011"; the machine owns it.
 */
struct pl011 *pl011__create(struct encore_machine *m, u64 base, unsigned irq,
			    void (*tx)(void *opaque, u8 byte), void *tx_opaque);

/* Host input: accept up to n bytes into the receive FIFO; returns how many
 * were taken (none while the receiver is disabled or in loopback). */
size_t pl011__receive(struct pl011 *p, const u8 *buf, size_t n);

/*
 * How many bytes the guest can take now: 0 until the guest has enabled
 * the UART (UARTEN, RXE) and unmasked the receive interrupt (RXIM), so
 * input typed before the driver runs is not drained by its start-up;
 * 0 in loopback; else free FIFO space (1 with the FIFOs off).
 */
size_t pl011__rx_room(struct pl011 *p);

/* The UART as the board's console port (encore/serial.h). */
struct serial_port pl011__port(struct pl011 *p);

#endif
