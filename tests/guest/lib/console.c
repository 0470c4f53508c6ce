/*
 * Console output on port 0x3f8, exit through port 0xf4, a small printf,
 * the mem* functions the compiler may call, and test bookkeeping.
 */
#include "rt.h"

void putc(char c)
{
	outb(PORT_CONSOLE, (u8)c);
}

void puts(const char *s)
{
	while (*s)
		putc(*s++);
}

static void put_num(u64 v, unsigned base, int width, char pad, int neg)
{
	char buf[24];
	int n = 0;

	do {
		unsigned d = v % base;
		buf[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
		v /= base;
	} while (v);
	if (neg)
		buf[n++] = '-';
	while (n < width--)
		putc(pad);
	while (n)
		putc(buf[--n]);
}

static void put_hex(u64 v)
{
	puts("0x");
	put_num(v, 16, 0, '0', 0);
}

static void vkprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		int width = 0, lng = 0;
		char pad = ' ';

		if (*fmt != '%') {
			putc(*fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			lng = 1;
			fmt++;
		}
		switch (*fmt) {
		case 'd': {
			s64 v = lng ? va_arg(ap, s64) : va_arg(ap, int);
			put_num(v < 0 ? -(u64)v : (u64)v, 10, width, pad, v < 0);
			break;
		}
		case 'u':
			put_num(lng ? va_arg(ap, u64) : va_arg(ap, unsigned), 10, width, pad, 0);
			break;
		case 'x':
			put_num(lng ? va_arg(ap, u64) : va_arg(ap, unsigned), 16, width, pad, 0);
			break;
		case 'p':
			put_hex((u64)va_arg(ap, void *));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			puts(s ? s : "(null)");
			break;
		}
		case 'c':
			putc((char)va_arg(ap, int));
			break;
		case '%':
			putc('%');
			break;
		case 0:
			return;
		default:
			putc('%');
			putc(*fmt);
		}
	}
}

void kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vkprintf(fmt, ap);
	va_end(ap);
}

void guest_exit(int code)
{
	outl(PORT_EXIT, (u32)code);
	for (;;)
		hlt();
}

void *memcpy(void *d, const void *s, size_t n)
{
	u8 *dp = d;
	const u8 *sp = s;

	while (n--)
		*dp++ = *sp++;
	return d;
}

void *memmove(void *d, const void *s, size_t n)
{
	u8 *dp = d;
	const u8 *sp = s;

	if (dp <= sp || dp >= sp + n)
		return memcpy(d, s, n);
	while (n--)
		dp[n] = sp[n];
	return d;
}

void *memset(void *d, int c, size_t n)
{
	u8 *dp = d;

	while (n--)
		*dp++ = (u8)c;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const u8 *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}

static const char *cur_test = "guest";
static int test_failures, test_quiet_ok;

void test_start(const char *name)
{
	cur_test = name;
	test_failures = 0;
	kprintf("%s: start\n", name);
}

void test_quiet(void)
{
	test_quiet_ok = 1;
}

const char *test_name(void)
{
	return cur_test;
}

static void report(int ok, const char *fmt, va_list ap)
{
	if (ok) {
		if (test_quiet_ok)
			return;
		puts("  ok: ");
	} else {
		test_failures++;
		kprintf("FAIL %s: ", cur_test);
	}
	vkprintf(fmt, ap);
	putc('\n');
}

int check(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(cond, fmt, ap);
	va_end(ap);
	return cond;
}

int check_eq(u64 got, u64 want, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(got == want, fmt, ap);
	va_end(ap);
	if (got != want)
		kprintf("    got %lx, want %lx\n", got, want);
	return got == want;
}

void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kprintf("FAIL %s: ", cur_test);
	vkprintf(fmt, ap);
	va_end(ap);
	putc('\n');
	guest_exit(1);
}

int test_finish(void)
{
	if (test_failures) {
		kprintf("FAIL %s: %d check(s) failed\n", cur_test, test_failures);
		return 1;
	}
	kprintf("PASS %s\n", cur_test);
	return 0;
}
