/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The module's tables as the commands read them: listeners (listeners.c),
 * destinations (destinations.c) and stuck flows (flows.c), for their own
 * commands and for `tcpstate health`.
 */
#ifndef TCPSTATE_DUMP_H
#define TCPSTATE_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nl.h"

#define TS_HS_HIST 24

struct ts_listener {
	int family;		/* 0: the overflow entry */
	uint8_t addr[16];
	uint16_t port;
	bool local;		/* a socket of this namespace: queues known */
	bool owned;		/* uid and cgroup known */
	uint64_t v[TCPSTATE_A_LISTENER_MAX + 1];	/* by attribute */
	uint32_t hist[TS_HS_HIST];
};

struct ts_listeners {
	struct ts_listener *v;
	size_t n;
};

struct ts_dest {
	int family;		/* 0: the overflow entry */
	uint8_t addr[16];
	uint16_t port;
	uint64_t v[TCPSTATE_A_DEST_MAX + 1];	/* by attribute */
};

struct ts_dests {
	struct ts_dest *v;
	size_t n;
};

struct ts_flow;

/* Each: 0 or -errno (nl->extack says more); the caller frees ->v. */
int ts_listeners_dump(struct nl *nl, struct ts_listeners *ls);
int ts_dests_dump(struct nl *nl, struct ts_dests *ds);
/* The flows with an endpoint found stuck: *n of them in *v. */
int ts_stuck_flows_dump(struct nl *nl, struct ts_flow **v, size_t *n);

#endif
