// SPDX-License-Identifier: GPL-2.0
/*
 * hook.c: netfilter hooks. Turns an skb into a segment description and
 * hands it on; no state logic lives here.
 *
 * Every segment is seen once per namespace: on the way in at PRE_ROUTING
 * (before NAT) unless it arrives on a loopback device, where it was already
 * seen leaving; on the way out at POST_ROUTING (after NAT and filtering)
 * unless it is being forwarded, where it was already seen arriving.
 * The hooks only read the skb and always return NF_ACCEPT.
 */
#include <linux/error-injection.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ipv6.h>
#include <net/tcp.h>

#include "core.h"

/* Ingress after conntrack's defragmentation, before mangle and NAT. */
#define TCPSTATE_PRI_IN		(NF_IP_PRI_CONNTRACK + 1)
#define TCPSTATE_PRI_OUT	NF_IP_PRI_LAST

/*
 * One skb, as the hooks see it: the canonical flow key and the segment.
 * Every field is written before use, so the stack copy is not zeroed
 * first: zeroing it would cost a tenth of the hook.
 */
struct tcpstate_pkt {
	struct tcpstate_key key;
	struct tcpstate_seg seg;
	struct tcphdr th_buf;	/* the header, if not in the linear data */
};

static unsigned int tcpstate_gso_segs(const struct sk_buff *skb,
				      unsigned int payload)
{
	const struct skb_shared_info *shinfo = skb_shinfo(skb);

	if (!skb_is_gso(skb))
		return 1;
	if (shinfo->gso_segs)
		return shinfo->gso_segs;
	/* gso_segs is filled in lazily on some paths; derive it. */
	return max_t(unsigned int, 1, DIV_ROUND_UP(payload, shinfo->gso_size));
}

/*
 * The options of a SYN or SYN-ACK (tcpstate_parse_options()). Out of line:
 * its buffer would otherwise be zeroed for every segment.
 */
static noinline bool tcpstate_skb_options(const struct sk_buff *skb,
					  unsigned int off, unsigned int len,
					  struct tcpstate_seg *seg)
{
	u8 buf[MAX_TCP_OPTION_SPACE];
	const u8 *opt;

	opt = skb_header_pointer(skb, off, len, buf);
	return opt && tcpstate_parse_options(opt, len, seg);
}

/*
 * The TCP header at `thoff`, its flags and sequence numbers into the
 * segment. Returns the header, or NULL if it is truncated or its data
 * offset is impossible; *hlen is its length.
 */
static __always_inline const struct tcphdr *
tcpstate_parse_tcp(const struct sk_buff *skb, unsigned int thoff,
		   struct tcpstate_pkt *pkt, unsigned int *hlen)
{
	struct tcpstate_seg *seg = &pkt->seg;
	const struct tcphdr *th;
	unsigned int payload;

	th = skb_header_pointer(skb, thoff, sizeof(*th), &pkt->th_buf);
	if (unlikely(!th))
		return NULL;
	*hlen = th->doff * 4;
	if (unlikely(*hlen < sizeof(*th) || thoff + *hlen > skb->len))
		return NULL;

	payload = skb->len - thoff - *hlen;
	seg->tstamp = 0;	/* read by the flow table, if it needs it */
	seg->seq = ntohl(th->seq);
	seg->ack = ntohl(th->ack_seq);
	seg->len = payload;
	seg->win = ntohs(th->window);
	seg->pkts = min_t(unsigned int, tcpstate_gso_segs(skb, payload),
			  U16_MAX);
	seg->dir = 0;
	seg->flags = tcp_flag_byte(th);
	seg->opt = 0;
	seg->wscale = 0;
	seg->sflags = 0;
	return th;
}

/*
 * Who sent a SYN-ACK this host sends. The kernel attaches it to its
 * request socket (or, for Fast Open, to the child) and a SYN cookie's to
 * none (tcp_make_synack()). The skb holds the request socket, and the
 * request its listener.
 */
static u8 tcpstate_synack_sock(const struct sk_buff *skb)
{
	if (!skb->sk)
		return TCPSTATE_SEG_NO_SOCK;
	if (READ_ONCE(skb->sk->sk_state) != TCP_NEW_SYN_RECV)
		return 0;
	if (tcpstate_sock_req_refused(skb->sk))
		return TCPSTATE_SEG_REQ | TCPSTATE_SEG_REQ_FULL;
	return TCPSTATE_SEG_REQ;
}

/*
 * What a SYN or SYN-ACK says beyond its header: its options, and for a
 * SYN-ACK this host sends, what sent it.
 */
static noinline void tcpstate_syn(struct tcpstate_net *tn,
				  const struct sk_buff *skb,
				  const struct nf_hook_state *state,
				  unsigned int thoff, unsigned int hlen,
				  struct tcpstate_seg *seg)
{
	if (hlen > sizeof(struct tcphdr) &&
	    !tcpstate_skb_options(skb, thoff + sizeof(struct tcphdr),
				  hlen - sizeof(struct tcphdr), seg))
		tcpstate_stat_inc(tn, TCPSTATE_STAT_BAD_OPTIONS);
	if ((seg->flags & TCPSTATE_TH_ACK) &&
	    state->hook == NF_INET_POST_ROUTING)
		seg->sflags |= tcpstate_synack_sock(skb);
}

static bool tcpstate_seen_elsewhere(const struct sk_buff *skb,
				    const struct nf_hook_state *state)
{
	if (state->hook == NF_INET_PRE_ROUTING)
		return state->in && (state->in->flags & IFF_LOOPBACK);
	/*
	 * POST_ROUTING: a forwarded skb remembers the device it came in on;
	 * one built on this host (sockets, RSTs, SYN-ACKs) has none.
	 */
	return skb->skb_iif != 0;
}

/* The counters every segment moves; `segments` is their sum, on read. */
static __always_inline void
tcpstate_count(struct tcpstate_net *tn, const struct nf_hook_state *state,
	       const struct tcpstate_seg *seg, bool ipv4)
{
	struct tcpstate_pcpu_stats __percpu *st = tn->stats;
	bool in = state->hook == NF_INET_PRE_ROUTING;

	this_cpu_add(st->v[in ? TCPSTATE_STAT_SEGMENTS_IN :
			   TCPSTATE_STAT_SEGMENTS_OUT], seg->pkts);
	this_cpu_add(st->v[ipv4 ? TCPSTATE_STAT_SEGMENTS_IPV4 :
			   TCPSTATE_STAT_SEGMENTS_IPV6], seg->pkts);
	this_cpu_inc(st->v[TCPSTATE_STAT_SKBS]);
	if (unlikely(seg->flags & TCPSTATE_TH_RST))
		this_cpu_inc(st->v[in ? TCPSTATE_STAT_RSTS_IN :
				   TCPSTATE_STAT_RSTS_OUT]);
	if (seg->pkts > 1)
		this_cpu_inc(st->v[TCPSTATE_STAT_GSO_SKBS]);
}

/* The canonical key of the segment; returns the side the source is. */
static __always_inline unsigned int
tcpstate_key(struct tcpstate_key *key, const struct iphdr *iph,
	     const struct ipv6hdr *ip6h, const struct tcphdr *th)
{
	memset(key, 0, sizeof(*key));
	if (iph) {
		key->family = AF_INET;
		key->addr[0].ip = iph->saddr;
		key->addr[1].ip = iph->daddr;
	} else {
		key->family = AF_INET6;
		key->addr[0].in6 = ip6h->saddr;
		key->addr[1].in6 = ip6h->daddr;
	}
	key->port[0] = th->source;
	key->port[1] = th->dest;
	return tcpstate_key_canon(key);
}

/*
 * Whether an arriving segment's TCP checksum is wrong, as nf_conntrack
 * checks it (nf_conntrack_checksum): the stack will drop such a segment,
 * and a forger who cannot be bothered to checksum should not make flows.
 * Free when the device or the sender vouched for it; else the sum is
 * computed here, reading the skb only (nf_checksum() would write its
 * checksum state).
 */
static noinline bool tcpstate_csum_bad(const struct sk_buff *skb,
				       unsigned int thoff,
				       const struct iphdr *iph,
				       const struct ipv6hdr *ip6h)
{
	unsigned int len = skb->len - thoff;
	__wsum csum;

	if (skb->ip_summed == CHECKSUM_COMPLETE) {
		/* skb->csum covers the IP header too: take it out */
		csum = csum_sub(skb->csum,
				skb_checksum(skb, skb_network_offset(skb),
					     thoff - skb_network_offset(skb), 0));
	} else {
		csum = skb_checksum(skb, thoff, len, 0);
	}
	if (iph)
		return csum_tcpudp_magic(iph->saddr, iph->daddr, len,
					 IPPROTO_TCP, csum);
	return csum_ipv6_magic(&ip6h->saddr, &ip6h->daddr, len, IPPROTO_TCP,
			       csum);
}

static __always_inline bool
tcpstate_csum_check(const struct sk_buff *skb,
		    const struct nf_hook_state *state)
{
	return state->hook == NF_INET_PRE_ROUTING && !skb_csum_unnecessary(skb);
}

/*
 * The TCP segment at `thoff` of a whole IPv4 (iph) or IPv6 (ip6h)
 * datagram. Inlined into each hook, so that the IPv4 path has no IPv6
 * branches.
 */
static __always_inline void
tcpstate_segment(struct tcpstate_net *tn, struct sk_buff *skb,
		 const struct nf_hook_state *state, unsigned int thoff,
		 const struct iphdr *iph, const struct ipv6hdr *ip6h)
{
	struct tcpstate_pkt pkt __uninitialized;
	const struct tcphdr *th;
	unsigned int hlen, side;

	th = tcpstate_parse_tcp(skb, thoff, &pkt, &hlen);
	if (unlikely(!th)) {
		tcpstate_stat_inc(tn, TCPSTATE_STAT_MALFORMED);
		net_dbg_ratelimited("malformed TCP header from %s\n",
				    state->in ? state->in->name : "local");
		return;
	}
	if (unlikely(pkt.seg.flags & TCPSTATE_TH_SYN))
		tcpstate_syn(tn, skb, state, thoff, hlen, &pkt.seg);
	tcpstate_count(tn, state, &pkt.seg, !!iph);
	if (unlikely(tcpstate_csum_check(skb, state)) &&
	    tcpstate_csum_bad(skb, thoff, iph, ip6h)) {
		tcpstate_stat_inc(tn, TCPSTATE_STAT_BAD_CHECKSUM);
		return;
	}
	side = tcpstate_key(&pkt.key, iph, ip6h, th);
	tcpstate_flow_segment(tn, &pkt.key, side, &pkt.seg,
			      state->hook == NF_INET_POST_ROUTING ? skb->sk :
			      NULL);
}

/*
 * A fragment, first or not, is counted and not tracked: the segment it
 * carries cannot be seen whole without reassembly, which would change
 * what the host forwards. Where nf_conntrack's defragmentation runs
 * first, the hook sees the reassembled datagram and tracks it.
 */
static unsigned int tcpstate_hook_v4(void *priv, struct sk_buff *skb,
				     const struct nf_hook_state *state)
{
	struct tcpstate_net *tn = priv;
	const struct iphdr *iph = ip_hdr(skb);

	if (iph->protocol != IPPROTO_TCP || tcpstate_seen_elsewhere(skb, state))
		return NF_ACCEPT;
	if (unlikely(iph->frag_off & htons(IP_OFFSET | IP_MF))) {
		tcpstate_stat_inc(tn, TCPSTATE_STAT_FRAGMENTS);
		return NF_ACCEPT;
	}
	tcpstate_segment(tn, skb, state, skb_network_offset(skb) + iph->ihl * 4,
			 iph, NULL);
	return NF_ACCEPT;
}

/* The upper-layer protocol a fragment header at `off` announces. */
static u8 tcpstate_v6_frag_proto(const struct sk_buff *skb, int off)
{
	struct frag_hdr _fh;
	const struct frag_hdr *fh;

	fh = skb_header_pointer(skb, off, sizeof(_fh), &_fh);
	return fh ? fh->nexthdr : NEXTHDR_NONE;
}

/*
 * Where the TCP header starts, or -1 (not TCP), -2 (fragment), -3 (bad).
 * An atomic fragment (offset 0, no more to come) is a whole datagram.
 */
static int tcpstate_v6_thoff(const struct sk_buff *skb)
{
	u8 nexthdr = ipv6_hdr(skb)->nexthdr;
	__be16 frag_off = 0;
	int off;

	if (likely(nexthdr == IPPROTO_TCP))
		return skb_network_offset(skb) + sizeof(struct ipv6hdr);
	off = ipv6_skip_exthdr(skb, skb_network_offset(skb) +
			       sizeof(struct ipv6hdr), &nexthdr, &frag_off);
	/* A chain that ends before its last header (not "no next header") */
	if (off < 0)
		return nexthdr == NEXTHDR_NONE ? -1 : -3;
	/* At a non-first fragment the walk stops on its fragment header. */
	if (nexthdr == NEXTHDR_FRAGMENT && (frag_off & htons(IP6_OFFSET)))
		return tcpstate_v6_frag_proto(skb, off) == IPPROTO_TCP ? -2 : -1;
	if (nexthdr != IPPROTO_TCP)
		return -1;
	/* a first fragment: offset 0, more to come */
	if (frag_off & htons(IP6_MF))
		return -2;
	return off;
}

static unsigned int tcpstate_hook_v6(void *priv, struct sk_buff *skb,
				     const struct nf_hook_state *state)
{
	struct tcpstate_net *tn = priv;
	int thoff;

	if (tcpstate_seen_elsewhere(skb, state))
		return NF_ACCEPT;
	thoff = tcpstate_v6_thoff(skb);
	if (thoff < 0) {
		if (thoff == -2)
			tcpstate_stat_inc(tn, TCPSTATE_STAT_FRAGMENTS);
		else if (thoff == -3)
			tcpstate_stat_inc(tn, TCPSTATE_STAT_MALFORMED);
		return NF_ACCEPT;
	}
	tcpstate_segment(tn, skb, state, thoff, NULL, ipv6_hdr(skb));
	return NF_ACCEPT;
}

/*
 * Each namespace registers its own copy, whose priv is its tcpstate_net:
 * the hooks need no per-packet lookup of the namespace's state.
 */
static const struct nf_hook_ops tcpstate_hook_ops[TCPSTATE_HOOKS] = {
	{
		.hook = tcpstate_hook_v4,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = TCPSTATE_PRI_IN,
	},
	{
		.hook = tcpstate_hook_v4,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = TCPSTATE_PRI_OUT,
	},
	{
		.hook = tcpstate_hook_v6,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = TCPSTATE_PRI_IN,
	},
	{
		.hook = tcpstate_hook_v6,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = TCPSTATE_PRI_OUT,
	},
};

/* One family's two hooks; tests make it fail with fail_function. */
static noinline __noclone int
tcpstate_hook_register(struct net *net, const struct nf_hook_ops *ops)
{
	return nf_register_net_hooks(net, ops, 2);
}

ALLOW_ERROR_INJECTION(tcpstate_hook_register, ERRNO);

/*
 * IPv4, then IPv6. If IPv6 fails, the IPv4 hooks were live meanwhile:
 * the caller waits for them to finish (synchronize_net) before it frees
 * what they use.
 */
int tcpstate_hook_net_init(struct tcpstate_net *tn)
{
	unsigned int i;
	int err;

	BUILD_BUG_ON(TCPSTATE_HOOKS != 4);
	for (i = 0; i < TCPSTATE_HOOKS; i++) {
		tn->hook_ops[i] = tcpstate_hook_ops[i];
		tn->hook_ops[i].priv = tn;
	}
	err = tcpstate_hook_register(tn->net, &tn->hook_ops[0]);
	if (err)
		return err;
	err = tcpstate_hook_register(tn->net, &tn->hook_ops[2]);
	if (err)
		nf_unregister_net_hooks(tn->net, &tn->hook_ops[0], 2);
	return err;
}

void tcpstate_hook_net_exit(struct tcpstate_net *tn)
{
	nf_unregister_net_hooks(tn->net, tn->hook_ops, TCPSTATE_HOOKS);
}
