/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nl.c: talking to the tcpstate generic netlink family with libmnl.
 */
#ifndef TCPSTATE_NL_H
#define TCPSTATE_NL_H

#include <libmnl/libmnl.h>
#include <stdbool.h>
#include <stdint.h>

#include <linux/genetlink.h>

#include <uapi/tcpstate.h>

struct nl {
	struct mnl_socket *sk;
	uint16_t family;		/* the family's id */
	uint32_t events_group;		/* multicast group id of "events" */
	uint32_t seq;
	uint32_t portid;
	char *buf;
	bool intr;			/* a dump was flagged NLM_F_DUMP_INTR */
	char extack[512];		/* the kernel's message for the last error */
};

/* 0, or 1 after saying what went wrong (module not loaded, ...). */
int nl_open(struct nl *nl);
void nl_close(struct nl *nl);
/* A request for cmd in nl->buf; NLM_F_DUMP in flags for a dump. */
struct nlmsghdr *nl_request(struct nl *nl, uint8_t cmd, uint16_t flags);
/* Send it, run cb on each reply: 0 or -errno (nl->extack says more). */
int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);
/* Say why `what` failed, in words a person can act on. */
void nl_perror(const struct nl *nl, const char *what, int err);
/*
 * A command's whole exchange with the module: open, talk(nl, arg) (0 or
 * -errno), close. 0, or 1 once it said what went wrong (naming `what`).
 */
int nl_session(const char *what, int (*talk)(struct nl *nl, void *arg),
	       void *arg);
/* Join the "events" group: 0 or -errno (-EPERM without CAP_NET_ADMIN). */
int nl_subscribe(struct nl *nl);
/* Receive multicast messages until cb stops: run cb on each. */
int nl_listen(struct nl *nl, mnl_cb_t cb, void *data);

/* Attributes of the message or nest, indexed by type (max at most 63). */
int nl_parse(const struct nlmsghdr *nlh, const struct nlattr **tb, int max);
int nl_parse_nested(const struct nlattr *nest, const struct nlattr **tb,
		    int max);
uint64_t nl_u64(const struct nlattr *a);	/* 0 if absent */

#endif
