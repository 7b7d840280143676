// SPDX-License-Identifier: GPL-2.0
/*
 * event.c: the one place the tables' events go (event.h).
 */
#include <linux/rcupdate.h>

#include "event.h"

const struct tcpstate_event_ops __rcu *tcpstate_events;

/* Events go to ops from now on. */
void tcpstate_event_register(const struct tcpstate_event_ops *ops)
{
	rcu_assign_pointer(tcpstate_events, ops);
}

/* Returns once no handler runs any more. */
void tcpstate_event_unregister(void)
{
	RCU_INIT_POINTER(tcpstate_events, NULL);
	synchronize_rcu();
}
