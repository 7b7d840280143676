// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate: per-flow TCP state of both endpoints, seen from netfilter.
 *
 * main.c: module parameters, init/exit and per-namespace setup.
 */
#include <linux/debugfs.h>
#include <linux/memcontrol.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
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

static unsigned int max_destinations = 4096;
module_param(max_destinations, uint, 0444);
MODULE_PARM_DESC(max_destinations,
		 "Remote destinations kept per namespace (default 4096)");

static unsigned int port_pressure_pct = 50;
module_param(port_pressure_pct, uint, 0444);
MODULE_PARM_DESC(port_pressure_pct,
		 "Share of the ephemeral port range one destination may hold before its warning (default 50, 0: off)");

static unsigned int flood_syn_rate = 1000;
module_param(flood_syn_rate, uint, 0444);
MODULE_PARM_DESC(flood_syn_rate,
		 "SYNs per second to one listener that raise its flood flag (default 1000, 0: off)");

static unsigned int flood_half_open = 512;
module_param(flood_half_open, uint, 0444);
MODULE_PARM_DESC(flood_half_open,
		 "Half-open handshakes at one listener that raise its flood flag (default 512, 0: off)");

#define TCPSTATE_STUCK_PARAM(name, dflt, desc)				\
	static unsigned int stuck_##name##_ms = dflt;			\
	module_param(stuck_##name##_ms, uint, 0444);			\
	MODULE_PARM_DESC(stuck_##name##_ms, desc " (ms, default " #dflt ", 0: off)")

TCPSTATE_STUCK_PARAM(syn_recv, 30000, "A server in SYN_RECEIVED this long is stuck");
TCPSTATE_STUCK_PARAM(close_wait, 30000, "An endpoint in CLOSE_WAIT this long is stuck");
TCPSTATE_STUCK_PARAM(fin_wait_2, 60000, "In FIN_WAIT_2 this long after its FIN: stuck");
TCPSTATE_STUCK_PARAM(last_ack, 30000, "In LAST_ACK this long after its FIN: stuck");

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
MODULE_PARM_DESC(gc_interval_ms, "Expiry scan period (ms, 10 to 60000, default 1000)");

struct tcpstate_shared tcpstate_shared = {
	.flows = ATOMIC_INIT(0),
	.listeners = ATOMIC_INIT(0),
	.dests = ATOMIC_INIT(0),
};

static unsigned int max_flows_shared = 1048576;
module_param(max_flows_shared, uint, 0444);
MODULE_PARM_DESC(max_flows_shared,
		 "Flows tracked in all namespaces but the initial one together (default 1048576)");

static unsigned int max_listeners_shared = 65536;
module_param(max_listeners_shared, uint, 0444);
/* ... and as many destinations */
MODULE_PARM_DESC(max_listeners_shared,
		 "Listeners kept in all namespaces but the initial one together (default 65536)");

struct tcpstate_config tcpstate_config_default __read_mostly;

/* A parameter within [min, max], as netlink would require of it. */
static int tcpstate_param_check(const char *name, u32 v, u32 min, u32 max)
{
	if (v >= min && v <= max)
		return 0;
	pr_err("%s=%u is out of range: %u to %u\n", name, v, min, max);
	return -EINVAL;
}

#define TCPSTATE_TIMEOUT(name) {					\
	"timeout_" #name "_ms", &timeout_##name##_ms,			\
	offsetof(struct tcpstate_timeouts, name) }

static const struct {
	const char *name;
	const unsigned int *param;
	size_t offset;			/* in struct tcpstate_timeouts */
} tcpstate_timeout_params[] = {
	TCPSTATE_TIMEOUT(syn_sent),
	TCPSTATE_TIMEOUT(syn_recv),
	TCPSTATE_TIMEOUT(established),
	TCPSTATE_TIMEOUT(fin_wait),
	TCPSTATE_TIMEOUT(close_wait),
	TCPSTATE_TIMEOUT(time_wait),
	TCPSTATE_TIMEOUT(closed),
};

/* Each timeout parameter: 0 for the default, else within the bounds. */
static int tcpstate_timeouts_init(struct tcpstate_timeouts *to)
{
	const struct tcpstate_timeouts *d = &tcpstate_timeouts_default;
	unsigned int i;
	u32 *v;

	for (i = 0; i < ARRAY_SIZE(tcpstate_timeout_params); i++) {
		v = (u32 *)((u8 *)to + tcpstate_timeout_params[i].offset);
		*v = *tcpstate_timeout_params[i].param ?:
		     *(const u32 *)((const u8 *)d +
				    tcpstate_timeout_params[i].offset);
		if (tcpstate_param_check(tcpstate_timeout_params[i].name, *v,
					 1, TCPSTATE_TIMEOUT_MAX_MS))
			return -EINVAL;
	}
	return 0;
}

#define TCPSTATE_STUCK(name, kind) {					\
	"stuck_" #name "_ms", &stuck_##name##_ms, TCPSTATE_STUCK_##kind }

static const struct {
	const char *name;
	const unsigned int *param;
	enum tcpstate_stuck kind;
} tcpstate_stuck_params[] = {
	TCPSTATE_STUCK(syn_recv, SYN_RECV),
	TCPSTATE_STUCK(close_wait, CLOSE_WAIT),
	TCPSTATE_STUCK(fin_wait_2, FIN_WAIT_2),
	TCPSTATE_STUCK(last_ack, LAST_ACK),
};

static int tcpstate_stuck_init(u32 *ms)
{
	unsigned int i;

	BUILD_BUG_ON(ARRAY_SIZE(tcpstate_stuck_params) != TCPSTATE_STUCK_NR);
	for (i = 0; i < ARRAY_SIZE(tcpstate_stuck_params); i++) {
		ms[tcpstate_stuck_params[i].kind] =
			*tcpstate_stuck_params[i].param;
		if (tcpstate_param_check(tcpstate_stuck_params[i].name,
					 *tcpstate_stuck_params[i].param, 0,
					 TCPSTATE_TIMEOUT_MAX_MS))
			return -EINVAL;
	}
	return 0;
}

static int tcpstate_config_init(void)
{
	struct tcpstate_config *c = &tcpstate_config_default;

	c->max_flows = max_flows;
	c->max_listeners = max_listeners;
	c->flood_syn_rate = flood_syn_rate;
	c->flood_half_open = flood_half_open;
	c->max_destinations = max_destinations;
	c->port_pressure_pct = port_pressure_pct;
	tcpstate_shared.max_flows = max_flows_shared;
	tcpstate_shared.max_listeners = max_listeners_shared;
	if (tcpstate_timeouts_init(&c->to) || tcpstate_stuck_init(c->stuck_ms) ||
	    tcpstate_param_check("max_flows", max_flows, 1,
				 TCPSTATE_FLOWS_MAX) ||
	    tcpstate_param_check("max_listeners", max_listeners, 1,
				 TCPSTATE_LISTENERS_MAX) ||
	    tcpstate_param_check("flood_syn_rate", flood_syn_rate, 0,
				 TCPSTATE_FLOOD_MAX) ||
	    tcpstate_param_check("flood_half_open", flood_half_open, 0,
				 TCPSTATE_FLOOD_MAX) ||
	    tcpstate_param_check("max_destinations", max_destinations, 1,
				 TCPSTATE_DESTS_MAX) ||
	    tcpstate_param_check("port_pressure_pct", port_pressure_pct, 0,
				 100) ||
	    tcpstate_param_check("max_flows_shared", max_flows_shared, 1,
				 INT_MAX) ||
	    tcpstate_param_check("max_listeners_shared", max_listeners_shared,
				 1, INT_MAX) ||
	    tcpstate_param_check("gc_interval_ms", tcpstate_gc_interval_ms,
				 TCPSTATE_GC_INTERVAL_MIN_MS,
				 TCPSTATE_GC_INTERVAL_MAX_MS))
		return -EINVAL;
	return 0;
}

/* Every namespace's tcpstate_net, for the leak check in debugfs. */
static LIST_HEAD(tcpstate_nets);
static DEFINE_SPINLOCK(tcpstate_nets_lock);
static struct dentry *tcpstate_debugfs;

/*
 * debugfs tcpstate/objects, for the host's root only: what every
 * namespace holds against what is allocated. At rest the two agree;
 * anything else is a leak.
 */
static int tcpstate_objects_show(struct seq_file *seq, void *v)
{
	struct tcpstate_net *tn;
	u64 flows = 0, listeners = 0;
	u32 namespaces = 0;

	spin_lock_bh(&tcpstate_nets_lock);
	list_for_each_entry(tn, &tcpstate_nets, all) {
		namespaces++;
		flows += tcpstate_flow_count(tn);
		listeners += tcpstate_listener_count(tn);
	}
	spin_unlock_bh(&tcpstate_nets_lock);
	seq_printf(seq, "namespaces %u\n", namespaces);
	seq_printf(seq, "flows %llu\n", flows);
	seq_printf(seq, "flow_objects %ld\n", tcpstate_flow_objects_read());
	seq_printf(seq, "flows_shared %d\n",
		   atomic_read(&tcpstate_shared.flows));
	seq_printf(seq, "listeners %llu\n", listeners);
	seq_printf(seq, "listener_objects %ld\n",
		   tcpstate_listener_objects_read());
	seq_printf(seq, "listeners_shared %d\n",
		   atomic_read(&tcpstate_shared.listeners));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(tcpstate_objects);

/*
 * A namespace's allocations are charged to the memory cgroup of the task
 * that creates it (a container's), also when they happen in softirq. The
 * initial namespace's, and those of namespaces that exist when the module
 * loads, are the host's and not charged.
 */
static void tcpstate_memcg_init(struct tcpstate_net *tn, bool loading)
{
	tn->memcg = NULL;
	if (tn->shared && !loading && current->mm)
		tn->memcg = get_mem_cgroup_from_mm(current->mm);
}

static bool tcpstate_loading;

static int __net_init tcpstate_net_init(struct net *net)
{
	struct tcpstate_net *tn = tcpstate_pernet(net);
	int err;

	tn->net = net;
	tn->shared = !net_eq(net, &init_net);
	tn->cfg = tcpstate_config_default;
	tn->stats = alloc_percpu(struct tcpstate_pcpu_stats);
	if (unlikely(!tn->stats))
		return -ENOMEM;
	tcpstate_memcg_init(tn, READ_ONCE(tcpstate_loading));

	err = tcpstate_listener_net_init(tn);
	if (err)
		goto err_free_stats;
	err = tcpstate_dest_net_init(tn);
	if (err)
		goto err_listeners;
	err = tcpstate_flow_net_init(tn);
	if (err)
		goto err_dests;

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
	/* hooks registered before the one that failed may still be running */
	synchronize_net();
	tcpstate_proc_net_exit(tn);
err_flows:
	tcpstate_flow_net_exit(tn);
err_dests:
	tcpstate_dest_net_exit(tn);
err_listeners:
	tcpstate_listener_net_exit(tn);
err_free_stats:
	mem_cgroup_put(tn->memcg);
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
	tcpstate_dest_net_exit(tn);
	tcpstate_listener_net_exit(tn);
	mem_cgroup_put(tn->memcg);
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
	err = tcpstate_listener_init();
	if (err)
		goto err_flow;
	err = tcpstate_dest_init();
	if (err)
		goto err_listener_cache;

	/* the namespaces that exist now are set up by this task */
	WRITE_ONCE(tcpstate_loading, true);
	err = register_pernet_subsys(&tcpstate_net_ops);
	WRITE_ONCE(tcpstate_loading, false);
	if (err)
		goto err_dest;

	/* after the namespaces' state exists: requests use it at once */
	err = tcpstate_nl_init();
	if (err)
		goto err_pernet;

	/* debugfs is optional: its absence only hides the leak check */
	tcpstate_debugfs = debugfs_create_dir("tcpstate", NULL);
	debugfs_create_file("objects", 0400, tcpstate_debugfs, NULL,
			    &tcpstate_objects_fops);

	pr_info("loaded (flow object %zu bytes)\n", sizeof(struct tcpstate_flow));
	return 0;

err_pernet:
	unregister_pernet_subsys(&tcpstate_net_ops);
err_dest:
	tcpstate_dest_uninit();
err_listener_cache:
	tcpstate_listener_uninit();
err_flow:
	tcpstate_flow_uninit();
	return err;
}

static void __exit tcpstate_exit(void)
{
	debugfs_remove(tcpstate_debugfs);
	tcpstate_nl_uninit();
	unregister_pernet_subsys(&tcpstate_net_ops);
	tcpstate_dest_uninit();
	tcpstate_listener_uninit();
	tcpstate_flow_uninit();
	pr_info("unloaded\n");
}

module_init(tcpstate_init);
module_exit(tcpstate_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Per-flow TCP state of both endpoints, seen from netfilter");
MODULE_AUTHOR("The tcpstate developers");
