/* The AArch64 test guests' runtime (rt.h). */
#include "rt.h"

#define UART_DR 0x00
#define UART_FR 0x18
#define UART_FR_TXFF (1u << 5)
#define MAX_CPUS 4
#define SECONDARY_STACK 8192

typedef __builtin_va_list va_list;
#define va_start(ap, last) __builtin_va_start(ap, last)
#define va_arg(ap, type) __builtin_va_arg(ap, type)
#define va_end(ap) __builtin_va_end(ap)

const char *test_name = "guest";
volatile unsigned test_failures;
static unsigned test_checks;
exc_handler sync_handler, irq_handler;
volatile struct fault last_fault;
static volatile int probe_armed;

/* ---- console ---- */

void putc_uart(char ch)
{
	while (mmio_read32(UART_BASE + UART_FR) & UART_FR_TXFF)
		;
	mmio_write32(UART_BASE + UART_DR, (u8)ch);
}

void puts_uart(const char *s)
{
	while (*s)
		putc_uart(*s++);
}

static void put_num(u64 v, unsigned base, int neg, int width, char pad)
{
	char buf[24];
	int n = 0;
	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		buf[n++] = '-';
	while (width-- > n)
		putc_uart(pad);
	while (n)
		putc_uart(buf[--n]);
}

static void vprint(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			putc_uart(*fmt);
			continue;
		}
		char pad = ' ';
		int width = 0, lng = 0;
		fmt++;
		if (*fmt == '#')
			puts_uart("0x"), fmt++;
		if (*fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l')
			lng = 1, fmt++;
		switch (*fmt) {
		case 's': puts_uart(va_arg(ap, const char *)); break;
		case 'c': putc_uart((char)va_arg(ap, int)); break;
		case 'p': puts_uart("0x"); put_num((u64)va_arg(ap, void *), 16, 0, width, pad); break;
		case 'x': put_num(lng ? va_arg(ap, u64) : va_arg(ap, u32), 16, 0, width, pad); break;
		case 'u': put_num(lng ? va_arg(ap, u64) : va_arg(ap, u32), 10, 0, width, pad); break;
		case 'd': {
			s64 v = lng ? va_arg(ap, s64) : va_arg(ap, s32);
			put_num(v < 0 ? -(u64)v : (u64)v, 10, v < 0, width, pad);
			break;
		}
		case '%': putc_uart('%'); break;
		default: putc_uart('?'); break;
		}
	}
}

int printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
	return 0;
}

/* ---- tests ---- */

void test_start(const char *name)
{
	test_name = name;
	printf("%s: start\n", name);
}

void check(int ok, const char *what)
{
	test_checks++;
	if (ok) {
		printf("PASS %s: %s\n", test_name, what);
	} else {
		test_failures++;
		printf("FAIL %s: %s\n", test_name, what);
	}
}

void check_eq_(u64 got, u64 want, const char *what)
{
	test_checks++;
	if (got == want) {
		printf("PASS %s: %s\n", test_name, what);
	} else {
		test_failures++;
		printf("FAIL %s: %s: got %#lx, want %#lx\n", test_name, what, got, want);
	}
}

void checkf(int ok, const char *fmt, ...)
{
	va_list ap;
	test_checks++;
	if (!ok)
		test_failures++;
	printf("%s %s: ", ok ? "PASS" : "FAIL", test_name);
	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
	putc_uart('\n');
}

void test_finish(void)
{
	printf("%s: %u checks, %u failed\n", test_name, test_checks, test_failures);
	printf("%s %s\n", test_failures ? "FAIL" : "PASS", test_name);
	psci(test_failures ? PSCI_SYSTEM_RESET : PSCI_SYSTEM_OFF, 0, 0, 0);
	for (;;)
		asm volatile("wfi");
}

void fail_and_exit(const char *why)
{
	test_failures++;
	printf("FAIL %s: %s\n", test_name, why);
	test_finish();
}

/* ---- PSCI and CPUs ---- */

u64 psci(u64 fn, u64 a1, u64 a2, u64 a3)
{
	register u64 x0 asm("x0") = fn;
	register u64 x1 asm("x1") = a1;
	register u64 x2 asm("x2") = a2;
	register u64 x3 asm("x3") = a3;
	asm volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
	return x0;
}

unsigned cpu_id(void)
{
	return (unsigned)(sysreg_read(mpidr_el1) & 0xff);
}

extern char secondary_start[];
static u8 secondary_stacks[MAX_CPUS][SECONDARY_STACK] ALIGNED(16);
static void (*volatile secondary_fn[MAX_CPUS])(unsigned cpu);

void secondary_main(void)
{
	unsigned cpu = cpu_id();
	secondary_fn[cpu](cpu);
	psci(PSCI_CPU_OFF, 0, 0, 0);
	fail_and_exit("CPU_OFF returned");
}

s64 cpu_start(unsigned cpu, void (*fn)(unsigned cpu))
{
	if (cpu >= MAX_CPUS)
		return -2;
	secondary_fn[cpu] = fn;
	dsb(ish);
	return (s64)psci(PSCI_CPU_ON, cpu, (u64)secondary_start,
			 (u64)(secondary_stacks[cpu] + SECONDARY_STACK));
}

/* ---- exceptions ---- */

static const char *const kind_names[16] = {
	"EL1t sync", "EL1t IRQ", "EL1t FIQ", "EL1t SError",
	"EL1h sync", "EL1h IRQ", "EL1h FIQ", "EL1h SError",
	"EL0 sync", "EL0 IRQ", "EL0 FIQ", "EL0 SError",
	"EL0/AArch32 sync", "EL0/AArch32 IRQ", "EL0/AArch32 FIQ", "EL0/AArch32 SError",
};

void probe_arm(void)
{
	last_fault.taken = 0;
	probe_armed = 1;
}

void probe_disarm(void)
{
	probe_armed = 0;
}

extern char el0_return[];

void exc_dispatch(struct frame *f, unsigned kind)
{
	unsigned type = kind & 3;
	if (type == 0 && sync_handler && sync_handler(f, kind))
		return;
	if (type == 1 && irq_handler && irq_handler(f, kind))
		return;
	/* The end of el0_call: svc #0xffff from EL0. */
	if (kind == EXC_LOWER_SYNC && ESR_EC(f->esr) == EC_SVC && ESR_ISS(f->esr) == 0xffff) {
		f->elr = (u64)el0_return;
		f->spsr = 0x3c5; /* EL1h, DAIF masked */
		return;
	}
	if (type == 0 && probe_armed) {
		last_fault.kind = kind;
		last_fault.esr = f->esr;
		last_fault.elr = f->elr;
		last_fault.far = f->far;
		last_fault.spsr = f->spsr;
		last_fault.sp = (u64)(f + 1);
		last_fault.sp_el0 = f->sp_el0;
		last_fault.taken = 1;
		probe_armed = 0;
		/* Back to EL1h past the instruction (from EL0: to el0_call's
		 * caller, the test is over for that EL0 function). */
		if (kind >= EXC_LOWER_SYNC) {
			f->elr = (u64)el0_return;
			f->spsr = 0x3c5;
			f->x[0] = ~0ul;
		} else {
			/* SVC and HVC return past themselves already; an
			 * illegal-state exception leaves SPSR.IL to clear. */
			unsigned ec = ESR_EC(f->esr);
			if (ec != EC_SVC && ec != EC_HVC)
				f->elr += 4;
			f->spsr &= ~SPSR_IL;
		}
		return;
	}
	printf("FAIL %s: unexpected exception %s: ESR %#lx ELR %#lx FAR %#lx SPSR %#lx\n",
	       test_name, kind_names[kind & 15], f->esr, f->elr, f->far, f->spsr);
	test_failures++;
	test_finish();
}

/* ---- memory (the compiler may call these) ---- */

void *memset(void *d, int c, size_t n)
{
	u8 *p = d;
	while (n--)
		*p++ = (u8)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	u8 *p = d;
	const u8 *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}
