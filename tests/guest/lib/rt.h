/*
 * Runtime for encore's bare-metal test guests: console, exit, test
 * bookkeeping, descriptor tables, interrupt dispatch, fault probes and
 * 4-level page tables.  Freestanding; links at 1 MiB (see guest.ld).
 */
#ifndef GUEST_RT_H
#define GUEST_RT_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long u64;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long s64;
typedef __SIZE_TYPE__ size_t;
typedef __builtin_va_list va_list;
#define va_start(ap, last) __builtin_va_start(ap, last)
#define va_arg(ap, type) __builtin_va_arg(ap, type)
#define va_end(ap) __builtin_va_end(ap)

#define NULL ((void *)0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGNED(n) __attribute__((aligned(n)))
#define NORETURN __attribute__((noreturn))
#define PAGE_SIZE 4096ul

/* Ports of the bare-metal contract. */
#define PORT_CONSOLE 0x3f8
#define PORT_EXIT 0xf4

/* Our GDT (lib/desc.c).  Layout fits SYSCALL/SYSRET with STAR bases 0x08/0x10. */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA 0x18 /* use with RPL 3: 0x1b */
#define SEL_UCODE 0x20 /* use with RPL 3: 0x23 */
#define SEL_TSS 0x28   /* 16-byte descriptor: 0x28 and 0x30 */
#define SEL_NOTPRESENT 0x38 /* data segment with P=0, for #NP tests */
#define GDT_ENTRIES 8

/* RFLAGS */
#define FL_CF (1ul << 0)
#define FL_FIXED (1ul << 1)
#define FL_PF (1ul << 2)
#define FL_AF (1ul << 4)
#define FL_ZF (1ul << 6)
#define FL_SF (1ul << 7)
#define FL_TF (1ul << 8)
#define FL_IF (1ul << 9)
#define FL_DF (1ul << 10)
#define FL_OF (1ul << 11)
#define FL_RF (1ul << 16)
#define FL_AC (1ul << 18)
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

/* Control registers and MSRs */
#define CR0_WP (1ul << 16)
#define CR4_PGE (1ul << 7)
#define MSR_EFER 0xc0000080u
#define MSR_STAR 0xc0000081u
#define MSR_LSTAR 0xc0000082u
#define MSR_FMASK 0xc0000084u
#define MSR_GS_BASE 0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u
#define EFER_SCE (1ul << 0)
#define EFER_NXE (1ul << 11)

/* Exception vectors */
#define VEC_DE 0
#define VEC_BP 3
#define VEC_UD 6
#define VEC_DF 8
#define VEC_NP 11
#define VEC_SS 12
#define VEC_GP 13
#define VEC_PF 14

/* #PF error code bits */
#define PFE_P 0x01
#define PFE_W 0x02
#define PFE_U 0x04
#define PFE_RSVD 0x08
#define PFE_I 0x10

/* ---- port I/O and privileged instructions ---- */
static inline void outb(u16 port, u8 v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outl(u16 port, u32 v)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}
static inline u8 inb(u16 port)
{
	u8 v;
	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
#define DEF_READ_CR(n) \
	static inline u64 read_cr##n(void) \
	{ \
		u64 v; \
		asm volatile("mov %%cr" #n ", %0" : "=r"(v)); \
		return v; \
	}
#define DEF_WRITE_CR(n) \
	static inline void write_cr##n(u64 v) \
	{ \
		asm volatile("mov %0, %%cr" #n : : "r"(v) : "memory"); \
	}
DEF_READ_CR(0)
DEF_READ_CR(2)
DEF_READ_CR(3)
DEF_READ_CR(4)
DEF_WRITE_CR(0)
DEF_WRITE_CR(3)
DEF_WRITE_CR(4)

static inline void invlpg(const volatile void *va)
{
	asm volatile("invlpg (%0)" : : "r"(va) : "memory");
}
static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;
	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}
static inline void wrmsr(u32 msr, u64 v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}
static inline void cli(void)
{
	asm volatile("cli" : : : "memory");
}
static inline void sti(void)
{
	asm volatile("sti" : : : "memory");
}
static inline void hlt(void)
{
	asm volatile("hlt" : : : "memory");
}
/* "sti; hlt": the STI shadow makes the pair atomic, so a wake-up that is
 * already pending cannot slip in between the check and the halt. */
static inline void sti_hlt(void)
{
	asm volatile("sti; hlt" : : : "memory");
}
/* PAUSE in spin loops: on encore it also hands the vCPU over at once. */
static inline void cpu_relax(void)
{
	asm volatile("pause" : : : "memory");
}
static inline u64 rdtsc(void)
{
	u32 lo, hi;
	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}
/* CPUID is also serializing, which cross-modifying code needs. */
static inline void cpuid(u32 leaf, u32 subleaf, u32 r[4])
{
	asm volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
		     : "a"(leaf), "c"(subleaf) : "memory");
}
static inline u64 read_rflags(void)
{
	u64 v;
	asm volatile("pushfq; pop %0" : "=r"(v));
	return v;
}
static inline u64 read_rsp(void)
{
	u64 v;
	asm volatile("mov %%rsp, %0" : "=r"(v));
	return v;
}
#define DEF_READ_SEG(s) \
	static inline u16 read_##s(void) \
	{ \
		u16 v; \
		asm volatile("mov %%" #s ", %0" : "=r"(v)); \
		return v; \
	}
DEF_READ_SEG(cs)
DEF_READ_SEG(ss)
DEF_READ_SEG(ds)
DEF_READ_SEG(es)

struct dtr {
	u16 limit;
	u64 base;
} __attribute__((packed));

static inline void lgdt(const struct dtr *d)
{
	asm volatile("lgdt %0" : : "m"(*d) : "memory");
}
static inline void lidt(const struct dtr *d)
{
	asm volatile("lidt %0" : : "m"(*d) : "memory");
}
static inline void ltr(u16 sel)
{
	asm volatile("ltr %0" : : "r"(sel) : "memory");
}

/* ---- console, exit, tests (lib/console.c) ---- */
void putc(char c);
void puts(const char *s); /* no newline added */
void kprintf(const char *fmt, ...);
NORETURN void guest_exit(int code);

void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* Start a named test; check() records failures as "FAIL <name>: <what>". */
void test_start(const char *name);
const char *test_name(void);
/* From now on check() and check_eq() print failures only. */
void test_quiet(void);
int check(int cond, const char *fmt, ...);
/* check a == b and print both on failure */
int check_eq(u64 got, u64 want, const char *fmt, ...);
/* A fatal failure: prints FAIL and exits 1. */
NORETURN void fail(const char *fmt, ...);
/* Prints "PASS <name>" and returns 0 if nothing failed, else 1. */
int test_finish(void);

/* ---- descriptor tables (lib/desc.c) ---- */
extern u64 gdt[GDT_ENTRIES];
/* Stacks the runtime provides for TSS.RSP0 and IST1 (IST2 has one too). */
extern u8 rsp0_stack[], rsp0_stack_top[];
extern u8 ist1_stack_top[];

/* Load our GDT (kernel+user segments, TSS) and reload every segment; ltr. */
void gdt_init(void);
/* Load that GDT and reload the segments, without LTR: for another CPU,
 * which then has no TSS of its own (enough at CPL 0 without IST). */
void gdt_load(void);

/* What the interrupt stubs leave on the stack, lowest address first. */
struct intr_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error;
	u64 rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

typedef void (*intr_handler_fn)(struct intr_frame *f);

struct idt_gate {
	u16 off_lo;
	u16 sel;
	u8 ist;
	u8 attr;
	u16 off_mid;
	u32 off_hi;
	u32 reserved;
};
extern struct idt_gate idt[256];

/* Mask the legacy PICs, fill all 256 gates (interrupt gates, DPL 0, no IST), lidt. */
void idt_init(void);
void idt_load(void);
void idt_set_dpl(int vec, int dpl);
void idt_set_ist(int vec, int ist);
void idt_set_trap(int vec, int trap); /* trap gate (1) or interrupt gate (0) */
void idt_set_present(int vec, int present);
/* A C handler for `vec`; it replaces the default recording and probe fixup. */
void idt_set_handler(int vec, intr_handler_fn fn);

/* The last exception the dispatcher saw. */
struct fault_info {
	int count;
	int vector;
	u64 error, rip, cs, rflags, rsp, ss, cr2;
	u64 frame_addr; /* address of the struct intr_frame */
};
extern volatile struct fault_info last_fault;
void fault_reset(void);
void fault_record(struct intr_frame *f);

/*
 * Probes: an instruction expected to fault.  PROBE_BEGIN arms the dispatcher
 * with the resume address (label 2), the faulting instruction (label 1) and
 * the current RSP; on an exception with no specific handler the dispatcher
 * records it and resumes at label 2 with that RSP.  Clobbers r11.
 * Use inside extended asm only, with label "1:" on the probed instruction.
 */
extern volatile u64 probe_resume, probe_rsp, probe_insn, probe_value;
extern volatile u32 probe_armed;
#define PROBE_BEGIN \
	"lea 2f(%%rip), %%r11\n\t" \
	"mov %%r11, probe_resume(%%rip)\n\t" \
	"lea 1f(%%rip), %%r11\n\t" \
	"mov %%r11, probe_insn(%%rip)\n\t" \
	"mov %%rsp, probe_rsp(%%rip)\n\t" \
	"movl $1, probe_armed(%%rip)\n\t"
#define PROBE_END \
	"2:\n\t" \
	"movl $0, probe_armed(%%rip)\n\t"

/* lib/cpu.S: return 0 if the access completed, 1 if it faulted. */
int probe_read8(const volatile void *addr);  /* value in probe_value */
int probe_read64(const volatile void *addr); /* value in probe_value */
int probe_write8(volatile void *addr, u8 v);
int probe_write64(volatile void *addr, u64 v);
int probe_exec(const void *fn); /* calls fn (which should just ret) */

/* Check that exactly one exception `vec` with `err` hit the probed insn. */
int expect_fault(const char *what, int vec, u64 err);
/* Same, and also CR2 == cr2 (for #PF). */
int expect_pf(const char *what, u64 err, u64 cr2);
/* Check that no exception happened. */
int expect_no_fault(const char *what);

/*
 * User mode (lib/cpu.S): enter_user() saves the kernel's callee-saved
 * registers and RSP, IRETQs to CPL 3 at `rip` with `rsp` and `rflags`
 * (RDI = arg), and returns the value that a later return_to_kernel()
 * (called at CPL 0, e.g. from a handler) passes.
 */
u64 enter_user(u64 rip, u64 rsp, u64 rflags, u64 arg);
NORETURN void return_to_kernel(u64 val);

/* ---- paging (lib/paging.c) ---- */
#define PTE_P (1ul << 0)
#define PTE_W (1ul << 1)
#define PTE_U (1ul << 2)
#define PTE_A (1ul << 5)
#define PTE_D (1ul << 6)
#define PTE_PS (1ul << 7)
#define PTE_G (1ul << 8)
#define PTE_NX (1ul << 63)
#define PTE_ADDR 0x000ffffffffff000ul

/* A zeroed, 4 KiB-aligned page-table page (a PML4 or a lower table) from a static pool. */
u64 *pt_new(void);
/*
 * Entry of `va` at `level` (4 = PML4E, 3 = PDPTE, 2 = PDE, 1 = PTE).
 * With create, missing tables above `level` are made with P|W|U;
 * otherwise NULL is returned when a table above is not present.
 */
u64 *pt_entry(u64 *pml4, u64 va, int level, int create);
/* Map one 4 KiB page. */
void pt_map(u64 *pml4, u64 va, u64 pa, u64 flags);
/*
 * A PML4 identity-mapping [4 KiB, 8 MiB) with 4 KiB pages and `flags`
 * (page 0 is left unmapped to catch null pointers).
 */
u64 *pt_identity(u64 flags);
#define IDENTITY_END 0x800000ul

/* 4 KiB physical frames from [4 MiB, 8 MiB) (inside the identity map), zeroed. */
u64 frame_alloc(void);
#define FRAMES_START 0x400000ul

/* ---- local APIC and ACPI tables (lib/apic.c) ---- */
#define LAPIC_BASE 0xfee00000ul
#define LAPIC_ID 0x020
#define LAPIC_TPR 0x080
#define LAPIC_APR 0x090
#define LAPIC_EOI 0x0b0
#define LAPIC_LDR 0x0d0
#define LAPIC_DFR 0x0e0
#define LAPIC_SVR 0x0f0
#define LAPIC_ESR 0x280
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INITIAL 0x380
#define LAPIC_TIMER_DIVIDE 0x3e0
#define LAPIC_SVR_ENABLE (1u << 8)
#define LVT_MASKED (1u << 16)
/* ICR low: delivery mode, destination mode, status, level, trigger, shorthand */
#define ICR_FIXED (0u << 8)
#define ICR_LOWEST (1u << 8)
#define ICR_NMI (4u << 8)
#define ICR_INIT (5u << 8)
#define ICR_STARTUP (6u << 8)
#define ICR_LOGICAL (1u << 11)
#define ICR_PENDING (1u << 12)
#define ICR_ASSERT (1u << 14)
#define ICR_LEVEL (1u << 15)
#define ICR_SELF (1u << 18)
#define ICR_ALL (2u << 18)
#define ICR_OTHERS (3u << 18)

u32 lapic_read(u32 reg);
void lapic_write(u32 reg, u32 v);
u32 lapic_id(void); /* this CPU's APIC ID */
void lapic_eoi(void);
/* Software-enable this CPU's APIC with `spurious` as its spurious vector, TPR 0. */
void lapic_enable(u8 spurious);
/* Send the IPI `icr_lo` (vector, mode, shorthand) to APIC ID (or logical set) `dest`. */
void lapic_send_ipi(u32 dest, u32 icr_lo);

/* The header every ACPI system description table starts with. */
struct acpi_header {
	char signature[4];
	u32 length;
	u8 revision, checksum;
	char oem_id[6], oem_table_id[8];
	u32 oem_revision;
	char creator_id[4];
	u32 creator_revision;
} __attribute__((packed));

/* The table with `signature` (e.g. "APIC"), found from the RSDP through
 * the XSDT (or an ACPI 1.0 RSDT), with every checksum on the way right; or NULL. */
const struct acpi_header *acpi_find_table(const char *signature);
/* The APIC IDs of the enabled processors in the MADT, in its order, at
 * most `max`; -1 if there is no MADT. */
int acpi_madt_apic_ids(u8 *ids, int max);

#endif
