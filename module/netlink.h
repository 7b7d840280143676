/* SPDX-License-Identifier: GPL-2.0 */
/*
 * netlink.h: the generic netlink family "tcpstate" (spec/tcpstate.yaml).
 */
#ifndef _TCPSTATE_NETLINK_H
#define _TCPSTATE_NETLINK_H

#include <linux/types.h>

#include "fsm.h"

struct tcpstate_net;
struct tcpstate_flow;
struct tcpstate_dest_view;

int tcpstate_nl_init(void);
void tcpstate_nl_uninit(void);

void __tcpstate_nl_flow_event(struct tcpstate_net *tn,
			      const struct tcpstate_flow *flow,
			      const struct tcpstate_result *res, u64 now);

/*
 * After an fsm step, under the flow's lock: multicast its endpoint
 * transitions and its end-of-flow record, if anyone listens.
 */
static inline void tcpstate_nl_flow_event(struct tcpstate_net *tn,
					  const struct tcpstate_flow *flow,
					  const struct tcpstate_result *res,
					  u64 now)
{
	if (res->events & (TCPSTATE_EV_TRANS0 | TCPSTATE_EV_TRANS1 |
			   TCPSTATE_EV_FLOW_END))
		__tcpstate_nl_flow_event(tn, flow, res, now);
}

void tcpstate_nl_stuck_event(struct tcpstate_net *tn,
			     const struct tcpstate_flow *flow, unsigned int d,
			     u64 now);

void tcpstate_nl_dest_event(struct tcpstate_net *tn,
			    const struct tcpstate_dest_view *v, u64 now);

#endif /* _TCPSTATE_NETLINK_H */
