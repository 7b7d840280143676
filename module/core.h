/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpstate: state shared by the module's subsystems.
 */
#ifndef _TCPSTATE_CORE_H
#define _TCPSTATE_CORE_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/netfilter.h>
#include <linux/percpu.h>
#include <linux/memcontrol.h>
#include <linux/rhashtable-types.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "dest.h"
#include "flow.h"
#include "listener.h"

/* Per-namespace counters (stats.h): per-CPU on the packet path, summed on read. */
enum tcpstate_stat {
#define TCPSTATE_STAT(id, ...)	TCPSTATE_STAT_##id,
#include "stats.h"
#undef TCPSTATE_STAT
	TCPSTATE_STAT_NR
};

/* The states an endpoint can be stuck in, in the order of their stats. */
enum tcpstate_stuck {
	TCPSTATE_STUCK_SYN_RECV,
	TCPSTATE_STUCK_CLOSE_WAIT,
	TCPSTATE_STUCK_FIN_WAIT_2,
	TCPSTATE_STUCK_LAST_ACK,
	TCPSTATE_STUCK_NR
};

struct tcpstate_pcpu_stats {
	u64 v[TCPSTATE_STAT_NR];
	/* gauges: endpoints in each state, by role (0 client, 1 server) */
	long endpoints[2][__TCPSTATE_S_MAX];
};

/*
 * Per-namespace settings (settings.h): module parameters at creation, then
 * netlink.
 */
struct tcpstate_config {
	struct tcpstate_timeouts to;
	u32 max_flows;
	u32 max_listeners;
	u32 flood_syn_rate;	/* SYNs per second to one listener */
	u32 flood_half_open;	/* half-open handshakes at one listener */
	u32 stuck_ms[TCPSTATE_STUCK_NR];	/* 0: off */
	u32 max_destinations;
	u32 port_pressure_pct;	/* of the ephemeral port range; 0: off */
};

/* One setting of settings.h: where it lives, its bounds (config.c). */
struct tcpstate_setting {
	const char *name;
	const char *range;	/* "NAME is out of range: MIN to MAX" */
	u16 attr;		/* TCPSTATE_A_CONFIG_* */
	u16 offset;		/* in struct tcpstate_config */
	u32 min, max;
	bool limit;		/* a bound on memory: the host's to raise */
};

/* Every config attribute is a setting. */
#define TCPSTATE_SETTINGS_NR	TCPSTATE_A_CONFIG_MAX
extern const struct tcpstate_setting tcpstate_settings[TCPSTATE_SETTINGS_NR];

static inline u32 *tcpstate_setting(struct tcpstate_config *cfg,
				    const struct tcpstate_setting *s)
{
	return (u32 *)((u8 *)cfg + s->offset);
}

int tcpstate_config_init(void);

/* The bounds of the host's own parameters (config.c). */
#define TCPSTATE_GC_INTERVAL_MIN_MS	10
#define TCPSTATE_GC_INTERVAL_MAX_MS	60000

/*
 * What the namespaces other than the initial one hold together: any
 * user can create namespaces (unshare -Urn), so each one's own bound is
 * not a bound on the host. The initial namespace has only its own.
 */
struct tcpstate_shared {
	atomic_t flows;
	atomic_t listeners;
	atomic_t dests;
	u32 max_flows;
	u32 max_listeners;	/* and destinations, as many again */
};

extern struct tcpstate_shared tcpstate_shared;

/* n + 1 unless that would pass max; the bound is never crossed. */
static inline bool tcpstate_inc_below(atomic_t *n, int max)
{
	int v = atomic_read(n);

	do {
		if (v >= max)
			return false;
	} while (!atomic_try_cmpxchg(n, &v, v + 1));
	return true;
}

/*
 * The evictable flows created on one CPU, a list per class in age order.
 * Per CPU, so that no new flow takes a lock of the whole namespace.
 */
struct tcpstate_evict {
	spinlock_t lock;		/* the lists, and flow->class */
	struct list_head list[TCPSTATE_CLASS_NR];
};

/* IPv4 and IPv6, each at PRE_ROUTING and POST_ROUTING. */
#define TCPSTATE_HOOKS	4

/* Everything tcpstate keeps for one network namespace. */
struct tcpstate_net {
	struct net *net;
	struct mem_cgroup *memcg;	/* charged for what is allocated */
	bool shared;			/* counts in tcpstate_shared */
	struct tcpstate_pcpu_stats __percpu *stats;
	struct tcpstate_config cfg;
	struct proc_dir_entry *proc_dir;

	struct rhashtable flows;
	atomic_t nflows;
	struct tcpstate_evict __percpu *evict;	/* eviction lists, per CPU */
	struct delayed_work gc_work;
	struct rhashtable_iter gc_iter;	/* where the GC's pass stands */

	struct tcpstate_listeners listeners;
	struct tcpstate_dests dests;
	struct list_head all;		/* on tcpstate_nets */
	struct nf_hook_ops hook_ops[TCPSTATE_HOOKS];	/* priv: this */
};

extern unsigned int tcpstate_net_id;
extern struct tcpstate_config tcpstate_config_default;
extern unsigned int tcpstate_gc_interval_ms;

/*
 * An object for a namespace, on any path (the packet path included). The
 * initial namespace's are GFP_ATOMIC. Another's are charged to its memory
 * cgroup and GFP_NOWAIT: they stop at the cgroup's limit (GFP_ATOMIC would
 * be let through it) and never take the atomic reserves.
 */
static inline void *tcpstate_alloc(struct tcpstate_net *tn,
				   struct kmem_cache *cache, gfp_t zero)
{
	struct mem_cgroup *old;
	void *p;

	if (!tn->memcg)
		return kmem_cache_alloc(cache, GFP_ATOMIC | zero);
	old = set_active_memcg(tn->memcg);
	p = kmem_cache_alloc(cache, GFP_NOWAIT | __GFP_ACCOUNT | __GFP_NOWARN |
			     zero);
	set_active_memcg(old);
	return p;
}

static inline struct tcpstate_net *tcpstate_pernet(const struct net *net)
{
	return net_generic(net, tcpstate_net_id);
}

static inline void tcpstate_stat_add(struct tcpstate_net *tn,
				     enum tcpstate_stat stat, u64 n)
{
	this_cpu_add(tn->stats->v[stat], n);
}

static inline void tcpstate_stat_inc(struct tcpstate_net *tn,
				     enum tcpstate_stat stat)
{
	this_cpu_inc(tn->stats->v[stat]);
}

static inline void tcpstate_endpoint_move(struct tcpstate_net *tn,
					  unsigned int role, unsigned int from,
					  unsigned int to)
{
	this_cpu_dec(tn->stats->endpoints[role][from]);
	this_cpu_inc(tn->stats->endpoints[role][to]);
}

u64 tcpstate_stat_read(const struct tcpstate_net *tn, enum tcpstate_stat stat);
long tcpstate_endpoints_read(const struct tcpstate_net *tn, unsigned int role,
			     unsigned int state);
const char *tcpstate_stat_name(enum tcpstate_stat stat);

int tcpstate_hook_net_init(struct tcpstate_net *tn);
void tcpstate_hook_net_exit(struct tcpstate_net *tn);

u8 tcpstate_sock_state(struct net *net, const struct tcpstate_key *key,
		       unsigned int side);

/* A local listening socket's queues, as ss -lnt and ss state syn-recv */
struct tcpstate_sock_queue {
	u32 accept;		/* established, waiting for accept() */
	u32 accept_max;		/* the listen() backlog */
	u32 syn;		/* request sockets (SYN_RECEIVED) */
	struct tcpstate_owner owner;
};

bool tcpstate_sock_req_refused(const struct sock *sk);
bool tcpstate_sock_owner(struct sock *sk, struct tcpstate_owner *o);
bool tcpstate_sock_listener(struct net *net, const struct tcpstate_lkey *k,
			    struct tcpstate_sock_queue *q);

int tcpstate_proc_net_init(struct tcpstate_net *tn);
void tcpstate_proc_net_exit(struct tcpstate_net *tn);

#endif /* _TCPSTATE_CORE_H */
