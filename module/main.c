// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate: per-flow TCP state of both endpoints, seen from netfilter.
 *
 * main.c: module parameters, init/exit and per-namespace setup.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <net/net_namespace.h>

#include "core.h"

unsigned int tcpstate_net_id __read_mostly;

/* Defaults for new namespaces; netlink changes one namespace at runtime. */
static unsigned int max_flows = 262144;
module_param(max_flows, uint, 0444);
MODULE_PARM_DESC(max_flows, "Flows tracked per namespace (default 262144)");

static unsigned int max_listeners = 4096;
module_param(max_listeners, uint, 0444);
MODULE_PARM_DESC(max_listeners, "Listeners kept per namespace (default 4096)");

static unsigned int flood_syn_rate = 1000;
module_param(flood_syn_rate, uint, 0444);
MODULE_PARM_DESC(flood_syn_rate,
		 "SYNs per second to one listener that raise its flood flag (default 1000, 0: off)");

static unsigned int flood_half_open = 512;
module_param(flood_half_open, uint, 0444);
MODULE_PARM_DESC(flood_half_open,
		 "Half-open handshakes at one listener that raise its flood flag (default 512, 0: off)");

#define TCPSTATE_TIMEOUT_PARAM(name, desc)				\
	static unsigned int timeout_##name##_ms;			\
	module_param(timeout_##name##_ms, uint, 0444);			\
	MODULE_PARM_DESC(timeout_##name##_ms, desc " (ms, 0: default)")

TCPSTATE_TIMEOUT_PARAM(syn_sent, "SYN or one-way traffic not answered (120000)");
TCPSTATE_TIMEOUT_PARAM(syn_recv, "SYN-ACK sent, handshake not completed (60000)");
TCPSTATE_TIMEOUT_PARAM(established, "Idle established flow (432000000)");
TCPSTATE_TIMEOUT_PARAM(fin_wait, "FIN_WAIT_1/2, CLOSING, LAST_ACK idle (120000)");
TCPSTATE_TIMEOUT_PARAM(close_wait, "Half-closed flow idle (60000)");
TCPSTATE_TIMEOUT_PARAM(time_wait, "TIME_WAIT, 2*MSL (60000)");
TCPSTATE_TIMEOUT_PARAM(closed, "Linger of an ended flow (10000)");

unsigned int tcpstate_gc_interval_ms = 1000;
module_param_named(gc_interval_ms, tcpstate_gc_interval_ms, uint, 0444);
MODULE_PARM_DESC(gc_interval_ms, "Expiry scan period (ms, default 1000)");

unsigned int tcpstate_fail_alloc_every;
module_param_named(fail_alloc_every, tcpstate_fail_alloc_every, uint, 0600);
MODULE_PARM_DESC(fail_alloc_every,
		 "Testing: fail every Nth flow allocation as GFP_ATOMIC may (0: never)");

struct tcpstate_config tcpstate_config_default __read_mostly;

static u32 tcpstate_param_or(u32 param, u32 dflt)
{
	return param ? param : dflt;
}

static int tcpstate_config_init(void)
{
	const struct tcpstate_timeouts *d = &tcpstate_timeouts_default;
	struct tcpstate_config *c = &tcpstate_config_default;

	if (!max_flows || !max_listeners || !tcpstate_gc_interval_ms) {
		pr_err("max_flows, max_listeners and gc_interval_ms must be positive\n");
		return -EINVAL;
	}
	c->to.syn_sent = tcpstate_param_or(timeout_syn_sent_ms, d->syn_sent);
	c->to.syn_recv = tcpstate_param_or(timeout_syn_recv_ms, d->syn_recv);
	c->to.established = tcpstate_param_or(timeout_established_ms,
					      d->established);
	c->to.fin_wait = tcpstate_param_or(timeout_fin_wait_ms, d->fin_wait);
	c->to.close_wait = tcpstate_param_or(timeout_close_wait_ms,
					     d->close_wait);
	c->to.time_wait = tcpstate_param_or(timeout_time_wait_ms,
					    d->time_wait);
	c->to.closed = tcpstate_param_or(timeout_closed_ms, d->closed);
	c->max_flows = max_flows;
	c->max_listeners = max_listeners;
	c->flood_syn_rate = flood_syn_rate;
	c->flood_half_open = flood_half_open;
	return 0;
}

static const char * const tcpstate_stat_names[TCPSTATE_STAT_NR] = {
	[TCPSTATE_STAT_SEGMENTS] = "segments",
	[TCPSTATE_STAT_SEGMENTS_IN] = "segments_in",
	[TCPSTATE_STAT_SEGMENTS_OUT] = "segments_out",
	[TCPSTATE_STAT_SEGMENTS_IPV4] = "segments_ipv4",
	[TCPSTATE_STAT_SEGMENTS_IPV6] = "segments_ipv6",
	[TCPSTATE_STAT_SKBS] = "skbs",
	[TCPSTATE_STAT_GSO_SKBS] = "gso_skbs",
	[TCPSTATE_STAT_RSTS_IN] = "rsts_in",
	[TCPSTATE_STAT_RSTS_OUT] = "rsts_out",
	[TCPSTATE_STAT_FRAGMENTS] = "fragments",
	[TCPSTATE_STAT_MALFORMED] = "malformed",
	[TCPSTATE_STAT_BAD_OPTIONS] = "bad_options",
	[TCPSTATE_STAT_NO_FLOW] = "no_flow",
	[TCPSTATE_STAT_INVALID] = "invalid",
	[TCPSTATE_STAT_RST_OUT_OF_WINDOW] = "rst_out_of_window",
	[TCPSTATE_STAT_RETRANSMISSIONS] = "retransmissions",
	[TCPSTATE_STAT_KEEPALIVES] = "keepalives",
	[TCPSTATE_STAT_HANDSHAKES] = "handshakes",
	[TCPSTATE_STAT_FLOWS_CREATED] = "flows_created",
	[TCPSTATE_STAT_FLOWS_MIDSTREAM] = "flows_midstream",
	[TCPSTATE_STAT_FLOWS_ENDED] = "flows_ended",
	[TCPSTATE_STAT_FLOWS_REUSED] = "flows_reused",
	[TCPSTATE_STAT_TIME_WAIT_REUSED] = "time_wait_reused",
	[TCPSTATE_STAT_FLOWS_EXPIRED] = "flows_expired",
	[TCPSTATE_STAT_FLOWS_EVICTED] = "flows_evicted",
	[TCPSTATE_STAT_FLOWS_FLUSHED] = "flows_flushed",
	[TCPSTATE_STAT_FLOWS_NOT_TRACKED] = "flows_not_tracked",
	[TCPSTATE_STAT_TABLE_FULL] = "table_full",
	[TCPSTATE_STAT_ALLOC_FAILED] = "alloc_failed",
	[TCPSTATE_STAT_LISTENER_OVERFLOW] = "listener_overflow",
	[TCPSTATE_STAT_EVENTS_DROPPED] = "events_dropped",
};

const char *tcpstate_stat_name(enum tcpstate_stat stat)
{
	return tcpstate_stat_names[stat];
}

u64 tcpstate_stat_read(const struct tcpstate_net *tn, enum tcpstate_stat stat)
{
	u64 sum = 0;
	int cpu;

	/* The hooks count each segment once, by direction. */
	if (stat == TCPSTATE_STAT_SEGMENTS)
		return tcpstate_stat_read(tn, TCPSTATE_STAT_SEGMENTS_IN) +
		       tcpstate_stat_read(tn, TCPSTATE_STAT_SEGMENTS_OUT);
	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(tn->stats, cpu)->v[stat]);
	return sum;
}

/* Exact once the flows are quiet: each move is a -1 and a +1. */
long tcpstate_endpoints_read(const struct tcpstate_net *tn, unsigned int state)
{
	long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(tn->stats, cpu)->endpoints[state]);
	return sum;
}

/* Every namespace's tcpstate_net, for totals across them. */
static LIST_HEAD(tcpstate_nets);
static DEFINE_SPINLOCK(tcpstate_nets_lock);

void tcpstate_totals_read(struct tcpstate_totals *t)
{
	struct tcpstate_net *tn;

	memset(t, 0, sizeof(*t));
	spin_lock_bh(&tcpstate_nets_lock);
	list_for_each_entry(tn, &tcpstate_nets, all) {
		t->namespaces++;
		t->flows += atomic_read(&tn->nflows);
		t->listeners += READ_ONCE(tn->listeners.count);
	}
	spin_unlock_bh(&tcpstate_nets_lock);
}

static int __net_init tcpstate_net_init(struct net *net)
{
	struct tcpstate_net *tn = tcpstate_pernet(net);
	int err;

	tn->net = net;
	tn->cfg = tcpstate_config_default;
	tn->stats = alloc_percpu(struct tcpstate_pcpu_stats);
	if (unlikely(!tn->stats))
		return -ENOMEM;

	tcpstate_listener_net_init(tn);
	err = tcpstate_flow_net_init(tn);
	if (err)
		goto err_free_stats;

	err = tcpstate_proc_net_init(tn);
	if (err)
		goto err_flows;

	err = tcpstate_hook_net_init(tn);
	if (err)
		goto err_proc;

	spin_lock_bh(&tcpstate_nets_lock);
	list_add_tail(&tn->all, &tcpstate_nets);
	spin_unlock_bh(&tcpstate_nets_lock);

	pr_debug("netns %u created\n", net->ns.inum);
	return 0;

err_proc:
	tcpstate_proc_net_exit(tn);
err_flows:
	tcpstate_flow_net_exit(tn);
err_free_stats:
	free_percpu(tn->stats);
	return err;
}

/*
 * Unhooking does not wait for hooks still running on other CPUs (the old
 * hook array is freed by RCU). The core runs every pre_exit, then waits
 * for an RCU grace period, then runs exit: by then no hook can be inside
 * the flow table that exit frees.
 */
static void __net_exit tcpstate_net_pre_exit(struct net *net)
{
	struct tcpstate_net *tn = tcpstate_pernet(net);

	spin_lock_bh(&tcpstate_nets_lock);
	list_del(&tn->all);
	spin_unlock_bh(&tcpstate_nets_lock);
	tcpstate_hook_net_exit(tn);
}

static void __net_exit tcpstate_net_exit(struct net *net)
{
	struct tcpstate_net *tn = tcpstate_pernet(net);

	tcpstate_proc_net_exit(tn);
	tcpstate_flow_net_exit(tn);
	tcpstate_listener_net_exit(tn);
	free_percpu(tn->stats);
	pr_debug("netns %u destroyed\n", net->ns.inum);
}

static struct pernet_operations tcpstate_net_ops = {
	.init = tcpstate_net_init,
	.pre_exit = tcpstate_net_pre_exit,
	.exit = tcpstate_net_exit,
	.id = &tcpstate_net_id,
	.size = sizeof(struct tcpstate_net),
};

static int __init tcpstate_init(void)
{
	int err;

	err = tcpstate_config_init();
	if (err)
		return err;

	err = tcpstate_flow_init();
	if (err)
		return err;

	err = register_pernet_subsys(&tcpstate_net_ops);
	if (err)
		goto err_flow;

	/* after the namespaces' state exists: requests use it at once */
	err = tcpstate_nl_init();
	if (err)
		goto err_pernet;

	pr_info("loaded (flow object %zu bytes)\n", sizeof(struct tcpstate_flow));
#ifdef TCPSTATE_BENCH_STAGE
	pr_warn("benchmark build: every segment stops after stage %d\n",
		TCPSTATE_BENCH_STAGE);
#endif
	return 0;

err_pernet:
	unregister_pernet_subsys(&tcpstate_net_ops);
err_flow:
	tcpstate_flow_uninit();
	return err;
}

static void __exit tcpstate_exit(void)
{
	tcpstate_nl_uninit();
	unregister_pernet_subsys(&tcpstate_net_ops);
	tcpstate_flow_uninit();
	pr_info("unloaded\n");
}

module_init(tcpstate_init);
module_exit(tcpstate_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Per-flow TCP state of both endpoints, seen from netfilter");
MODULE_AUTHOR("The tcpstate developers");
