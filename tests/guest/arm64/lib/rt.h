/*
 * Runtime for encore's bare-metal AArch64 test guests (tests/guest/arm64/):
 * the PL011 console, a small printf, test bookkeeping, PSCI over HVC, the
 * exception vectors (start.S) with a C dispatcher and fault probes.
 * Freestanding, integer only; linked at the start of RAM (guest.ld).
 *
 * Exit convention: a guest whose checks all pass powers off with PSCI
 * SYSTEM_OFF (encore exits 0); one with a failed check, or an unexpected
 * exception, asks for PSCI SYSTEM_RESET instead (encore exits 3), after
 * its "FAIL" lines.
 */
#ifndef A64_GUEST_RT_H
#define A64_GUEST_RT_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long u64;
typedef signed int s32;
typedef signed long s64;
typedef __SIZE_TYPE__ size_t;

#define NULL ((void *)0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGNED(n) __attribute__((aligned(n)))
#define NORETURN __attribute__((noreturn))
#define PAGE_SIZE 4096ul

/* The board (src/arch/arm64/virt_map.h). */
#define UART_BASE 0x09000000ul
#define GICD_BASE 0x08000000ul
#define GICC_BASE 0x08010000ul
#define RAM_BASE 0x40000000ul
#define COUNTER_HZ 62500000ul
#define INTID_VTIMER 27u

/* PSCI 0.2 function IDs. */
#define PSCI_VERSION 0x84000000u
#define PSCI_CPU_OFF 0x84000002u
#define PSCI_CPU_ON 0xc4000003u
#define PSCI_AFFINITY_INFO 0xc4000004u
#define PSCI_SYSTEM_OFF 0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u

/* Exception syndrome classes (ESR_EL1.EC). */
#define EC_UNKNOWN 0x00
#define EC_SVC 0x15
#define EC_HVC 0x16
#define EC_SYSREG 0x18
#define EC_IABT_LOWER 0x20
#define EC_IABT_CUR 0x21
#define EC_PC_ALIGN 0x22
#define EC_DABT_LOWER 0x24
#define EC_DABT_CUR 0x25
#define EC_SP_ALIGN 0x26
#define EC_BRK 0x3c

/* Fault status codes (the low 6 bits of DFSC/IFSC). */
#define FSC_TRANSLATION(l) (0x04 + (l))
#define FSC_ACCESS_FLAG(l) (0x08 + (l))
#define FSC_PERMISSION(l) (0x0c + (l))
#define FSC_ALIGNMENT 0x21

#define EC_ILLEGAL_STATE 0x0e
#define SPSR_IL (1ul << 20)

#define ESR_EC(e) ((unsigned)((e) >> 26) & 0x3f)
#define ESR_IL (1ul << 25)
#define ESR_ISS(e) ((e) & 0x1fffffful)
#define ESR_WNR (1ul << 6)

/* Where an exception came from: the vector table's four groups of four. */
enum exc_kind {
	EXC_CUR_SP0_SYNC, EXC_CUR_SP0_IRQ, EXC_CUR_SP0_FIQ, EXC_CUR_SP0_SERR,
	EXC_CUR_SPX_SYNC, EXC_CUR_SPX_IRQ, EXC_CUR_SPX_FIQ, EXC_CUR_SPX_SERR,
	EXC_LOWER_SYNC, EXC_LOWER_IRQ, EXC_LOWER_FIQ, EXC_LOWER_SERR,
	EXC_LOWER32_SYNC, EXC_LOWER32_IRQ, EXC_LOWER32_FIQ, EXC_LOWER32_SERR,
};

/* What start.S saves on SP_EL1 at every exception; the handler may change
 * it (x, elr, spsr, sp_el0 are restored by the return). */
struct frame {
	u64 x[31];
	u64 sp_el0;
	u64 elr, spsr, esr, far;
};

/* An exception handler: returns 1 if it handled the exception. */
typedef int (*exc_handler)(struct frame *f, unsigned kind);

/* Installed handlers, tried before the fault probe and the default
 * (report and fail). */
extern exc_handler sync_handler, irq_handler;

/* The last exception taken while a probe was armed. */
struct fault {
	int taken;
	unsigned kind;
	u64 esr, elr, far, spsr;
	u64 sp;      /* SP_EL1 when the vector was entered (the frame's end) */
	u64 sp_el0;
};
extern volatile struct fault last_fault;
/* Arm the probe: the next synchronous exception is recorded in
 * last_fault and skipped (ELR += 4 but for SVC and HVC, SPSR.IL
 * cleared; from EL0, el0_call returns ~0) instead of failing the guest. */
void probe_arm(void);
void probe_disarm(void);

/* Console */
void putc_uart(char ch);
void puts_uart(const char *s);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Tests */
void test_start(const char *name);
void check(int ok, const char *what);
void check_eq_(u64 got, u64 want, const char *what);
#define check_eq(got, want, what) check_eq_((u64)(got), (u64)(want), (what))
void checkf(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The summary, then SYSTEM_OFF (all passed) or SYSTEM_RESET (a failure). */
NORETURN void test_finish(void);
NORETURN void fail_and_exit(const char *why);
extern const char *test_name;
extern volatile unsigned test_failures;

/* PSCI over HVC #0; returns x0. */
u64 psci(u64 fn, u64 a1, u64 a2, u64 a3);
/* Start CPU `cpu` (MPIDR Aff0) at fn(cpu) on its own stack; 0 on success. */
s64 cpu_start(unsigned cpu, void (*fn)(unsigned cpu));
/* Number of the running CPU (MPIDR_EL1.Aff0). */
unsigned cpu_id(void);

/* Memory */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

/* start.S */
extern char vectors[];
extern char __image_start[], __image_end[];
/*
 * The boot map (start.S), TTBR0 with 39-bit VAs and level-1 blocks:
 *   [0, 1 GiB)      = PA, Device-nGnRnE, never executable (GIC, UART, ...)
 *   [1 GiB, 2 GiB)  = PA, RAM, Normal write-back, EL1 read/write, UXN
 *   [2 GiB, 3 GiB)  -> RAM as Device-nGnRnE (DEVICE_ALIAS)
 *   [3 GiB, 4 GiB)  -> RAM, EL0 read/write, EL0-executable (EL0_ALIAS;
 *                      EL1 cannot execute there)
 *   above 4 GiB     unmapped
 */
#define DEVICE_ALIAS(p) ((u64)(p) + 0x40000000ul)
#define EL0_ALIAS(p) ((u64)(p) + 0x80000000ul)
#define UNMAPPED_VA 0x1000000000ul
extern u64 boot_l1[512];

/* Drop to EL0 at fn(arg) on stack sp, both EL0_ALIAS addresses; the
 * function's return (svc #0xffff from el0_exit's alias) comes back here
 * with its result.  DAIF stays masked at EL0. */
u64 el0_call(u64 (*fn)(u64), u64 arg, u64 sp);
extern char el0_exit[];

#define sysreg_read(r) ({ u64 v_; asm volatile("mrs %0, " #r : "=r"(v_)); v_; })
#define sysreg_write(r, v) asm volatile("msr " #r ", %0" ::"r"((u64)(v)) : "memory")
#define isb() asm volatile("isb" ::: "memory")
#define dsb(opt) asm volatile("dsb " #opt ::: "memory")
#define dmb(opt) asm volatile("dmb " #opt ::: "memory")

static inline u32 mmio_read32(u64 a) { return *(volatile u32 *)a; }
static inline void mmio_write32(u64 a, u32 v) { *(volatile u32 *)a = v; }

#endif
