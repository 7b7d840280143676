// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate_floor: the cost floor of any netfilter observer, for the
 * benchmarks only. It registers the same four hooks as tcpstate, at the
 * same priorities and in every namespace, and they do nothing but count
 * their calls. Profiling short connections with it loaded measures what
 * being called costs before a single header is read (profile.sh).
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/percpu.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#define TCPSTATE_FLOOR_HOOKS	4

static unsigned int tcpstate_floor_net_id __read_mostly;
static DEFINE_PER_CPU(unsigned long, tcpstate_floor_calls);

struct tcpstate_floor_net {
	struct nf_hook_ops ops[TCPSTATE_FLOOR_HOOKS];
};

static unsigned int tcpstate_floor_hook(void *priv, struct sk_buff *skb,
					const struct nf_hook_state *state)
{
	this_cpu_inc(tcpstate_floor_calls);
	return NF_ACCEPT;
}

/* As module/hook.c registers them. */
static const struct nf_hook_ops tcpstate_floor_ops[TCPSTATE_FLOOR_HOOKS] = {
	{
		.hook = tcpstate_floor_hook,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP_PRI_CONNTRACK + 1,
	},
	{
		.hook = tcpstate_floor_hook,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = NF_IP_PRI_LAST,
	},
	{
		.hook = tcpstate_floor_hook,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP6_PRI_CONNTRACK + 1,
	},
	{
		.hook = tcpstate_floor_hook,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = NF_IP6_PRI_LAST,
	},
};

/* The calls so far, all CPUs: /sys/module/tcpstate_floor/parameters/calls */
static int tcpstate_floor_calls_get(char *buf, const struct kernel_param *kp)
{
	unsigned long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(*per_cpu_ptr(&tcpstate_floor_calls, cpu));
	return sysfs_emit(buf, "%lu\n", sum);
}

static const struct kernel_param_ops tcpstate_floor_calls_ops = {
	.get = tcpstate_floor_calls_get,
};

module_param_cb(calls, &tcpstate_floor_calls_ops, NULL, 0444);
MODULE_PARM_DESC(calls, "Hook calls so far");

static int __net_init tcpstate_floor_net_init(struct net *net)
{
	struct tcpstate_floor_net *fn = net_generic(net, tcpstate_floor_net_id);

	memcpy(fn->ops, tcpstate_floor_ops, sizeof(fn->ops));
	return nf_register_net_hooks(net, fn->ops, TCPSTATE_FLOOR_HOOKS);
}

static void __net_exit tcpstate_floor_net_exit(struct net *net)
{
	struct tcpstate_floor_net *fn = net_generic(net, tcpstate_floor_net_id);

	nf_unregister_net_hooks(net, fn->ops, TCPSTATE_FLOOR_HOOKS);
}

static struct pernet_operations tcpstate_floor_net_ops = {
	.init = tcpstate_floor_net_init,
	.exit = tcpstate_floor_net_exit,
	.id = &tcpstate_floor_net_id,
	.size = sizeof(struct tcpstate_floor_net),
};

static int __init tcpstate_floor_init(void)
{
	return register_pernet_subsys(&tcpstate_floor_net_ops);
}

static void __exit tcpstate_floor_exit(void)
{
	unregister_pernet_subsys(&tcpstate_floor_net_ops);
}

module_init(tcpstate_floor_init);
module_exit(tcpstate_floor_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Benchmark only: netfilter hooks that do nothing");
