/*
 * The physical memory map and interrupt numbers of encore's Arm board,
 * those of QEMU's `virt` machine (so that a kernel and device tree
 * behave alike on both): GICv2, one PL011, a PL031 clock, virtio-mmio
 * slots, RAM at 1 GiB.  Interrupt numbers are GIC INTIDs: SPI n is 32 + n.
 */
#ifndef ARM64_VIRT_MAP_H
#define ARM64_VIRT_MAP_H

#define VIRT_GICD_BASE 0x08000000ull
#define VIRT_GICD_SIZE 0x10000ull
#define VIRT_GICC_BASE 0x08010000ull
#define VIRT_GICC_SIZE 0x10000ull
#define VIRT_UART_BASE 0x09000000ull
#define VIRT_UART_SIZE 0x1000ull
#define VIRT_RTC_BASE 0x09010000ull
#define VIRT_RTC_SIZE 0x1000ull
#define VIRT_VIRTIO_BASE 0x0a000000ull
#define VIRT_VIRTIO_SLOT 0x200ull
#define VIRT_VIRTIO_SLOTS 32
#define VIRT_RAM_BASE 0x40000000ull

#define VIRT_SPI(n) (32u + (n))
#define VIRT_UART_SPI 1u
#define VIRT_RTC_SPI 2u
#define VIRT_VIRTIO_SPI 16u  /* slot k uses SPI 16 + k */
#define VIRT_GIC_IRQS 128u   /* SGIs, PPIs and 96 SPIs */

/* The generic timer's PPIs (INTID = 16 + n). */
#define VIRT_PPI(n) (16u + (n))
#define VIRT_TIMER_SEC_PPI 13u
#define VIRT_TIMER_PHYS_PPI 14u
#define VIRT_TIMER_VIRT_PPI 11u
#define VIRT_TIMER_HYP_PPI 10u

/* The generic timer's counter frequency: 62.5 MHz, as on QEMU (16 ns a tick). */
#define VIRT_COUNTER_HZ 62500000ull

/* The PL011's reference clock, as QEMU's apb-pclk. */
#define VIRT_APB_CLOCK_HZ 24000000u

#endif
