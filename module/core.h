/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpstate: state shared by the module's subsystems.
 */
#ifndef _TCPSTATE_CORE_H
#define _TCPSTATE_CORE_H

#include <linux/percpu.h>
#include <linux/types.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

/* Per-namespace counters: per-CPU on the packet path, summed on read. */
enum tcpstate_stat {
	TCPSTATE_STAT_SEGMENTS,		/* TCP segments seen, once each */
	TCPSTATE_STAT_SEGMENTS_IN,	/* ... arriving (local or forwarded) */
	TCPSTATE_STAT_SEGMENTS_OUT,	/* ... sent by this host */
	TCPSTATE_STAT_SEGMENTS_IPV4,
	TCPSTATE_STAT_SEGMENTS_IPV6,
	TCPSTATE_STAT_SKBS,		/* skbs carrying them */
	TCPSTATE_STAT_GSO_SKBS,		/* ... of which GRO/GSO aggregates */
	TCPSTATE_STAT_FRAGMENTS,	/* non-first IP fragments, not parsed */
	TCPSTATE_STAT_MALFORMED,	/* truncated or bad TCP header */
	TCPSTATE_STAT_NR
};

struct tcpstate_pcpu_stats {
	u64 v[TCPSTATE_STAT_NR];
};

/* Everything tcpstate keeps for one network namespace. */
struct tcpstate_net {
	struct net *net;
	struct tcpstate_pcpu_stats __percpu *stats;
	struct proc_dir_entry *proc_dir;
};

extern unsigned int tcpstate_net_id;

static inline struct tcpstate_net *tcpstate_pernet(const struct net *net)
{
	return net_generic(net, tcpstate_net_id);
}

static inline void tcpstate_stat_add(struct tcpstate_net *tn,
				     enum tcpstate_stat stat, u64 n)
{
	this_cpu_add(tn->stats->v[stat], n);
}

u64 tcpstate_stat_read(const struct tcpstate_net *tn, enum tcpstate_stat stat);
const char *tcpstate_stat_name(enum tcpstate_stat stat);

int tcpstate_hook_net_init(struct net *net);
void tcpstate_hook_net_exit(struct net *net);

int tcpstate_proc_net_init(struct tcpstate_net *tn);
void tcpstate_proc_net_exit(struct tcpstate_net *tn);

#endif /* _TCPSTATE_CORE_H */
