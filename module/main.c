// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate: per-flow TCP state of both endpoints, seen from netfilter.
 *
 * main.c: init/exit and per-namespace setup (the parameters are
 * config.c's).
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
#include "netlink.h"

unsigned int tcpstate_net_id __read_mostly;

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
