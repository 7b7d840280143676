/* SPDX-License-Identifier: GPL-2.0 */
/*
 * event.h: what the flow and destination tables announce (transitions,
 * ended flows, stuck endpoints, port pressure), without knowing who
 * listens. netlink.c registers the handlers that multicast them, as
 * nf_conntrack's event cache hands its events to ctnetlink: the tables
 * call no netlink code, and netlink calls the tables.
 */
#ifndef _TCPSTATE_EVENT_H
#define _TCPSTATE_EVENT_H

#include <linux/rcupdate.h>

#include "fsm.h"

struct tcpstate_net;
struct tcpstate_flow;
struct tcpstate_dest_view;

/* Each called under RCU; flow and stuck under the flow's lock. */
struct tcpstate_event_ops {
	void (*flow)(struct tcpstate_net *tn, const struct tcpstate_flow *flow,
		     const struct tcpstate_result *res, u64 now);
	void (*stuck)(struct tcpstate_net *tn,
		      const struct tcpstate_flow *flow, unsigned int d,
		      u64 now);
	void (*dest)(struct tcpstate_net *tn,
		     const struct tcpstate_dest_view *v, u64 now);
};

extern const struct tcpstate_event_ops __rcu *tcpstate_events;

void tcpstate_event_register(const struct tcpstate_event_ops *ops);
void tcpstate_event_unregister(void);

/* After an fsm step: its endpoint transitions and end-of-flow record. */
static inline void tcpstate_event_flow(struct tcpstate_net *tn,
				       const struct tcpstate_flow *flow,
				       const struct tcpstate_result *res,
				       u64 now)
{
	const struct tcpstate_event_ops *ops;

	if (!(res->events & (TCPSTATE_EV_TRANS0 | TCPSTATE_EV_TRANS1 |
			     TCPSTATE_EV_FLOW_END)))
		return;
	rcu_read_lock();
	ops = rcu_dereference(tcpstate_events);
	if (ops)
		ops->flow(tn, flow, res, now);
	rcu_read_unlock();
}

/* The GC found endpoint `d` (an fsm direction) of the flow stuck. */
static inline void tcpstate_event_stuck(struct tcpstate_net *tn,
					const struct tcpstate_flow *flow,
					unsigned int d, u64 now)
{
	const struct tcpstate_event_ops *ops;

	rcu_read_lock();
	ops = rcu_dereference(tcpstate_events);
	if (ops)
		ops->stuck(tn, flow, d, now);
	rcu_read_unlock();
}

/* A destination's port-pressure warning rose or fell. */
static inline void tcpstate_event_dest(struct tcpstate_net *tn,
				       const struct tcpstate_dest_view *v,
				       u64 now)
{
	const struct tcpstate_event_ops *ops;

	rcu_read_lock();
	ops = rcu_dereference(tcpstate_events);
	if (ops)
		ops->dest(tn, v, now);
	rcu_read_unlock();
}

#endif /* _TCPSTATE_EVENT_H */
