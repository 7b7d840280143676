/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dest.h: port pressure per remote destination (address, port).
 */
#ifndef _TCPSTATE_DEST_H
#define _TCPSTATE_DEST_H

#include <linux/atomic.h>
#include <linux/rcupdate.h>
#include <linux/rhashtable-types.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "listener.h"

/*
 * A server (address, port) that sockets of this namespace connect to. The
 * entry with family 0 aggregates those that found the table full.
 */
struct tcpstate_dest {
	struct rhash_head node;
	struct tcpstate_lkey key;
	spinlock_t lock;	/* the counts, warn, dead */
	u8 warn;		/* under port pressure now */
	u8 dead;		/* unlinked or being unlinked */
	u32 flows;		/* flows counted here: ext->dest */
	u32 time_wait;		/* ... whose client is in TIME_WAIT */
	u32 peak;		/* most flows at once */
	u64 warnings;		/* times warn rose */
	u64 last_used;		/* ns: a flow was counted or left */
	struct rcu_head rcu;
};

/* An entry as read under its lock, for dumps and events. */
struct tcpstate_dest_view {
	struct tcpstate_lkey key;	/* family 0: the overflow entry */
	u32 flows;
	u32 time_wait;
	u32 peak;
	u32 ports;		/* the size of the ephemeral port range */
	u8 warn;
	u64 warnings;
};

struct tcpstate_dests {
	struct rhashtable table;
	atomic_t count;
	struct rhashtable_iter gc_iter;	/* where the GC's pass stands */
	struct tcpstate_dest overflow;
};

struct tcpstate_net;

int tcpstate_dest_init(void);
void tcpstate_dest_uninit(void);
int tcpstate_dest_net_init(struct tcpstate_net *tn);
void tcpstate_dest_net_exit(struct tcpstate_net *tn);

struct tcpstate_dest *tcpstate_dest_attach(struct tcpstate_net *tn,
					   const struct tcpstate_lkey *k,
					   u8 client_state, u64 now);
bool tcpstate_dest_move(struct tcpstate_dest *d, u8 old_state, u8 new_state,
			u64 now);
void tcpstate_dest_gc(struct tcpstate_net *tn, u64 now);
unsigned int tcpstate_dest_ports(struct tcpstate_net *tn);
unsigned int tcpstate_dest_count(struct tcpstate_net *tn);
void tcpstate_dest_read(const struct tcpstate_dest *d, unsigned int ports,
			struct tcpstate_dest_view *v);

/* The next live destination of a walk, or NULL at the end (under RCU). */
struct tcpstate_dest *tcpstate_dest_walk(struct rhashtable_iter *it,
					 bool peek);

#endif /* _TCPSTATE_DEST_H */
