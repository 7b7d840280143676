/* SPDX-License-Identifier: GPL-2.0 */
/*
 * listener.h: half-open (SYN queue) statistics per listening endpoint.
 */
#ifndef _TCPSTATE_LISTENER_H
#define _TCPSTATE_LISTENER_H

#include <linux/atomic.h>
#include <linux/rcupdate.h>
#include <linux/rhashtable-types.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "fsm.h"
#include "key.h"

#define TCPSTATE_HS_HIST		24	/* log2(us) buckets */

/* A listener's key: its address and port. Unused bytes are zero. */
struct tcpstate_lkey {
	union tcpstate_addr addr;
	__be16 port;
	u8 family;
	u8 pad;
};

/*
 * A listener is a server (address, port) that has answered a SYN the
 * namespace saw with a SYN-ACK. The entry with family 0 aggregates those
 * that found the table full.
 */
struct tcpstate_listener {
	struct rhash_head node;
	struct tcpstate_lkey key;
	spinlock_t lock;	/* the counters, dead */
	u8 flood;		/* SYN flood suspected now */
	u8 dead;		/* unlinked or being unlinked */
	u32 half_open;		/* flows counted here: flow->listener */
	u32 half_open_peak;
	u32 rate_syns;		/* SYNs in the current second */
	u32 last_rate;		/* SYNs in the second before */
	u64 rate_start;		/* ns, start of the current second */
	u64 last_syn;		/* ns, last SYN or SYN-ACK: for ageing */
	u64 syns;
	u64 synacks;
	u64 synack_rtx;
	u64 handshakes;		/* completed */
	u64 expired;		/* half-open, then timed out or evicted */
	u64 resets;		/* half-open, then reset */
	u64 floods;		/* times the flood flag rose */
	u64 cookies_sent;	/* SYN-ACKs this host sent with a SYN cookie */
	u64 cookies_recv;	/* handshakes completed with a cookie */
	u64 overflows;		/* ACKs and SYNs refused: accept queue full */
	struct tcpstate_owner owner;	/* a local listener's, once seen */
	u64 stuck;		/* endpoints of its flows found stuck */
	u32 hs_hist[TCPSTATE_HS_HIST];	/* SYN to handshake done, log2 us */
	u64 hs_sum_us;		/* the handshakes in hs_hist, in total */
	struct rcu_head rcu;
};

struct tcpstate_listeners {
	struct rhashtable table;
	atomic_t count;
	struct rhashtable_iter gc_iter;	/* where the GC's pass stands */
	struct tcpstate_listener overflow;
};

/*
 * What the listener table is told of a flow, by flow.c under the flow's
 * lock (which an entry's lock nests inside): plain values and the flow's
 * state machine to read, never the flow itself.
 */
struct tcpstate_lflow {
	const struct tcpstate_fsm *fsm;
	const union tcpstate_addr *saddr;	/* the server's end */
	const struct tcpstate_owner *owner;	/* its socket's, or NULL */
	struct tcpstate_listener **slot;	/* the entry it counts in */
	__be16 sport;
	u8 family;
	bool dead;				/* the record is over */
};

struct tcpstate_net;
struct tcpstate_result;

int tcpstate_listener_init(void);
void tcpstate_listener_uninit(void);
int tcpstate_listener_net_init(struct tcpstate_net *tn);
void tcpstate_listener_net_exit(struct tcpstate_net *tn);

void tcpstate_listener_syn(struct tcpstate_net *tn,
			   const struct tcpstate_key *key, unsigned int side,
			   bool overflow, u64 now);
void tcpstate_listener_update(struct tcpstate_net *tn,
			      const struct tcpstate_lflow *lf,
			      const struct tcpstate_result *res, u64 now);
void tcpstate_listener_gc(struct tcpstate_net *tn, u64 now);
void tcpstate_listener_stuck(struct tcpstate_net *tn,
			     const struct tcpstate_lflow *lf);
unsigned int tcpstate_listener_count(struct tcpstate_net *tn);
long tcpstate_listener_objects_read(void);

/* The next live listener of a walk, or NULL at the end (under RCU). */
struct tcpstate_listener *tcpstate_listener_walk(struct rhashtable_iter *it,
						 bool peek);

#endif /* _TCPSTATE_LISTENER_H */
