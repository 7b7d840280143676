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
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/tcp.h>

#include "core.h"

/* Ingress after conntrack's defragmentation, before mangle and NAT. */
#define TCPSTATE_PRI_IN		(NF_IP_PRI_CONNTRACK + 1)
#define TCPSTATE_PRI_OUT	NF_IP_PRI_LAST

/* What the hooks learn from one skb. */
struct tcpstate_pkt {
	unsigned int thoff;	/* offset of the TCP header */
	unsigned int payload;	/* TCP payload bytes, all segments */
	unsigned int segs;	/* wire segments this skb stands for */
	struct tcphdr th;
	union tcpstate_addr src, dst;
	u8 family;
};

enum tcpstate_parse {
	TCPSTATE_PARSE_OK,
	TCPSTATE_PARSE_NOT_TCP,
	TCPSTATE_PARSE_FRAGMENT,
	TCPSTATE_PARSE_MALFORMED,
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

static enum tcpstate_parse tcpstate_parse_tcp(const struct sk_buff *skb,
					      struct tcpstate_pkt *pkt)
{
	const struct tcphdr *th;
	unsigned int hlen;

	th = skb_header_pointer(skb, pkt->thoff, sizeof(pkt->th), &pkt->th);
	if (!th)
		return TCPSTATE_PARSE_MALFORMED;
	if (th != &pkt->th)
		pkt->th = *th;

	hlen = pkt->th.doff * 4;
	if (hlen < sizeof(struct tcphdr) || pkt->thoff + hlen > skb->len)
		return TCPSTATE_PARSE_MALFORMED;

	pkt->payload = skb->len - pkt->thoff - hlen;
	pkt->segs = tcpstate_gso_segs(skb, pkt->payload);
	return TCPSTATE_PARSE_OK;
}

static enum tcpstate_parse tcpstate_parse_v4(const struct sk_buff *skb,
					     struct tcpstate_pkt *pkt)
{
	const struct iphdr *iph = ip_hdr(skb);

	if (iph->protocol != IPPROTO_TCP)
		return TCPSTATE_PARSE_NOT_TCP;
	/* A first fragment carries the whole TCP header: it is tracked. */
	if (iph->frag_off & htons(IP_OFFSET))
		return TCPSTATE_PARSE_FRAGMENT;

	pkt->thoff = skb_network_offset(skb) + iph->ihl * 4;
	pkt->family = AF_INET;
	pkt->src.ip = iph->saddr;
	pkt->dst.ip = iph->daddr;
	return tcpstate_parse_tcp(skb, pkt);
}

/* The upper-layer protocol a fragment header at `off` announces. */
static u8 tcpstate_v6_frag_proto(const struct sk_buff *skb, int off)
{
	struct frag_hdr _fh;
	const struct frag_hdr *fh;

	fh = skb_header_pointer(skb, off, sizeof(_fh), &_fh);
	return fh ? fh->nexthdr : NEXTHDR_NONE;
}

static enum tcpstate_parse tcpstate_parse_v6(const struct sk_buff *skb,
					     struct tcpstate_pkt *pkt)
{
	u8 nexthdr = ipv6_hdr(skb)->nexthdr;
	__be16 frag_off = 0;
	int off;

	off = ipv6_skip_exthdr(skb, skb_network_offset(skb) +
			       sizeof(struct ipv6hdr), &nexthdr, &frag_off);
	if (off < 0)
		return nexthdr == IPPROTO_TCP ? TCPSTATE_PARSE_MALFORMED :
						TCPSTATE_PARSE_NOT_TCP;
	/* At a non-first fragment the walk stops on its fragment header. */
	if (nexthdr == NEXTHDR_FRAGMENT && (frag_off & htons(IP6_OFFSET)))
		return tcpstate_v6_frag_proto(skb, off) == IPPROTO_TCP ?
		       TCPSTATE_PARSE_FRAGMENT : TCPSTATE_PARSE_NOT_TCP;
	if (nexthdr != IPPROTO_TCP)
		return TCPSTATE_PARSE_NOT_TCP;

	pkt->thoff = off;
	pkt->family = AF_INET6;
	pkt->src.in6 = ipv6_hdr(skb)->saddr;
	pkt->dst.in6 = ipv6_hdr(skb)->daddr;
	return tcpstate_parse_tcp(skb, pkt);
}

static u32 tcpstate_be32(const u8 *p)
{
	return (u32)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/*
 * The options of a SYN or SYN-ACK: MSS, window scale, SACK, timestamps.
 * Out of line: its buffer would otherwise be zeroed for every segment.
 * Returns false if an option has a bad length, as the kernel's own
 * parser does, parsing stops there and the segment is still tracked.
 */
static noinline bool tcpstate_parse_options(const struct sk_buff *skb,
					    const struct tcpstate_pkt *pkt,
					    struct tcpstate_seg *seg)
{
	unsigned int len = pkt->th.doff * 4 - sizeof(struct tcphdr);
	u8 buf[MAX_TCP_OPTION_SPACE];
	const u8 *opt;
	unsigned int i = 0, olen;

	if (!len)
		return true;
	opt = skb_header_pointer(skb, pkt->thoff + sizeof(struct tcphdr), len,
				 buf);
	if (!opt)
		return false;
	while (i < len) {
		if (opt[i] == TCPOPT_EOL)
			break;
		if (opt[i] == TCPOPT_NOP) {
			i++;
			continue;
		}
		/* A bad length ends parsing; what came before is kept. */
		if (i + 1 >= len || opt[i + 1] < 2 || i + opt[i + 1] > len)
			return false;
		olen = opt[i + 1];
		switch (opt[i]) {
		case TCPOPT_MSS:
			if (olen == TCPOLEN_MSS) {
				seg->mss = opt[i + 2] << 8 | opt[i + 3];
				seg->opt |= TCPSTATE_OPT_MSS;
			}
			break;
		case TCPOPT_WINDOW:
			if (olen == TCPOLEN_WINDOW) {
				seg->wscale = opt[i + 2];
				seg->opt |= TCPSTATE_OPT_WSCALE;
			}
			break;
		case TCPOPT_SACK_PERM:
			if (olen == TCPOLEN_SACK_PERM)
				seg->opt |= TCPSTATE_OPT_SACK_PERM;
			break;
		case TCPOPT_TIMESTAMP:
			if (olen == TCPOLEN_TIMESTAMP) {
				seg->tsval = tcpstate_be32(opt + i + 2);
				seg->tsecr = tcpstate_be32(opt + i + 6);
				seg->opt |= TCPSTATE_OPT_TS;
			}
			break;
		}
		i += olen;
	}
	return true;
}

/* <0, 0, >0 as the source address sorts before, equal to, after the dest. */
static int tcpstate_addr_cmp(const struct tcpstate_pkt *pkt)
{
	unsigned int i;

	if (pkt->family == AF_INET)
		return (int)(ntohl(pkt->src.ip) > ntohl(pkt->dst.ip)) -
		       (int)(ntohl(pkt->src.ip) < ntohl(pkt->dst.ip));
	for (i = 0; i < 4; i++) {
		u32 a = ntohl(pkt->src.in6.s6_addr32[i]);
		u32 b = ntohl(pkt->dst.in6.s6_addr32[i]);

		if (a != b)
			return a < b ? -1 : 1;
	}
	return 0;
}

/*
 * The canonical key: the lower (address, port) is side 0. Returns the
 * side that sent this segment.
 */
static unsigned int tcpstate_key_build(const struct tcpstate_pkt *pkt,
				       struct tcpstate_key *key)
{
	int cmp = tcpstate_addr_cmp(pkt);
	unsigned int side;

	side = cmp > 0 || (!cmp && ntohs(pkt->th.source) > ntohs(pkt->th.dest));
	memset(key, 0, sizeof(*key));
	key->family = pkt->family;
	if (pkt->family == AF_INET) {
		key->addr[side].ip = pkt->src.ip;
		key->addr[side ^ 1].ip = pkt->dst.ip;
	} else {
		key->addr[side] = pkt->src;
		key->addr[side ^ 1] = pkt->dst;
	}
	key->port[side] = pkt->th.source;
	key->port[side ^ 1] = pkt->th.dest;
	return side;
}

/* Hand one parsed segment to the flow table, keyed canonically. */
static void tcpstate_track(struct tcpstate_net *tn, const struct sk_buff *skb,
			   const struct tcpstate_pkt *pkt)
{
	struct tcpstate_seg seg = {
		.tstamp = ktime_get_ns(),
		.seq = ntohl(pkt->th.seq),
		.ack = ntohl(pkt->th.ack_seq),
		.len = pkt->payload,
		.win = ntohs(pkt->th.window),
		.pkts = min_t(unsigned int, pkt->segs, U16_MAX),
		.flags = tcp_flag_byte(&pkt->th),
	};
	struct tcpstate_key key;
	unsigned int side;

	if (pkt->th.syn && !tcpstate_parse_options(skb, pkt, &seg))
		tcpstate_stat_inc(tn, TCPSTATE_STAT_BAD_OPTIONS);
	side = tcpstate_key_build(pkt, &key);
	tcpstate_flow_segment(tn, &key, side, &seg);
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

static void tcpstate_count(struct tcpstate_net *tn,
			   const struct nf_hook_state *state,
			   const struct tcpstate_pkt *pkt)
{
	bool in = state->hook == NF_INET_PRE_ROUTING;

	tcpstate_stat_add(tn, TCPSTATE_STAT_SEGMENTS, pkt->segs);
	tcpstate_stat_add(tn, in ? TCPSTATE_STAT_SEGMENTS_IN :
			  TCPSTATE_STAT_SEGMENTS_OUT, pkt->segs);
	tcpstate_stat_add(tn, state->pf == NFPROTO_IPV4 ?
			  TCPSTATE_STAT_SEGMENTS_IPV4 :
			  TCPSTATE_STAT_SEGMENTS_IPV6, pkt->segs);
	tcpstate_stat_add(tn, TCPSTATE_STAT_SKBS, 1);
	if (pkt->th.rst)
		tcpstate_stat_add(tn, in ? TCPSTATE_STAT_RSTS_IN :
				  TCPSTATE_STAT_RSTS_OUT, 1);
	if (pkt->segs > 1)
		tcpstate_stat_add(tn, TCPSTATE_STAT_GSO_SKBS, 1);
}

static unsigned int tcpstate_hook(void *priv, struct sk_buff *skb,
				  const struct nf_hook_state *state)
{
	struct tcpstate_net *tn;
	struct tcpstate_pkt pkt;
	enum tcpstate_parse ret;

	if (tcpstate_seen_elsewhere(skb, state))
		return NF_ACCEPT;

	if (state->pf == NFPROTO_IPV4)
		ret = tcpstate_parse_v4(skb, &pkt);
	else
		ret = tcpstate_parse_v6(skb, &pkt);

	tn = tcpstate_pernet(state->net);
	switch (ret) {
	case TCPSTATE_PARSE_OK:
		tcpstate_count(tn, state, &pkt);
		tcpstate_track(tn, skb, &pkt);
		break;
	case TCPSTATE_PARSE_FRAGMENT:
		tcpstate_stat_add(tn, TCPSTATE_STAT_FRAGMENTS, 1);
		break;
	case TCPSTATE_PARSE_MALFORMED:
		tcpstate_stat_add(tn, TCPSTATE_STAT_MALFORMED, 1);
		net_dbg_ratelimited("malformed TCP header from %s\n",
				    state->in ? state->in->name : "local");
		break;
	case TCPSTATE_PARSE_NOT_TCP:
		break;
	}
	return NF_ACCEPT;
}

static const struct nf_hook_ops tcpstate_hook_ops[] = {
	{
		.hook = tcpstate_hook,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = TCPSTATE_PRI_IN,
	},
	{
		.hook = tcpstate_hook,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = TCPSTATE_PRI_OUT,
	},
	{
		.hook = tcpstate_hook,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = TCPSTATE_PRI_IN,
	},
	{
		.hook = tcpstate_hook,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = TCPSTATE_PRI_OUT,
	},
};

int tcpstate_hook_net_init(struct net *net)
{
	return nf_register_net_hooks(net, tcpstate_hook_ops,
				     ARRAY_SIZE(tcpstate_hook_ops));
}

void tcpstate_hook_net_exit(struct net *net)
{
	nf_unregister_net_hooks(net, tcpstate_hook_ops,
				ARRAY_SIZE(tcpstate_hook_ops));
}
