/*
 * The host tick: a POSIX timer sends a private real-time signal to the
 * thread that runs the vCPU every KVM_TICK_MS.  The signal is blocked in
 * that thread, so it never interrupts anything else encore does; only
 * KVM_RUN unblocks it (KVM_SET_SIGNAL_MASK), where it makes KVM_RUN
 * return EINTR.  The run loop then consumes it with sigtimedwait (the
 * handler never runs) and asks machine.async_poll whether to return.
 * Without it a guest that never exits would hold the CPU forever.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kvm.h"

static pid_t this_thread(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static int tick_signal(void)
{
	return SIGRTMIN + 4;
}

/* Only reached if someone unblocks the signal; the default action of a
 * real-time signal would end the process. */
static void tick_handler(int sig)
{
	(void)sig;
}

static int install_handler(void)
{
	struct sigaction old, sa;
	if (sigaction(tick_signal(), NULL, &old))
		return -errno;
	if (old.sa_handler == tick_handler)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tick_handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	return sigaction(tick_signal(), &sa, NULL) ? -errno : 0;
}

/* Block the tick in this thread; KVM_RUN runs with this thread's mask
 * minus the tick, so other signals (SIGINT) behave as they do outside. */
static int set_masks(struct kvm_engine *k)
{
	sigset_t tick, cur;
	sigemptyset(&tick);
	sigaddset(&tick, tick_signal());
	if ((errno = pthread_sigmask(SIG_BLOCK, &tick, &cur)))
		return -errno;
	sigdelset(&cur, tick_signal());
	/* The kernel's sigset is 64 bits: the first 8 bytes of glibc's. */
	struct {
		struct kvm_signal_mask m;
		u8 set[8];
	} km = { .m.len = 8 };
	memcpy(km.set, &cur, 8);
	return ioctl(k->vcpu_fd, KVM_SET_SIGNAL_MASK, &km) ? -errno : 0;
}

static int arm_timer(struct kvm_engine *k, pid_t tid)
{
	struct sigevent ev;
	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_THREAD_ID;
	ev.sigev_signo = tick_signal();
	ev._sigev_un._tid = tid;
	if (timer_create(CLOCK_MONOTONIC, &ev, &k->tick.timer))
		return -errno;
	k->tick.armed = true;
	struct itimerspec it = { .it_interval = { 0, KVM_TICK_MS * 1000000L },
				 .it_value = { 0, KVM_TICK_MS * 1000000L } };
	return timer_settime(k->tick.timer, 0, &it, NULL) ? -errno : 0;
}

/*
 * Called at every run(): the first run on a thread (re)aims the timer
 * at it.  An engine is normally run by the thread that created it, so
 * this costs one gettid system call after the first time.
 */
int kvm_tick__start(struct kvm_engine *k, char *err, size_t errlen)
{
	pid_t tid = this_thread();
	if (k->tick.armed && k->tick.tid == tid)
		return 0;
	kvm_tick__stop(k);
	int r = install_handler();
	if (!r)
		r = set_masks(k);
	if (!r)
		r = arm_timer(k, tid);
	if (r) {
		snprintf(err, errlen, "KVM engine host tick: %s", strerror(-r));
		kvm_tick__stop(k);
		return r;
	}
	k->tick.tid = tid;
	return 0;
}

bool kvm_tick__consume(void)
{
	sigset_t tick;
	sigemptyset(&tick);
	sigaddset(&tick, tick_signal());
	struct timespec zero = { 0, 0 };
	return sigtimedwait(&tick, NULL, &zero) == tick_signal();
}

/*
 * Disarm, and on the thread it was aimed at drop a tick still pending.
 * The signal stays blocked there: another engine on the same thread may
 * still use it, and blocked it cannot disturb anything.
 */
void kvm_tick__stop(struct kvm_engine *k)
{
	if (!k->tick.armed)
		return;
	timer_delete(k->tick.timer);
	k->tick.armed = false;
	if (k->tick.tid == this_thread())
		kvm_tick__consume();
}
