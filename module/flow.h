/* SPDX-License-Identifier: GPL-2.0 */
/*
 * flow.h: the per-namespace flow table.
 */
#ifndef _TCPSTATE_FLOW_H
#define _TCPSTATE_FLOW_H

#include <linux/rhashtable.h>
#include <linux/spinlock.h>

#include "fsm.h"
#include "key.h"

/* Eviction classes, each a list in age order (struct tcpstate_evict). */
enum tcpstate_class {
	TCPSTATE_CLASS_CLOSED,		/* CLOSED, TIME_WAIT, ended: first */
	TCPSTATE_CLASS_HALF_OPEN,	/* handshake not complete: next */
	TCPSTATE_CLASS_NR,
	TCPSTATE_CLASS_NONE = TCPSTATE_CLASS_NR, /* never evicted */
};

/*
 * What only a flow with an endpoint on this host needs, allocated the
 * first time the egress hook sees one of its sockets.
 */
struct tcpstate_flow_ext {
	struct tcpstate_listener *listener;	/* as tcpstate_flow.listener */
	struct tcpstate_dest *dest;	/* where its local client counts */
	struct tcpstate_owner owner[2];		/* by key side */
};

struct tcpstate_flow {
	struct rhash_head node;
	struct tcpstate_key key;
	spinlock_t lock;	/* fsm, the bits below, listener or ext */
	u8 dir0:1;		/* key side that sent the first segment */
	u8 dead:1;		/* unlinked or being unlinked */
	u8 has_ext:1;		/* ext, not listener, is set */
	u8 owner_seen:2;	/* bit d: key side d's socket was looked at */
	u8 stuck:2;		/* bit d: fsm direction d announced stuck */
	u8 roles_orig:1;	/* fsm direction counted as the client */
	u8 class;		/* enum tcpstate_class; under its evict lock */
	u16 cpu;		/* whose tcpstate_evict lists it goes on */
	union {
		/* the entry whose half-open count includes it, or NULL */
		struct tcpstate_listener *listener;
		struct tcpstate_flow_ext *ext;
	};
	union {
		struct list_head evict;	/* on an evict list[class] */
		struct rcu_head rcu;	/* once off every list */
	};
	struct tcpstate_fsm fsm;
};

/* Under the flow's lock: where its listener pointer is kept. */
static inline struct tcpstate_listener **
tcpstate_flow_listener(struct tcpstate_flow *flow)
{
	return flow->has_ext ? &flow->ext->listener : &flow->listener;
}

/* Under the flow's lock: the entry its half-open count is in, or NULL. */
static inline struct tcpstate_listener *
tcpstate_flow_listener_of(const struct tcpstate_flow *flow)
{
	return flow->has_ext ? flow->ext->listener : flow->listener;
}

/* Under the flow's lock: the owner of key side `side`, or NULL. */
static inline const struct tcpstate_owner *
tcpstate_flow_owner(const struct tcpstate_flow *flow, unsigned int side)
{
	if (!flow->has_ext || !flow->ext->owner[side].known)
		return NULL;
	return &flow->ext->owner[side];
}

/* Three cache lines, where a spinlock is a word (no lock debugging). */
static_assert(sizeof(spinlock_t) > 4 || sizeof(struct tcpstate_flow) <= 192,
	      "struct tcpstate_flow over three cache lines");

/*
 * rhashtable_walk_start(), then, if the element the walk stopped at was
 * freed meanwhile, back to the start of its bucket. The walker would go on
 * by that element's index in the bucket, past as many successors as
 * elements before it went. So a few entries may be seen twice, but none
 * present all along is missed. Returns -EAGAIN if the table was resized
 * (the walk starts over in the new one: many are seen twice).
 */
static inline int tcpstate_walk_start(struct rhashtable_iter *iter)
{
	int err = rhashtable_walk_start_check(iter);

	if (!iter->p)
		iter->skip = 0;
	return err;
}

/*
 * A flow as read under its lock: a copy of the record and its endpoints,
 * never a pointer into the flow, which may be freed once the lock and
 * RCU are left (a netlink reply is built after a sleeping allocation).
 */
struct user_namespace;

struct tcpstate_flow_snap {
	struct tcpstate_fsm fsm;
	union tcpstate_addr addr[2];	/* [client], [server] */
	struct tcpstate_owner owner[2];	/* [client], [server] */
	struct user_namespace *uns;	/* the uids' reader */
	__be16 port[2];
	u8 family;
	u8 stuck;			/* bit 0: the client, 1: the server */
};

struct sock;
struct tcpstate_dest;
struct tcpstate_net;
struct tcpstate_listener;

int tcpstate_flow_init(void);
void tcpstate_flow_uninit(void);
int tcpstate_flow_net_init(struct tcpstate_net *tn);
void tcpstate_flow_net_exit(struct tcpstate_net *tn);

void tcpstate_flow_segment(struct tcpstate_net *tn,
			   const struct tcpstate_key *key, unsigned int side,
			   struct tcpstate_seg *seg, struct sock *sk);
struct tcpstate_flow *tcpstate_flow_lookup(struct tcpstate_net *tn,
					   const struct tcpstate_key *key);
unsigned int tcpstate_flow_flush(struct tcpstate_net *tn);
unsigned int tcpstate_flow_count(struct tcpstate_net *tn);
long tcpstate_flow_objects_read(void);
void tcpstate_flow_settle(struct tcpstate_net *tn, struct tcpstate_flow *flow,
			  u64 now);
void tcpstate_flow_read(const struct tcpstate_flow *flow,
			struct tcpstate_flow_snap *snap,
			struct user_namespace *uns);
bool tcpstate_flow_snapshot(struct tcpstate_net *tn,
			    struct tcpstate_flow *flow,
			    struct tcpstate_flow_snap *snap,
			    struct user_namespace *uns, u64 now);

/* Under the flow's lock: its client's (originator's) and server's ends. */
static inline void
tcpstate_flow_endpoints(const struct tcpstate_flow *flow,
			const union tcpstate_addr **caddr, __be16 *cport,
			const union tcpstate_addr **saddr, __be16 *sport)
{
	unsigned int c;

	lockdep_assert_held(&flow->lock);
	c = flow->dir0 ^ tcpstate_fsm_orig_dir(&flow->fsm);
	*caddr = &flow->key.addr[c];
	*cport = flow->key.port[c];
	*saddr = &flow->key.addr[c ^ 1];
	*sport = flow->key.port[c ^ 1];
}

#endif /* _TCPSTATE_FLOW_H */
