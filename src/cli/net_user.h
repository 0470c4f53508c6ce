/*
 * User-mode networking for encore run (--net user): libslirp's network
 * stack on the host side of a virtio network device, as QEMU's "-nic
 * user" gives it: the guest at 10.0.2.15, host and gateway 10.0.2.2, DNS
 * 10.0.2.3, DHCP; connections to 10.0.2.2 reach the host's loopback,
 * hostfwd rules forward host ports into the guest, and tftp=DIR serves
 * DIR's files read-only over TFTP at 10.0.2.2.  libslirp runs on the
 * host's clock: it lives outside the machine, and what it sends the guest
 * is host input like a keystroke.
 */
#ifndef ENCORE_CLI_NET_USER_H
#define ENCORE_CLI_NET_USER_H

#include <stdbool.h>
#include <stddef.h>

#include "encore/types.h"

#define NET_USER_MAX_FORWARDS 8

/* hostfwd=tcp:[HOSTADDR]:HOSTPORT-:GUESTPORT */
struct net_forward {
	u32 host_addr;   /* network order; 0: every address (INADDR_ANY) */
	u16 host_port, guest_port;
};

struct net_user_opts {
	bool enabled;
	struct net_forward fwd[NET_USER_MAX_FORWARDS];
	unsigned nfwd;
	char tftp[4096];   /* tftp=DIR: files 10.0.2.2 serves over TFTP ("": none) */
};

/* Parse a --net argument ("none", or "user" with ,hostfwd=... rules and
 * a ,tftp=DIR); false with a message in err. */
bool net_user__parse(const char *arg, struct net_user_opts *o, char *err, size_t n);

struct net_user;

/* Start the stack and its forwards; NULL with a message (a port in use). */
struct net_user *net_user__create(const struct net_user_opts *o, char *err, size_t n);
void net_user__destroy(struct net_user *u);

/* A frame the guest sent. */
void net_user__from_guest(struct net_user *u, const u8 *frame, size_t len);
/* Serve the host's sockets and timers, waiting up to timeout_ms (0: not
 * at all) for them or for `fd` (-1: none) to be readable; true when fd is. */
bool net_user__poll(struct net_user *u, int fd, int timeout_ms);
/* The oldest frame for the guest, if any (valid until drop). */
bool net_user__next(struct net_user *u, const u8 **frame, size_t *len);
void net_user__drop(struct net_user *u);

#endif
