/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A flow as the tools see it: filled from a struct tcpstate_fsm by
 * `tcpstate replay`, from netlink attributes by `tcpstate flows` and
 * `monitor`, and printed by one printer as a text table or as JSON
 * (out.h), all in flow.c.
 */
#ifndef TCPSTATE_FLOW_H
#define TCPSTATE_FLOW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../module/fsm.h"
#include "out.h"

/* Sides of a flow, the index of the per-side arrays of struct ts_flow. */
enum { TS_CLIENT, TS_SERVER };

/* "Not measured" for the RTTs. */
#define TS_NONE UINT64_MAX

/* A 4-tuple by direction: [0] sent the first segment seen. */
struct ts_tuple {
	int family;			/* AF_INET or AF_INET6 */
	uint8_t addr[2][16];		/* network order; IPv4 in the first 4 */
	uint16_t port[2];		/* host order */
};

struct ts_flow {
	int family;			/* AF_INET or AF_INET6 */
	uint8_t addr[2][16];		/* [TS_CLIENT], [TS_SERVER] */
	uint16_t port[2];
	uint8_t state[2];		/* enum tcpstate_state */
	uint8_t conn_state;		/* enum tcpstate_conn_state */
	uint8_t close_reason;		/* enum tcpstate_close_reason */
	uint8_t closer;			/* enum tcpstate_side */
	char history[TCPSTATE_HISTORY_MAX];
	uint32_t flags;			/* enum tcpstate_flow_flags */
	uint64_t pkts[2];		/* sent by each side */
	uint64_t bytes[2];		/* payload bytes sent by each side */
	uint32_t retrans[2];		/* segments with retransmitted payload */
	uint32_t syn_retrans;
	uint32_t synack_retrans;
	uint32_t fin_retrans;
	uint32_t keepalives;
	uint32_t invalid;
	uint64_t start_ns;		/* first segment */
	uint64_t rtt_syn_synack_us;	/* TS_NONE if not seen */
	uint64_t rtt_synack_ack_us;	/* TS_NONE if not seen */
	uint64_t duration_ms;		/* to the close, else the last segment */
	uint64_t seq;			/* creation order (the caller's) */
	bool live;			/* from the module: owners apply */
	uint8_t stuck;			/* bit s: side s found stuck */
	uint8_t owned;			/* bit s: uid[s], cgroup[s] known */
	uint32_t uid[2];		/* owners of local endpoints */
	uint64_t cgroup[2];		/* cgroup v2 ids */
};

void ts_flow_fill(struct ts_flow *f, const struct tcpstate_fsm *fsm,
		  const struct ts_tuple *t);
int ts_flow_cmp(const void *a, const void *b);
void ts_flow_sort(struct ts_flow *flows, size_t n);

void ts_print_flow_fields(struct ts_out *o, const struct ts_flow *f);
void ts_print_flow(struct ts_out *o, const struct ts_flow *f);
const char *ts_family_name(int family);
void ts_print_entry_endpoint(struct ts_out *o, int family,
			     const uint8_t *addr, uint16_t port,
			     const char *col);
const char *ts_side_name(unsigned int side);
int ts_print_flows(FILE *f, struct ts_flow *flows, size_t n, bool json,
		   bool pretty);

struct nlattr;
/* A flow from its TCPSTATE_A_FLOW_* attributes, indexed by type. */
void ts_flow_from_attrs(struct ts_flow *f, const struct nlattr **tb);

#endif
