/*
 * echo: a console program for record/replay tests.  It spins, polling
 * COM1, and prints every byte it receives with the loop count at which it
 * arrived, so the output depends on exactly when input came: a recording
 * replays to the same output only if each byte lands at its landmark.
 * 'q' ends it (status 0); so does a long silence (status 3).
 */
#include "rt.h"

#define COM1 0x3f8
#define UART_IER (COM1 + 1)
#define UART_MCR (COM1 + 4)
#define UART_LSR (COM1 + 5)
#define LSR_DATA_READY 0x01
#define SILENCE_LOOPS (1ull << 27) /* about 1 G instructions */

int main(void)
{
	/* encore feeds input only once the receive interrupt is enabled, as
	 * a driver does; the guest still polls with interrupts off. */
	outb(UART_IER, 0x01);
	outb(UART_MCR, 0x0b); /* DTR, RTS, OUT2 */
	puts("echo: ready\n");
	u64 loops = 0, last = 0, sum = 0;
	for (;;) {
		loops++;
		if (!(inb(UART_LSR) & LSR_DATA_READY)) {
			if (loops - last > SILENCE_LOOPS) {
				puts("echo: no input for too long\n");
				guest_exit(3);
			}
			continue;
		}
		u8 c = inb(COM1);
		last = loops;
		sum = sum * 31 + c + loops;
		kprintf("echo: %x at %lu\n", c, loops);
		if (c == 'q')
			break;
	}
	kprintf("echo: sum %lx\n", sum);
	return 0;
}
