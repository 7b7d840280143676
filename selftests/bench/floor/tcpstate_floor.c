// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate_floor: cost floors, for the benchmarks only. It registers the
 * same four hooks as tcpstate, at the same priorities and in every
 * namespace. With lookup=0 they do nothing but count their calls: what
 * any netfilter observer pays before a single header is read. With
 * lookup=1 they also do the least a per-flow tracker can do: read the
 * IPv4 TCP header, find the flow of its canonical 4-tuple with one hash
 * lookup, create it (one allocation, one insertion) on a SYN, and count
 * the segment under the flow's lock. No state machine, no expiry (flows
 * are freed with their namespace), no statistics. profile.sh profiles
 * short connections under both.
 */
#include <linux/ip.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/percpu.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#define TCPSTATE_FLOOR_HOOKS	4

static unsigned int tcpstate_floor_net_id __read_mostly;
static DEFINE_PER_CPU(unsigned long, tcpstate_floor_calls);
static DEFINE_PER_CPU(unsigned long, tcpstate_floor_created);
static DEFINE_PER_CPU(unsigned long, tcpstate_floor_tracked);
static bool tcpstate_floor_lookup __read_mostly;
module_param_named(lookup, tcpstate_floor_lookup, bool, 0444);
MODULE_PARM_DESC(lookup, "Find (and on a SYN create) each segment's flow");

static struct kmem_cache *tcpstate_floor_cache __read_mostly;

struct tcpstate_floor_net {
	struct nf_hook_ops ops[TCPSTATE_FLOOR_HOOKS];
	struct rhashtable flows;
};

/* The lower (address, port) first: both directions have one key. */
struct tcpstate_floor_key {
	__be32 addr[2];
	__be16 port[2];
};

struct tcpstate_floor_flow {
	struct rhash_head node;
	struct tcpstate_floor_key key;
	spinlock_t lock;	/* segs */
	u32 segs;
};

static const struct rhashtable_params tcpstate_floor_params = {
	.head_offset = offsetof(struct tcpstate_floor_flow, node),
	.key_offset = offsetof(struct tcpstate_floor_flow, key),
	.key_len = sizeof(struct tcpstate_floor_key),
	.automatic_shrinking = true,
};

static void tcpstate_floor_key(struct tcpstate_floor_key *k,
			       const struct iphdr *iph,
			       const struct tcphdr *th)
{
	u64 src = (u64)ntohl(iph->saddr) << 16 | ntohs(th->source);
	u64 dst = (u64)ntohl(iph->daddr) << 16 | ntohs(th->dest);
	unsigned int s = src > dst;

	k->addr[s] = iph->saddr;
	k->port[s] = th->source;
	k->addr[s ^ 1] = iph->daddr;
	k->port[s ^ 1] = th->dest;
}

/* On a SYN only; a lost race returns the winner's flow. */
static struct tcpstate_floor_flow *
tcpstate_floor_create(struct tcpstate_floor_net *fn,
		      const struct tcpstate_floor_key *k)
{
	struct tcpstate_floor_flow *flow, *old;

	flow = kmem_cache_alloc(tcpstate_floor_cache, GFP_ATOMIC);
	if (!flow)
		return NULL;
	flow->key = *k;
	spin_lock_init(&flow->lock);
	flow->segs = 0;
	old = rhashtable_lookup_get_insert_fast(&fn->flows, &flow->node,
						tcpstate_floor_params);
	if (old) {
		kmem_cache_free(tcpstate_floor_cache, flow);
		return IS_ERR(old) ? NULL : old;
	}
	this_cpu_inc(tcpstate_floor_created);
	return flow;
}

static void tcpstate_floor_track(struct tcpstate_floor_net *fn,
				 const struct sk_buff *skb)
{
	const struct iphdr *iph = ip_hdr(skb);
	struct tcpstate_floor_flow *flow;
	struct tcpstate_floor_key k;
	const struct tcphdr *th;
	struct tcphdr buf;

	if (iph->protocol != IPPROTO_TCP)
		return;
	th = skb_header_pointer(skb, skb_network_offset(skb) + iph->ihl * 4,
				sizeof(buf), &buf);
	if (!th)
		return;
	tcpstate_floor_key(&k, iph, th);
	flow = rhashtable_lookup(&fn->flows, &k, tcpstate_floor_params);
	if (!flow && th->syn && !th->ack)
		flow = tcpstate_floor_create(fn, &k);
	if (!flow)
		return;
	spin_lock_bh(&flow->lock);
	flow->segs++;
	spin_unlock_bh(&flow->lock);
	this_cpu_inc(tcpstate_floor_tracked);
}

static unsigned int tcpstate_floor_hook(void *priv, struct sk_buff *skb,
					const struct nf_hook_state *state)
{
	this_cpu_inc(tcpstate_floor_calls);
	if (tcpstate_floor_lookup && state->pf == NFPROTO_IPV4)
		tcpstate_floor_track(priv, skb);
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

/* A per-CPU counter's sum: /sys/module/tcpstate_floor/parameters/NAME */
static int tcpstate_floor_sum_get(char *buf, const struct kernel_param *kp)
{
	unsigned long __percpu *v = (unsigned long __force __percpu *)kp->arg;
	unsigned long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(*per_cpu_ptr(v, cpu));
	return sysfs_emit(buf, "%lu\n", sum);
}

static const struct kernel_param_ops tcpstate_floor_sum_ops = {
	.get = tcpstate_floor_sum_get,
};

module_param_cb(calls, &tcpstate_floor_sum_ops,
		(void __force *)&tcpstate_floor_calls, 0444);
MODULE_PARM_DESC(calls, "Hook calls so far");
module_param_cb(created, &tcpstate_floor_sum_ops,
		(void __force *)&tcpstate_floor_created, 0444);
MODULE_PARM_DESC(created, "Flows created so far (lookup=1)");
module_param_cb(tracked, &tcpstate_floor_sum_ops,
		(void __force *)&tcpstate_floor_tracked, 0444);
MODULE_PARM_DESC(tracked, "Segments counted in a flow so far (lookup=1)");

static int __net_init tcpstate_floor_net_init(struct net *net)
{
	struct tcpstate_floor_net *fn = net_generic(net, tcpstate_floor_net_id);

	unsigned int i;
	int err;

	err = rhashtable_init(&fn->flows, &tcpstate_floor_params);
	if (err)
		return err;
	memcpy(fn->ops, tcpstate_floor_ops, sizeof(fn->ops));
	for (i = 0; i < TCPSTATE_FLOOR_HOOKS; i++)
		fn->ops[i].priv = fn;
	err = nf_register_net_hooks(net, fn->ops, TCPSTATE_FLOOR_HOOKS);
	if (err)
		rhashtable_destroy(&fn->flows);
	return err;
}

static void tcpstate_floor_free(void *ptr, void *arg)
{
	kmem_cache_free(tcpstate_floor_cache, ptr);
}

static void __net_exit tcpstate_floor_net_exit(struct net *net)
{
	struct tcpstate_floor_net *fn = net_generic(net, tcpstate_floor_net_id);

	/* Waits for the hooks: nothing reads the table after this. */
	nf_unregister_net_hooks(net, fn->ops, TCPSTATE_FLOOR_HOOKS);
	rhashtable_free_and_destroy(&fn->flows, tcpstate_floor_free, NULL);
}

static struct pernet_operations tcpstate_floor_net_ops = {
	.init = tcpstate_floor_net_init,
	.exit = tcpstate_floor_net_exit,
	.id = &tcpstate_floor_net_id,
	.size = sizeof(struct tcpstate_floor_net),
};

static int __init tcpstate_floor_init(void)
{
	int err;

	tcpstate_floor_cache = KMEM_CACHE(tcpstate_floor_flow,
					  SLAB_HWCACHE_ALIGN);
	if (!tcpstate_floor_cache)
		return -ENOMEM;
	err = register_pernet_subsys(&tcpstate_floor_net_ops);
	if (err)
		kmem_cache_destroy(tcpstate_floor_cache);
	return err;
}

static void __exit tcpstate_floor_exit(void)
{
	unregister_pernet_subsys(&tcpstate_floor_net_ops);
	kmem_cache_destroy(tcpstate_floor_cache);
}

module_init(tcpstate_floor_init);
module_exit(tcpstate_floor_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Benchmark only: netfilter hooks that do (almost) nothing");
