// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate: per-flow TCP state of both endpoints, seen from netfilter.
 *
 * main.c: module init/exit and per-namespace setup.
 */
#include <linux/module.h>
#include <linux/percpu.h>
#include <net/net_namespace.h>

#include "core.h"

unsigned int tcpstate_net_id __read_mostly;

static const char * const tcpstate_stat_names[TCPSTATE_STAT_NR] = {
	[TCPSTATE_STAT_SEGMENTS] = "segments",
	[TCPSTATE_STAT_SEGMENTS_IN] = "segments_in",
	[TCPSTATE_STAT_SEGMENTS_OUT] = "segments_out",
	[TCPSTATE_STAT_SEGMENTS_IPV4] = "segments_ipv4",
	[TCPSTATE_STAT_SEGMENTS_IPV6] = "segments_ipv6",
	[TCPSTATE_STAT_SKBS] = "skbs",
	[TCPSTATE_STAT_GSO_SKBS] = "gso_skbs",
	[TCPSTATE_STAT_FRAGMENTS] = "fragments",
	[TCPSTATE_STAT_MALFORMED] = "malformed",
};

const char *tcpstate_stat_name(enum tcpstate_stat stat)
{
	return tcpstate_stat_names[stat];
}

u64 tcpstate_stat_read(const struct tcpstate_net *tn, enum tcpstate_stat stat)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(tn->stats, cpu)->v[stat]);
	return sum;
}

static int __net_init tcpstate_net_init(struct net *net)
{
	struct tcpstate_net *tn = tcpstate_pernet(net);
	int err;

	tn->net = net;
	tn->stats = alloc_percpu(struct tcpstate_pcpu_stats);
	if (unlikely(!tn->stats))
		return -ENOMEM;

	err = tcpstate_proc_net_init(tn);
	if (err)
		goto err_free_stats;

	err = tcpstate_hook_net_init(net);
	if (err)
		goto err_proc;

	pr_debug("netns %u created\n", net->ns.inum);
	return 0;

err_proc:
	tcpstate_proc_net_exit(tn);
err_free_stats:
	free_percpu(tn->stats);
	return err;
}

static void __net_exit tcpstate_net_exit(struct net *net)
{
	struct tcpstate_net *tn = tcpstate_pernet(net);

	tcpstate_hook_net_exit(net);
	tcpstate_proc_net_exit(tn);
	free_percpu(tn->stats);
	pr_debug("netns %u destroyed\n", net->ns.inum);
}

static struct pernet_operations tcpstate_net_ops = {
	.init = tcpstate_net_init,
	.exit = tcpstate_net_exit,
	.id = &tcpstate_net_id,
	.size = sizeof(struct tcpstate_net),
};

static int __init tcpstate_init(void)
{
	int err;

	err = register_pernet_subsys(&tcpstate_net_ops);
	if (err)
		return err;

	pr_info("loaded\n");
	return 0;
}

static void __exit tcpstate_exit(void)
{
	unregister_pernet_subsys(&tcpstate_net_ops);
	pr_info("unloaded\n");
}

module_init(tcpstate_init);
module_exit(tcpstate_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Per-flow TCP state of both endpoints, seen from netfilter");
MODULE_AUTHOR("The tcpstate developers");
