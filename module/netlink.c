// SPDX-License-Identifier: GPL-2.0
/*
 * netlink.c: the generic netlink family "tcpstate", as spec/tcpstate.yaml
 * describes it: stats and config of the caller's namespace, flow and
 * listener dumps, config set and flush, and the "events" multicast group.
 *
 * Every op validates strictly against its own policy. Flow and listener
 * contents, events and writes need CAP_NET_ADMIN in the user namespace
 * owning the network namespace (GENL_UNS_ADMIN_PERM); stats and config
 * are readable by anyone.
 *
 * The flow dump walks the rhashtable with an iterator kept between
 * messages. When it resumes, the walker finds the flow it stopped at
 * again; if that flow ended meanwhile, it goes back to the start of its
 * bucket (tcpstate_walk_start): a flow present for the whole dump is
 * listed, some maybe twice. If the table was resized, the walk starts
 * over and the dump is flagged NLM_F_DUMP_INTR.
 */
#include <linux/error-injection.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/mutex.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "core.h"
#include "event.h"
#include "netlink.h"

enum tcpstate_nl_group {
	TCPSTATE_NLGRP_EVENTS,
};

static const struct genl_multicast_group tcpstate_nl_mcgrps[] = {
	[TCPSTATE_NLGRP_EVENTS] = {
		.name = TCPSTATE_MCGRP_EVENTS,
		.flags = GENL_MCAST_CAP_NET_ADMIN,
	},
};

static struct genl_family tcpstate_nl_family;
/* Serialises config set: all checks against the values, then all writes. */
static DEFINE_MUTEX(tcpstate_nl_config_mutex);

/* Room for an end-of-flow record: every flow attribute, with padding. */
#define TCPSTATE_NL_EVENT_SIZE	768

/*
 * ---- policies ----
 *
 * The policies and the op table are spec/tcpstate.yaml's, kept by hand in
 * this one place: the kernel's generator (ynl-gen-c of 6.12) writes them
 * as genl_split_ops, which 6.1 lacks; its per-op form needs one policy
 * for a do and a dump (flow get has two) and a request list for every do;
 * and in either form it cannot bound a binary attribute's length (the
 * addresses: at most 16 bytes) and types big-endian ports NLA_U16.
 */

static const struct nla_policy tcpstate_nl_filter_policy[] = {
	[TCPSTATE_A_FILTER_FAMILY] = { .type = NLA_U8 },
	[TCPSTATE_A_FILTER_STATES] = { .type = NLA_U32 },
	[TCPSTATE_A_FILTER_STATE_SIDE] =
		NLA_POLICY_MAX(NLA_U8, TCPSTATE_SIDE_SERVER),
	[TCPSTATE_A_FILTER_CONN_STATES] = { .type = NLA_U32 },
	[TCPSTATE_A_FILTER_ADDR] = { .type = NLA_BINARY, .len = 16 },
	[TCPSTATE_A_FILTER_CLIENT_ADDR] = { .type = NLA_BINARY, .len = 16 },
	[TCPSTATE_A_FILTER_SERVER_ADDR] = { .type = NLA_BINARY, .len = 16 },
	[TCPSTATE_A_FILTER_PORT] = { .type = NLA_BE16 },
	[TCPSTATE_A_FILTER_CLIENT_PORT] = { .type = NLA_BE16 },
	[TCPSTATE_A_FILTER_SERVER_PORT] = { .type = NLA_BE16 },
	[TCPSTATE_A_FILTER_LISTENER] = { .type = NLA_FLAG },
	[TCPSTATE_A_FILTER_STUCK] = { .type = NLA_FLAG },
};

/* flow get: the tuple for a do, the filter nest for a dump */
static const struct nla_policy tcpstate_nl_flow_get_policy[] = {
	[TCPSTATE_A_FLOW_FAMILY] = { .type = NLA_U8 },
	[TCPSTATE_A_FLOW_CLIENT_ADDR] = { .type = NLA_BINARY, .len = 16 },
	[TCPSTATE_A_FLOW_CLIENT_PORT] = { .type = NLA_BE16 },
	[TCPSTATE_A_FLOW_SERVER_ADDR] = { .type = NLA_BINARY, .len = 16 },
	[TCPSTATE_A_FLOW_SERVER_PORT] = { .type = NLA_BE16 },
	[TCPSTATE_A_FLOW_FILTER] =
		NLA_POLICY_NESTED(tcpstate_nl_filter_policy),
};

/* Every setting is a u32; config.c holds their bounds. */
static const struct nla_policy tcpstate_nl_config_policy[] = {
	[1 ... TCPSTATE_A_CONFIG_MAX] = { .type = NLA_U32 },
};

/* ---- helpers ---- */

static struct tcpstate_net *tcpstate_nl_net(struct sk_buff *skb)
{
	return tcpstate_pernet(sock_net(skb->sk));
}

/* Every message the family builds; tests make it fail (fail_function). */
static noinline __noclone struct sk_buff *
tcpstate_nl_msg_new(size_t size, gfp_t gfp)
{
	return genlmsg_new(size, gfp);
}

ALLOW_ERROR_INJECTION(tcpstate_nl_msg_new, NULL);

static void *tcpstate_nl_put_reply(struct sk_buff **msg,
				   struct genl_info *info)
{
	void *hdr;

	*msg = tcpstate_nl_msg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!*msg)
		return NULL;
	hdr = genlmsg_put_reply(*msg, info, &tcpstate_nl_family, 0,
				info->genlhdr->cmd);
	if (!hdr)
		nlmsg_free(*msg);
	return hdr;
}

static int tcpstate_nl_addr_len(u8 family)
{
	return family == AF_INET ? sizeof(__be32) : sizeof(struct in6_addr);
}

static int tcpstate_nl_put_addr(struct sk_buff *skb, int type, u8 family,
				const union tcpstate_addr *a)
{
	return nla_put(skb, type, tcpstate_nl_addr_len(family), a);
}

/* An address attribute of the request, checked against the family. */
static int tcpstate_nl_get_addr(const struct nlattr *nla, u8 family,
				union tcpstate_addr *a,
				struct netlink_ext_ack *extack)
{
	if (!family) {
		NL_SET_ERR_MSG_ATTR(extack, nla,
				    "an address needs the family attribute");
		return -EINVAL;
	}
	if (nla_len(nla) != tcpstate_nl_addr_len(family)) {
		NL_SET_ERR_MSG_ATTR(extack, nla,
				    "address length does not match the family (4 bytes for AF_INET, 16 for AF_INET6)");
		return -EINVAL;
	}
	memset(a, 0, sizeof(*a));
	memcpy(a, nla_data(nla), nla_len(nla));
	return 0;
}

static int tcpstate_nl_get_family(const struct nlattr *nla, u8 *family,
				  struct netlink_ext_ack *extack)
{
	*family = 0;
	if (!nla)
		return 0;
	*family = nla_get_u8(nla);
	if (*family != AF_INET && *family != AF_INET6) {
		NL_SET_ERR_MSG_ATTR(extack, nla,
				    "family must be AF_INET (2) or AF_INET6 (10)");
		return -EINVAL;
	}
	return 0;
}

/* ---- flows ---- */

static int tcpstate_nl_put_owner(struct sk_buff *skb, int uid_type,
				 int cgroup_type,
				 const struct tcpstate_owner *o,
				 struct user_namespace *uns)
{
	if (!o->known)
		return 0;
	if (nla_put_u32(skb, uid_type, from_kuid_munged(uns, o->uid)) ||
	    nla_put_u64_64bit(skb, cgroup_type, o->cgroup, TCPSTATE_A_FLOW_PAD))
		return -EMSGSIZE;
	return 0;
}

static int tcpstate_nl_put_tuple(struct sk_buff *skb,
				 const struct tcpstate_flow_snap *f)
{
	if (nla_put_u8(skb, TCPSTATE_A_FLOW_FAMILY, f->family) ||
	    tcpstate_nl_put_addr(skb, TCPSTATE_A_FLOW_CLIENT_ADDR, f->family,
				 &f->addr[0]) ||
	    nla_put_be16(skb, TCPSTATE_A_FLOW_CLIENT_PORT, f->port[0]) ||
	    tcpstate_nl_put_addr(skb, TCPSTATE_A_FLOW_SERVER_ADDR, f->family,
				 &f->addr[1]) ||
	    nla_put_be16(skb, TCPSTATE_A_FLOW_SERVER_PORT, f->port[1]))
		return -EMSGSIZE;
	return 0;
}

static u64 tcpstate_nl_ms(u64 from, u64 to)
{
	return to > from ? div_u64(to - from, NSEC_PER_MSEC) : 0;
}

/* The handshake's round trips (tcpstate_fsm_rtt()), those known. */
static int tcpstate_nl_put_rtt(struct sk_buff *skb,
			       const struct tcpstate_fsm *fsm)
{
	unsigned int known;
	u64 rtt[2];

	known = tcpstate_fsm_rtt(fsm, rtt);
	if ((known & 1) &&
	    nla_put_u32(skb, TCPSTATE_A_FLOW_RTT_SYN_SYNACK_US,
			min_t(u64, div_u64(rtt[0], NSEC_PER_USEC), U32_MAX)))
		return -EMSGSIZE;
	if ((known & 2) &&
	    nla_put_u32(skb, TCPSTATE_A_FLOW_RTT_SYNACK_ACK_US,
			min_t(u64, div_u64(rtt[1], NSEC_PER_USEC), U32_MAX)))
		return -EMSGSIZE;
	return 0;
}

static int tcpstate_nl_put_times(struct sk_buff *skb,
				 const struct tcpstate_fsm *fsm, u64 now)
{
	u64 start = tcpstate_fsm_time(fsm, TCPSTATE_TS_START);
	u64 last = clamp(tcpstate_fsm_time(fsm, TCPSTATE_TS_LAST), start, now);
	u64 end = fsm->flags & TCPSTATE_F_ENDED ?
		  tcpstate_fsm_time(fsm, TCPSTATE_TS_CLOSE) : last;

	if (nla_put_u64_64bit(skb, TCPSTATE_A_FLOW_START_NS, start,
			      TCPSTATE_A_FLOW_PAD) ||
	    nla_put_u64_64bit(skb, TCPSTATE_A_FLOW_AGE_MS,
			      tcpstate_nl_ms(start, now), TCPSTATE_A_FLOW_PAD) ||
	    nla_put_u64_64bit(skb, TCPSTATE_A_FLOW_IDLE_MS,
			      tcpstate_nl_ms(last, now), TCPSTATE_A_FLOW_PAD) ||
	    nla_put_u64_64bit(skb, TCPSTATE_A_FLOW_DURATION_MS,
			      tcpstate_nl_ms(start, end), TCPSTATE_A_FLOW_PAD))
		return -EMSGSIZE;
	return 0;
}

static int tcpstate_nl_put_counters(struct sk_buff *skb,
				    const struct tcpstate_fsm *fsm,
				    unsigned int c)
{
	if (nla_put_u64_64bit(skb, TCPSTATE_A_FLOW_CLIENT_PKTS, fsm->pkts[c],
			      TCPSTATE_A_FLOW_PAD) ||
	    nla_put_u64_64bit(skb, TCPSTATE_A_FLOW_CLIENT_BYTES, fsm->bytes[c],
			      TCPSTATE_A_FLOW_PAD) ||
	    nla_put_u64_64bit(skb, TCPSTATE_A_FLOW_SERVER_PKTS,
			      fsm->pkts[c ^ 1], TCPSTATE_A_FLOW_PAD) ||
	    nla_put_u64_64bit(skb, TCPSTATE_A_FLOW_SERVER_BYTES,
			      fsm->bytes[c ^ 1], TCPSTATE_A_FLOW_PAD) ||
	    nla_put_u32(skb, TCPSTATE_A_FLOW_CLIENT_RETRANS, fsm->rtx[c]) ||
	    nla_put_u32(skb, TCPSTATE_A_FLOW_SERVER_RETRANS, fsm->rtx[c ^ 1]) ||
	    nla_put_u32(skb, TCPSTATE_A_FLOW_SYN_RETRANS, fsm->syn_rtx) ||
	    nla_put_u32(skb, TCPSTATE_A_FLOW_SYNACK_RETRANS, fsm->synack_rtx) ||
	    nla_put_u32(skb, TCPSTATE_A_FLOW_FIN_RETRANS, fsm->fin_rtx) ||
	    nla_put_u32(skb, TCPSTATE_A_FLOW_KEEPALIVES, fsm->keepalives) ||
	    nla_put_u32(skb, TCPSTATE_A_FLOW_INVALID, fsm->invalid))
		return -EMSGSIZE;
	return 0;
}

/* Every attribute of a flow, in the message or nest being built. */
static int tcpstate_nl_put_flow(struct sk_buff *skb,
				const struct tcpstate_flow_snap *f, u64 now)
{
	const struct tcpstate_fsm *fsm = &f->fsm;
	unsigned int c = tcpstate_fsm_orig_dir(fsm);
	char hist[TCPSTATE_HISTORY_MAX];

	tcpstate_fsm_history(fsm, hist, sizeof(hist));
	if (tcpstate_nl_put_tuple(skb, f) ||
	    nla_put_u8(skb, TCPSTATE_A_FLOW_CLIENT_STATE, fsm->state[c]) ||
	    nla_put_u8(skb, TCPSTATE_A_FLOW_SERVER_STATE, fsm->state[c ^ 1]) ||
	    nla_put_u8(skb, TCPSTATE_A_FLOW_CONN_STATE,
		       tcpstate_fsm_conn_state(fsm)) ||
	    nla_put_string(skb, TCPSTATE_A_FLOW_HISTORY, hist) ||
	    nla_put_u32(skb, TCPSTATE_A_FLOW_FLAGS, tcpstate_fsm_flags(fsm)) ||
	    nla_put_u8(skb, TCPSTATE_A_FLOW_CLOSE_REASON, fsm->close_reason) ||
	    nla_put_u8(skb, TCPSTATE_A_FLOW_CLOSER, tcpstate_fsm_closer(fsm)) ||
	    tcpstate_nl_put_counters(skb, fsm, c) ||
	    tcpstate_nl_put_times(skb, fsm, now) ||
	    tcpstate_nl_put_rtt(skb, fsm) ||
	    nla_put_u8(skb, TCPSTATE_A_FLOW_STUCK, f->stuck) ||
	    tcpstate_nl_put_owner(skb, TCPSTATE_A_FLOW_CLIENT_UID,
				  TCPSTATE_A_FLOW_CLIENT_CGROUP, &f->owner[0],
				  f->uns) ||
	    tcpstate_nl_put_owner(skb, TCPSTATE_A_FLOW_SERVER_UID,
				  TCPSTATE_A_FLOW_SERVER_CGROUP, &f->owner[1],
				  f->uns))
		return -EMSGSIZE;
	return 0;
}

/* Flow dump filters, from TCPSTATE_A_FILTER_* attributes. */
struct tcpstate_nl_filter {
	u32 states;		/* 1 << enum tcpstate_state, 0: any */
	u32 conn_states;	/* 1 << enum tcpstate_conn_state, 0: any */
	u8 family;		/* 0: any */
	u8 state_side;		/* enum tcpstate_side; NONE: either */
	bool listener;
	bool stuck;		/* an endpoint stuck (in one of states) */
	u8 addrs;		/* which of addr[] are set: BIT(i) */
	u8 ports;		/* which of port[] are set: BIT(i) */
	/* [0] either side, [1] client, [2] server */
	union tcpstate_addr addr[3];
	__be16 port[3];
};

static bool tcpstate_nl_match_addr(const struct tcpstate_nl_filter *flt,
				   const struct tcpstate_flow_snap *f)
{
	unsigned int i;

	for (i = 0; i < 2; i++)
		if ((flt->addrs & BIT(i + 1)) &&
		    memcmp(&flt->addr[i + 1], &f->addr[i], sizeof(f->addr[i])))
			return false;
	if ((flt->addrs & BIT(0)) &&
	    memcmp(&flt->addr[0], &f->addr[0], sizeof(f->addr[0])) &&
	    memcmp(&flt->addr[0], &f->addr[1], sizeof(f->addr[1])))
		return false;
	for (i = 0; i < 2; i++)
		if ((flt->ports & BIT(i + 1)) && flt->port[i + 1] != f->port[i])
			return false;
	if ((flt->ports & BIT(0)) && flt->port[0] != f->port[0] &&
	    flt->port[0] != f->port[1])
		return false;
	return true;
}

static bool tcpstate_nl_match(const struct tcpstate_nl_filter *flt,
			      const struct tcpstate_flow_snap *f)
{
	const struct tcpstate_fsm *fsm = &f->fsm;
	unsigned int c = tcpstate_fsm_orig_dir(fsm);
	u32 cs = BIT(fsm->state[c]), ss = BIT(fsm->state[c ^ 1]);
	char hist[TCPSTATE_HISTORY_MAX];

	if (flt->family && flt->family != f->family)
		return false;
	if (flt->states) {
		if (flt->state_side == TCPSTATE_SIDE_CLIENT)
			ss = 0;
		else if (flt->state_side == TCPSTATE_SIDE_SERVER)
			cs = 0;
		if (!(flt->states & (cs | ss)))
			return false;
	}
	if (flt->conn_states &&
	    !(flt->conn_states & BIT(tcpstate_fsm_conn_state(fsm))))
		return false;
	if (!tcpstate_nl_match_addr(flt, f))
		return false;
	if (flt->listener) {
		tcpstate_fsm_history(fsm, hist, sizeof(hist));
		if (!strchr(hist, 'h'))
			return false;
	}
	if (flt->stuck) {
		cs = f->stuck & 1 ? BIT(fsm->state[c]) : 0;
		ss = f->stuck & 2 ? BIT(fsm->state[c ^ 1]) : 0;
		if (!(cs | ss) || (flt->states && !(flt->states & (cs | ss))))
			return false;
	}
	return true;
}

static int tcpstate_nl_filter_parse(struct tcpstate_nl_filter *flt,
				    struct nlattr **tb,
				    struct netlink_ext_ack *extack)
{
	static const int addr_attr[3] = {
		TCPSTATE_A_FILTER_ADDR, TCPSTATE_A_FILTER_CLIENT_ADDR,
		TCPSTATE_A_FILTER_SERVER_ADDR,
	};
	static const int port_attr[3] = {
		TCPSTATE_A_FILTER_PORT, TCPSTATE_A_FILTER_CLIENT_PORT,
		TCPSTATE_A_FILTER_SERVER_PORT,
	};
	unsigned int i;
	int err;

	memset(flt, 0, sizeof(*flt));
	err = tcpstate_nl_get_family(tb[TCPSTATE_A_FILTER_FAMILY],
				     &flt->family, extack);
	if (err)
		return err;
	if (tb[TCPSTATE_A_FILTER_STATES]) {
		flt->states = nla_get_u32(tb[TCPSTATE_A_FILTER_STATES]);
		if (flt->states & ~GENMASK(__TCPSTATE_S_MAX - 1, 1)) {
			NL_SET_ERR_MSG_ATTR(extack, tb[TCPSTATE_A_FILTER_STATES],
					    "unknown endpoint state bit (1 << closed .. 1 << time_wait)");
			return -EINVAL;
		}
	}
	if (tb[TCPSTATE_A_FILTER_STATE_SIDE])
		flt->state_side = nla_get_u8(tb[TCPSTATE_A_FILTER_STATE_SIDE]);
	if (tb[TCPSTATE_A_FILTER_CONN_STATES]) {
		flt->conn_states = nla_get_u32(tb[TCPSTATE_A_FILTER_CONN_STATES]);
		if (flt->conn_states & ~GENMASK(__TCPSTATE_CS_MAX - 1, 0)) {
			NL_SET_ERR_MSG_ATTR(extack,
					    tb[TCPSTATE_A_FILTER_CONN_STATES],
					    "unknown conn_state bit (1 << S0 .. 1 << OTH)");
			return -EINVAL;
		}
	}
	for (i = 0; i < 3; i++) {
		if (tb[addr_attr[i]]) {
			err = tcpstate_nl_get_addr(tb[addr_attr[i]],
						   flt->family, &flt->addr[i],
						   extack);
			if (err)
				return err;
			flt->addrs |= BIT(i);
		}
		if (tb[port_attr[i]]) {
			flt->port[i] = nla_get_be16(tb[port_attr[i]]);
			flt->ports |= BIT(i);
		}
	}
	flt->listener = nla_get_flag(tb[TCPSTATE_A_FILTER_LISTENER]);
	flt->stuck = nla_get_flag(tb[TCPSTATE_A_FILTER_STUCK]);
	return 0;
}

/* Dump state, pointed to from cb->ctx. */
struct tcpstate_nl_dump {
	struct rhashtable_iter iter;
	struct tcpstate_nl_filter filter;
	unsigned int lost;	/* times the walk may have lost its place */
	bool parsed;		/* filter read from the request */
	bool resumed;		/* a message was filled: the walk stopped */
};

struct tcpstate_nl_dump_ctx {
	struct tcpstate_nl_dump *dump;
};

static struct tcpstate_nl_dump_ctx *tcpstate_nl_ctx(struct netlink_callback *cb)
{
	BUILD_BUG_ON(sizeof(struct tcpstate_nl_dump_ctx) > sizeof(cb->ctx));
	return (struct tcpstate_nl_dump_ctx *)cb->ctx;
}

static int tcpstate_nl_flow_dump_filter(struct netlink_callback *cb,
					struct tcpstate_nl_filter *flt)
{
	struct nlattr *tb[TCPSTATE_A_FLOW_MAX + 1];
	struct nlattr *ft[TCPSTATE_A_FILTER_MAX + 1];
	unsigned int i;
	int err;

	err = genlmsg_parse(cb->nlh, &tcpstate_nl_family, tb,
			    TCPSTATE_A_FLOW_MAX, tcpstate_nl_flow_get_policy,
			    cb->extack);
	if (err)
		return err;
	for (i = 0; i < TCPSTATE_A_FLOW_FILTER; i++) {
		if (tb[i]) {
			NL_SET_ERR_MSG_ATTR(cb->extack, tb[i],
					    "a flow dump takes its filters in the filter nest");
			return -EINVAL;
		}
	}
	memset(ft, 0, sizeof(ft));
	if (tb[TCPSTATE_A_FLOW_FILTER]) {
		err = nla_parse_nested(ft, TCPSTATE_A_FILTER_MAX,
				       tb[TCPSTATE_A_FLOW_FILTER],
				       tcpstate_nl_filter_policy, cb->extack);
		if (err)
			return err;
	}
	return tcpstate_nl_filter_parse(flt, ft, cb->extack);
}

/*
 * The filter is read at the first dumpit, not in start: there the extack
 * reaches the user (in NLMSG_DONE) on every kernel we build for.
 */
static int tcpstate_nl_flow_dump_start(struct netlink_callback *cb)
{
	struct tcpstate_net *tn = tcpstate_nl_net(cb->skb);
	struct tcpstate_nl_dump *d;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	rhashtable_walk_enter(&tn->flows, &d->iter);
	tcpstate_nl_ctx(cb)->dump = d;
	return 0;
}

static int tcpstate_nl_flow_dump_done(struct netlink_callback *cb)
{
	struct tcpstate_nl_dump *d = tcpstate_nl_ctx(cb)->dump;

	if (d) {
		rhashtable_walk_exit(&d->iter);
		kfree(d);
	}
	return 0;
}

/* One flow into the dump: 0, 1 if filtered out or gone, or -EMSGSIZE. */
static int tcpstate_nl_flow_dump_one(struct sk_buff *skb,
				     struct netlink_callback *cb,
				     struct tcpstate_flow *flow, u64 now)
{
	struct tcpstate_nl_dump *d = tcpstate_nl_ctx(cb)->dump;
	struct tcpstate_flow_snap f;
	void *hdr;

	if (!tcpstate_flow_snapshot(tcpstate_nl_net(cb->skb), flow, &f,
				    current_user_ns(), now) ||
	    !tcpstate_nl_match(&d->filter, &f))
		return 1;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &tcpstate_nl_family, NLM_F_MULTI,
			  TCPSTATE_CMD_FLOW_GET);
	if (!hdr)
		return -EMSGSIZE;
	genl_dump_check_consistent(cb, hdr);
	if (tcpstate_nl_put_flow(skb, &f, now)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* The next flow or NULL; a resize meanwhile means the walk restarted. */
static struct tcpstate_flow *tcpstate_nl_walk(struct tcpstate_nl_dump *d,
					      bool next)
{
	struct tcpstate_flow *flow;

	for (;;) {
		flow = next ? rhashtable_walk_next(&d->iter) :
			      rhashtable_walk_peek(&d->iter);
		if (!IS_ERR(flow))
			return flow;
		if (PTR_ERR(flow) != -EAGAIN)
			return NULL;
		d->lost++;
	}
}

static int tcpstate_nl_flow_dumpit(struct sk_buff *skb,
				   struct netlink_callback *cb)
{
	struct tcpstate_nl_dump *d = tcpstate_nl_ctx(cb)->dump;
	struct tcpstate_flow *flow;
	u64 now = ktime_get_ns();
	int err = 0;

	if (!d->parsed) {
		err = tcpstate_nl_flow_dump_filter(cb, &d->filter);
		if (err)
			return err;
		d->parsed = true;
	}
	/* resized: the walk starts over, listing flows a second time */
	if (tcpstate_walk_start(&d->iter) == -EAGAIN && d->resumed)
		d->lost++;
	cb->seq = d->lost + 1;

	/* peek: the flow that did not fit in the last message, if any */
	for (flow = tcpstate_nl_walk(d, false); flow;
	     flow = tcpstate_nl_walk(d, true)) {
		err = tcpstate_nl_flow_dump_one(skb, cb, flow, now);
		if (err < 0)
			break;
	}
	rhashtable_walk_stop(&d->iter);
	d->resumed = true;
	if (err == -EMSGSIZE && skb->len)
		return skb->len;
	return err < 0 ? err : 0;
}

/* Find one flow by its tuple, in either order: a hash lookup. */
static int tcpstate_nl_flow_find(struct tcpstate_net *tn,
				 const struct tcpstate_nl_filter *flt,
				 struct tcpstate_flow_snap *f)
{
	struct tcpstate_flow *flow;
	struct tcpstate_key key;
	bool hit = false;

	memset(&key, 0, sizeof(key));
	key.family = flt->family;
	key.addr[0] = flt->addr[1];
	key.port[0] = flt->port[1];
	key.addr[1] = flt->addr[2];
	key.port[1] = flt->port[2];
	tcpstate_key_canon(&key);

	rcu_read_lock();
	flow = tcpstate_flow_lookup(tn, &key);
	if (flow)
		hit = tcpstate_flow_snapshot(tn, flow, f, current_user_ns(),
					     ktime_get_ns());
	rcu_read_unlock();
	return hit ? 0 : -ENOENT;
}

static int tcpstate_nl_flow_get_doit(struct sk_buff *skb,
				     struct genl_info *info)
{
	static const int required[] = {
		TCPSTATE_A_FLOW_FAMILY, TCPSTATE_A_FLOW_CLIENT_ADDR,
		TCPSTATE_A_FLOW_CLIENT_PORT, TCPSTATE_A_FLOW_SERVER_ADDR,
		TCPSTATE_A_FLOW_SERVER_PORT,
	};
	struct tcpstate_nl_filter flt = {};
	struct tcpstate_flow_snap f;
	struct nlattr **tb = info->attrs;
	struct sk_buff *msg;
	unsigned int i;
	void *hdr;
	int err;

	for (i = 0; i < ARRAY_SIZE(required); i++) {
		if (GENL_REQ_ATTR_CHECK(info, required[i])) {
			NL_SET_ERR_MSG(info->extack,
				       "flow get needs family, client-addr, client-port, server-addr and server-port");
			return -EINVAL;
		}
	}
	if (tb[TCPSTATE_A_FLOW_FILTER]) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[TCPSTATE_A_FLOW_FILTER],
				    "filters are for a flow dump");
		return -EINVAL;
	}
	err = tcpstate_nl_get_family(tb[TCPSTATE_A_FLOW_FAMILY], &flt.family,
				     info->extack);
	if (!err)
		err = tcpstate_nl_get_addr(tb[TCPSTATE_A_FLOW_CLIENT_ADDR],
					   flt.family, &flt.addr[1],
					   info->extack);
	if (!err)
		err = tcpstate_nl_get_addr(tb[TCPSTATE_A_FLOW_SERVER_ADDR],
					   flt.family, &flt.addr[2],
					   info->extack);
	if (err)
		return err;
	flt.port[1] = nla_get_be16(tb[TCPSTATE_A_FLOW_CLIENT_PORT]);
	flt.port[2] = nla_get_be16(tb[TCPSTATE_A_FLOW_SERVER_PORT]);

	err = tcpstate_nl_flow_find(tcpstate_nl_net(skb), &flt, &f);
	if (err) {
		NL_SET_ERR_MSG(info->extack, "no such flow");
		return err;
	}

	hdr = tcpstate_nl_put_reply(&msg, info);
	if (!hdr)
		return -ENOMEM;
	if (tcpstate_nl_put_flow(msg, &f, ktime_get_ns())) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* ---- listeners ---- */

/*
 * A local listening socket's queues and owner, where the listener is one;
 * else the owner last seen answering a SYN, if any.
 */
static int tcpstate_nl_put_local(struct sk_buff *skb, struct net *net,
				 struct tcpstate_listener *l)
{
	struct tcpstate_sock_queue q;
	bool local;

	local = l->key.family && tcpstate_sock_listener(net, &l->key, &q);
	if (local &&
	    (nla_put_u32(skb, TCPSTATE_A_LISTENER_ACCEPT_QUEUE, q.accept) ||
	     nla_put_u32(skb, TCPSTATE_A_LISTENER_ACCEPT_QUEUE_MAX,
			 q.accept_max) ||
	     nla_put_u32(skb, TCPSTATE_A_LISTENER_SYN_QUEUE, q.syn)))
		return -EMSGSIZE;
	if (!local || !q.owner.known) {
		spin_lock_bh(&l->lock);
		q.owner = l->owner;
		spin_unlock_bh(&l->lock);
	}
	if (q.owner.known &&
	    (nla_put_u32(skb, TCPSTATE_A_LISTENER_UID,
			 from_kuid_munged(current_user_ns(), q.owner.uid)) ||
	     nla_put_u64_64bit(skb, TCPSTATE_A_LISTENER_CGROUP, q.owner.cgroup,
			       TCPSTATE_A_LISTENER_PAD)))
		return -EMSGSIZE;
	return 0;
}

static int tcpstate_nl_put_listener(struct sk_buff *skb, struct net *net,
				    struct tcpstate_listener *l)
{
	unsigned int i;

	if (l->key.family) {
		if (nla_put_u8(skb, TCPSTATE_A_LISTENER_FAMILY, l->key.family) ||
		    tcpstate_nl_put_addr(skb, TCPSTATE_A_LISTENER_ADDR,
					 l->key.family, &l->key.addr) ||
		    nla_put_be16(skb, TCPSTATE_A_LISTENER_PORT, l->key.port))
			return -EMSGSIZE;
	} else if (nla_put_flag(skb, TCPSTATE_A_LISTENER_OVERFLOW)) {
		return -EMSGSIZE;
	}
	if (nla_put_u32(skb, TCPSTATE_A_LISTENER_HALF_OPEN,
			READ_ONCE(l->half_open)) ||
	    nla_put_u32(skb, TCPSTATE_A_LISTENER_HALF_OPEN_PEAK,
			READ_ONCE(l->half_open_peak)) ||
	    nla_put_u64_64bit(skb, TCPSTATE_A_LISTENER_SYNS, READ_ONCE(l->syns),
			      TCPSTATE_A_LISTENER_PAD) ||
	    nla_put_u64_64bit(skb, TCPSTATE_A_LISTENER_SYNACKS,
			      READ_ONCE(l->synacks), TCPSTATE_A_LISTENER_PAD) ||
	    nla_put_u64_64bit(skb, TCPSTATE_A_LISTENER_SYNACK_RETRANS,
			      READ_ONCE(l->synack_rtx),
			      TCPSTATE_A_LISTENER_PAD) ||
	    nla_put_u64_64bit(skb, TCPSTATE_A_LISTENER_HANDSHAKES,
			      READ_ONCE(l->handshakes),
			      TCPSTATE_A_LISTENER_PAD) ||
	    nla_put_u64_64bit(skb, TCPSTATE_A_LISTENER_EXPIRED,
			      READ_ONCE(l->expired), TCPSTATE_A_LISTENER_PAD) ||
	    nla_put_u64_64bit(skb, TCPSTATE_A_LISTENER_RESETS,
			      READ_ONCE(l->resets), TCPSTATE_A_LISTENER_PAD) ||
	    nla_put_u8(skb, TCPSTATE_A_LISTENER_FLOOD, READ_ONCE(l->flood)) ||
	    nla_put_u64_64bit(skb, TCPSTATE_A_LISTENER_FLOODS,
			      READ_ONCE(l->floods), TCPSTATE_A_LISTENER_PAD) ||
	    nla_put_u64_64bit(skb, TCPSTATE_A_LISTENER_COOKIES_SENT,
			      READ_ONCE(l->cookies_sent),
			      TCPSTATE_A_LISTENER_PAD) ||
	    nla_put_u64_64bit(skb, TCPSTATE_A_LISTENER_COOKIES_RECV,
			      READ_ONCE(l->cookies_recv),
			      TCPSTATE_A_LISTENER_PAD) ||
	    nla_put_u64_64bit(skb, TCPSTATE_A_LISTENER_LISTEN_OVERFLOWS,
			      READ_ONCE(l->overflows),
			      TCPSTATE_A_LISTENER_PAD) ||
	    nla_put_u64_64bit(skb, TCPSTATE_A_LISTENER_STUCK,
			      READ_ONCE(l->stuck), TCPSTATE_A_LISTENER_PAD) ||
	    nla_put_u64_64bit(skb, TCPSTATE_A_LISTENER_HANDSHAKE_US_SUM,
			      READ_ONCE(l->hs_sum_us),
			      TCPSTATE_A_LISTENER_PAD) ||
	    tcpstate_nl_put_local(skb, net, l))
		return -EMSGSIZE;
	for (i = 0; i < TCPSTATE_HS_HIST; i++)
		if (nla_put_u32(skb, TCPSTATE_A_LISTENER_HANDSHAKE_US_LOG2,
				READ_ONCE(l->hs_hist[i])))
			return -EMSGSIZE;
	return 0;
}

static int tcpstate_nl_listener_dump_one(struct sk_buff *skb,
					 struct netlink_callback *cb,
					 struct tcpstate_listener *l)
{
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &tcpstate_nl_family, NLM_F_MULTI,
			  TCPSTATE_CMD_LISTENER_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (tcpstate_nl_put_listener(skb, tcpstate_nl_net(cb->skb)->net, l)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/*
 * The listener dump walks the table with its own walker, kept between
 * messages like the flow dump's; the overflow entry comes last.
 */
struct tcpstate_nl_ldump {
	struct rhashtable_iter iter;
	bool resumed;		/* a message was filled: peek at its last */
	bool done;		/* the table is walked: the overflow is next */
};

static struct tcpstate_nl_ldump *tcpstate_nl_lctx(struct netlink_callback *cb)
{
	BUILD_BUG_ON(sizeof(struct tcpstate_nl_ldump *) > sizeof(cb->ctx));
	return *(struct tcpstate_nl_ldump **)cb->ctx;
}

static int tcpstate_nl_listener_dump_start(struct netlink_callback *cb)
{
	struct tcpstate_net *tn = tcpstate_nl_net(cb->skb);
	struct tcpstate_nl_ldump *d;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	rhashtable_walk_enter(&tn->listeners.table, &d->iter);
	*(struct tcpstate_nl_ldump **)cb->ctx = d;
	return 0;
}

static int tcpstate_nl_listener_dump_done(struct netlink_callback *cb)
{
	struct tcpstate_nl_ldump *d = tcpstate_nl_lctx(cb);

	if (d) {
		rhashtable_walk_exit(&d->iter);
		kfree(d);
	}
	return 0;
}

static int tcpstate_nl_listener_dumpit(struct sk_buff *skb,
				       struct netlink_callback *cb)
{
	struct tcpstate_listeners *ls = &tcpstate_nl_net(cb->skb)->listeners;
	struct tcpstate_nl_ldump *d = tcpstate_nl_lctx(cb);
	struct tcpstate_listener *l;
	int err = 0;

	if (!d->done) {
		tcpstate_walk_start(&d->iter);
		/* peek: the entry that did not fit in the last message */
		for (l = tcpstate_listener_walk(&d->iter, d->resumed); l;
		     l = tcpstate_listener_walk(&d->iter, false)) {
			err = tcpstate_nl_listener_dump_one(skb, cb, l);
			if (err)
				break;
		}
		rhashtable_walk_stop(&d->iter);
		d->resumed = true;
		d->done = !err;
	}
	if (!err && READ_ONCE(ls->overflow.synacks))
		err = tcpstate_nl_listener_dump_one(skb, cb, &ls->overflow);
	if (err && skb->len)
		return skb->len;
	return err;
}

/* ---- destinations ---- */

static int tcpstate_nl_put_dest(struct sk_buff *skb,
				const struct tcpstate_dest_view *v)
{
	if (v->key.family) {
		if (nla_put_u8(skb, TCPSTATE_A_DEST_FAMILY, v->key.family) ||
		    tcpstate_nl_put_addr(skb, TCPSTATE_A_DEST_ADDR,
					 v->key.family, &v->key.addr) ||
		    nla_put_be16(skb, TCPSTATE_A_DEST_PORT, v->key.port))
			return -EMSGSIZE;
	} else if (nla_put_flag(skb, TCPSTATE_A_DEST_OVERFLOW)) {
		return -EMSGSIZE;
	}
	if (nla_put_u32(skb, TCPSTATE_A_DEST_FLOWS, v->flows) ||
	    nla_put_u32(skb, TCPSTATE_A_DEST_TIME_WAIT, v->time_wait) ||
	    nla_put_u32(skb, TCPSTATE_A_DEST_PEAK, v->peak) ||
	    nla_put_u32(skb, TCPSTATE_A_DEST_PORTS, v->ports) ||
	    nla_put_u8(skb, TCPSTATE_A_DEST_WARN, v->warn) ||
	    nla_put_u64_64bit(skb, TCPSTATE_A_DEST_WARNINGS, v->warnings,
			      TCPSTATE_A_DEST_PAD))
		return -EMSGSIZE;
	return 0;
}

static int tcpstate_nl_dest_dump_one(struct sk_buff *skb,
				     struct netlink_callback *cb,
				     struct tcpstate_dest *d,
				     unsigned int ports)
{
	struct tcpstate_dest_view v;
	void *hdr;

	spin_lock_bh(&d->lock);
	tcpstate_dest_read(d, ports, &v);
	spin_unlock_bh(&d->lock);
	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &tcpstate_nl_family, NLM_F_MULTI,
			  TCPSTATE_CMD_DEST_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (tcpstate_nl_put_dest(skb, &v)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* As the listener dump: a walker kept between messages, overflow last. */
static int tcpstate_nl_dest_dump_start(struct netlink_callback *cb)
{
	struct tcpstate_net *tn = tcpstate_nl_net(cb->skb);
	struct tcpstate_nl_ldump *d;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	rhashtable_walk_enter(&tn->dests.table, &d->iter);
	*(struct tcpstate_nl_ldump **)cb->ctx = d;
	return 0;
}

static int tcpstate_nl_dest_dumpit(struct sk_buff *skb,
				   struct netlink_callback *cb)
{
	struct tcpstate_net *tn = tcpstate_nl_net(cb->skb);
	struct tcpstate_nl_ldump *d = tcpstate_nl_lctx(cb);
	unsigned int ports = tcpstate_dest_ports(tn);
	struct tcpstate_dest *dest;
	int err = 0;

	if (!d->done) {
		tcpstate_walk_start(&d->iter);
		for (dest = tcpstate_dest_walk(&d->iter, d->resumed); dest;
		     dest = tcpstate_dest_walk(&d->iter, false)) {
			err = tcpstate_nl_dest_dump_one(skb, cb, dest, ports);
			if (err)
				break;
		}
		rhashtable_walk_stop(&d->iter);
		d->resumed = true;
		d->done = !err;
	}
	if (!err && READ_ONCE(tn->dests.overflow.peak))
		err = tcpstate_nl_dest_dump_one(skb, cb, &tn->dests.overflow,
						ports);
	if (err && skb->len)
		return skb->len;
	return err;
}

/* ---- stats ---- */

static const u16 tcpstate_nl_stat_attr[TCPSTATE_STAT_NR] = {
#define TCPSTATE_STAT(id, ...) \
	[TCPSTATE_STAT_##id] = TCPSTATE_A_STATS_##id,
#include "stats.h"
#undef TCPSTATE_STAT
};

static int tcpstate_nl_put_endpoints(struct sk_buff *skb,
				     const struct tcpstate_net *tn)
{
	struct nlattr *nest;
	long clients, servers;
	unsigned int s;

	for (s = TCPSTATE_S_NONE + 1; s < __TCPSTATE_S_MAX; s++) {
		clients = tcpstate_endpoints_read(tn, 0, s);
		servers = tcpstate_endpoints_read(tn, 1, s);
		nest = nla_nest_start(skb, TCPSTATE_A_STATS_ENDPOINTS);
		if (!nest ||
		    nla_put_u8(skb, TCPSTATE_A_ENDPOINTS_STATE, s) ||
		    nla_put_u64_64bit(skb, TCPSTATE_A_ENDPOINTS_COUNT,
				      (u64)(clients + servers),
				      TCPSTATE_A_ENDPOINTS_PAD) ||
		    nla_put_u64_64bit(skb, TCPSTATE_A_ENDPOINTS_CLIENTS,
				      (u64)clients, TCPSTATE_A_ENDPOINTS_PAD) ||
		    nla_put_u64_64bit(skb, TCPSTATE_A_ENDPOINTS_SERVERS,
				      (u64)servers, TCPSTATE_A_ENDPOINTS_PAD))
			return -EMSGSIZE;
		nla_nest_end(skb, nest);
	}
	return 0;
}

static int tcpstate_nl_put_stats(struct sk_buff *skb,
				 struct tcpstate_net *tn)
{
	unsigned int i;

	for (i = 0; i < TCPSTATE_STAT_NR; i++) {
		if (WARN_ON_ONCE(!tcpstate_nl_stat_attr[i]))
			continue;
		if (nla_put_u64_64bit(skb, tcpstate_nl_stat_attr[i],
				      tcpstate_stat_read(tn, i),
				      TCPSTATE_A_STATS_PAD))
			return -EMSGSIZE;
	}
	if (nla_put_u32(skb, TCPSTATE_A_STATS_FLOWS, atomic_read(&tn->nflows)) ||
	    nla_put_u32(skb, TCPSTATE_A_STATS_LISTENERS,
			tcpstate_listener_count(tn)) ||
	    nla_put_u32(skb, TCPSTATE_A_STATS_DESTINATIONS,
			tcpstate_dest_count(tn)))
		return -EMSGSIZE;
	return tcpstate_nl_put_endpoints(skb, tn);
}

static int tcpstate_nl_stats_get_doit(struct sk_buff *skb,
				      struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	hdr = tcpstate_nl_put_reply(&msg, info);
	if (!hdr)
		return -ENOMEM;
	if (tcpstate_nl_put_stats(msg, tcpstate_nl_net(skb))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* ---- config ---- */

static int tcpstate_nl_put_config(struct sk_buff *skb,
				  struct tcpstate_config *cfg)
{
	const struct tcpstate_setting *s;
	unsigned int i;

	for (i = 0; i < TCPSTATE_SETTINGS_NR; i++) {
		s = &tcpstate_settings[i];
		if (nla_put_u32(skb, s->attr,
				READ_ONCE(*tcpstate_setting(cfg, s))))
			return -EMSGSIZE;
	}
	return 0;
}

static int tcpstate_nl_config_reply(struct sk_buff *skb,
				    struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	hdr = tcpstate_nl_put_reply(&msg, info);
	if (!hdr)
		return -ENOMEM;
	if (tcpstate_nl_put_config(msg, &tcpstate_nl_net(skb)->cfg)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int tcpstate_nl_config_get_doit(struct sk_buff *skb,
				       struct genl_info *info)
{
	return tcpstate_nl_config_reply(skb, info);
}

/* NL_SET_ERR_MSG() takes a literal; a setting's message is in its table. */
static void tcpstate_nl_range_msg(struct netlink_ext_ack *extack,
				  const struct nlattr *attr, const char *msg)
{
	if (!extack)
		return;
	extack->_msg = msg;
	NL_SET_BAD_ATTR(extack, attr);
}

/*
 * Raising a bound on memory is for the host's administrator alone
 * (CAP_NET_ADMIN in the initial user namespace): the admin of a user
 * namespace may only lower those of its own network namespace.
 */
static bool tcpstate_nl_may_set(struct sk_buff *skb, struct genl_info *info,
				const struct tcpstate_setting *s, u32 v)
{
	struct tcpstate_config *cfg = &tcpstate_nl_net(skb)->cfg;

	if (!s->limit || v <= READ_ONCE(*tcpstate_setting(cfg, s)) ||
	    netlink_capable(skb, CAP_NET_ADMIN))
		return true;
	NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[s->attr],
			    "only the initial user namespace's CAP_NET_ADMIN raises a bound on memory (max_flows, max_listeners, max_destinations); this namespace may lower it");
	return false;
}

static int tcpstate_nl_config_check(struct sk_buff *skb,
				    struct genl_info *info)
{
	const struct tcpstate_setting *s;
	bool any = false;
	unsigned int i;
	u32 v;

	for (i = 0; i < TCPSTATE_SETTINGS_NR; i++) {
		s = &tcpstate_settings[i];
		if (!info->attrs[s->attr])
			continue;
		any = true;
		v = nla_get_u32(info->attrs[s->attr]);
		if (v < s->min || v > s->max) {
			tcpstate_nl_range_msg(info->extack,
					      info->attrs[s->attr], s->range);
			return -ERANGE;
		}
		if (!tcpstate_nl_may_set(skb, info, s, v))
			return -EPERM;
	}
	if (!any) {
		NL_SET_ERR_MSG(info->extack, "config set needs at least one setting");
		return -EINVAL;
	}
	return 0;
}

static int tcpstate_nl_config_set_doit(struct sk_buff *skb,
				       struct genl_info *info)
{
	struct tcpstate_config *cfg = &tcpstate_nl_net(skb)->cfg;
	const struct tcpstate_setting *s;
	unsigned int i;
	int err;

	mutex_lock(&tcpstate_nl_config_mutex);
	err = tcpstate_nl_config_check(skb, info);
	if (err)
		goto out;
	for (i = 0; i < TCPSTATE_SETTINGS_NR; i++) {
		s = &tcpstate_settings[i];
		if (info->attrs[s->attr])
			WRITE_ONCE(*tcpstate_setting(cfg, s),
				   nla_get_u32(info->attrs[s->attr]));
	}
out:
	mutex_unlock(&tcpstate_nl_config_mutex);
	return err ? err : tcpstate_nl_config_reply(skb, info);
}

/* ---- flush ---- */

static int tcpstate_nl_flush_doit(struct sk_buff *skb, struct genl_info *info)
{
	unsigned int n = tcpstate_flow_flush(tcpstate_nl_net(skb));
	struct sk_buff *msg;
	void *hdr;

	hdr = tcpstate_nl_put_reply(&msg, info);
	if (!hdr)
		return -ENOMEM;
	if (nla_put_u32(msg, TCPSTATE_A_FLUSH_FLOWS, n)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* ---- events ---- */

static void tcpstate_nl_event_send(struct tcpstate_net *tn,
				   struct sk_buff *msg, void *hdr)
{
	int err;

	genlmsg_end(msg, hdr);
	err = genlmsg_multicast_netns(&tcpstate_nl_family, tn->net, msg, 0,
				      TCPSTATE_NLGRP_EVENTS, GFP_ATOMIC);
	/* -ESRCH: the last listener left meanwhile, nothing was lost */
	if (err && err != -ESRCH)
		tcpstate_stat_inc(tn, TCPSTATE_STAT_EVENTS_DROPPED);
}

/* A message with the event's time and its flow, open for more. */
static void *tcpstate_nl_event_new(struct tcpstate_net *tn,
				   struct sk_buff **msg, u8 cmd, u64 now,
				   const struct tcpstate_flow_snap *f, bool full)
{
	struct nlattr *nest;
	void *hdr;

	*msg = tcpstate_nl_msg_new(TCPSTATE_NL_EVENT_SIZE, GFP_ATOMIC);
	if (unlikely(!*msg))
		goto err_drop;
	hdr = genlmsg_put(*msg, 0, 0, &tcpstate_nl_family, 0, cmd);
	if (!hdr)
		goto err_free;
	if (nla_put_u64_64bit(*msg, TCPSTATE_A_EVENT_TIME_NS, now,
			      TCPSTATE_A_EVENT_PAD))
		goto err_free;
	nest = nla_nest_start(*msg, TCPSTATE_A_EVENT_FLOW);
	if (!nest)
		goto err_free;
	if (full ? tcpstate_nl_put_flow(*msg, f, now) :
		   tcpstate_nl_put_tuple(*msg, f))
		goto err_free;
	nla_nest_end(*msg, nest);
	return hdr;

err_free:
	nlmsg_free(*msg);
err_drop:
	tcpstate_stat_inc(tn, TCPSTATE_STAT_EVENTS_DROPPED);
	return NULL;
}

static void tcpstate_nl_transition(struct tcpstate_net *tn,
				   const struct tcpstate_flow_snap *f,
				   const struct tcpstate_result *res,
				   unsigned int d, u64 now)
{
	u8 side = d == tcpstate_fsm_orig_dir(&f->fsm) ? TCPSTATE_SIDE_CLIENT :
		  TCPSTATE_SIDE_SERVER;
	struct sk_buff *msg;
	void *hdr;

	hdr = tcpstate_nl_event_new(tn, &msg, TCPSTATE_CMD_TRANSITION_NTF, now,
				    f, false);
	if (!hdr)
		return;
	if (nla_put_u8(msg, TCPSTATE_A_EVENT_SIDE, side) ||
	    nla_put_u8(msg, TCPSTATE_A_EVENT_OLD_STATE, res->old_state[d]) ||
	    nla_put_u8(msg, TCPSTATE_A_EVENT_NEW_STATE, res->new_state[d])) {
		nlmsg_free(msg);
		tcpstate_stat_inc(tn, TCPSTATE_STAT_EVENTS_DROPPED);
		return;
	}
	tcpstate_nl_event_send(tn, msg, hdr);
}

/* Out of line: its flow snapshot is built only when someone listens. */
static noinline void tcpstate_nl_flow_notify(struct tcpstate_net *tn,
					     const struct tcpstate_flow *flow,
					     const struct tcpstate_result *res,
					     u64 now)
{
	struct tcpstate_flow_snap f;
	struct sk_buff *msg;
	unsigned int d;
	void *hdr;

	tcpstate_flow_read(flow, &f, tn->net->user_ns);
	for (d = 0; d < 2; d++)
		if (res->events & (TCPSTATE_EV_TRANS0 << d))
			tcpstate_nl_transition(tn, &f, res, d, now);
	if (res->events & TCPSTATE_EV_FLOW_END) {
		hdr = tcpstate_nl_event_new(tn, &msg,
					    TCPSTATE_CMD_FLOW_END_NTF, now,
					    &f, true);
		if (hdr)
			tcpstate_nl_event_send(tn, msg, hdr);
	}
}

/*
 * A destination's port-pressure warning rose or fell (the GC): its
 * figures, if anyone listens.
 */
static void tcpstate_nl_dest_event(struct tcpstate_net *tn,
				   const struct tcpstate_dest_view *v, u64 now)
{
	struct sk_buff *msg;
	struct nlattr *nest;
	void *hdr;

	if (!genl_has_listeners(&tcpstate_nl_family, tn->net,
				TCPSTATE_NLGRP_EVENTS))
		return;
	msg = tcpstate_nl_msg_new(TCPSTATE_NL_EVENT_SIZE, GFP_ATOMIC);
	if (unlikely(!msg))
		goto err_drop;
	hdr = genlmsg_put(msg, 0, 0, &tcpstate_nl_family, 0,
			  TCPSTATE_CMD_PORT_PRESSURE_NTF);
	if (!hdr)
		goto err_free;
	if (nla_put_u64_64bit(msg, TCPSTATE_A_EVENT_TIME_NS, now,
			      TCPSTATE_A_EVENT_PAD))
		goto err_free;
	nest = nla_nest_start(msg, TCPSTATE_A_EVENT_DEST);
	if (!nest || tcpstate_nl_put_dest(msg, v))
		goto err_free;
	nla_nest_end(msg, nest);
	tcpstate_nl_event_send(tn, msg, hdr);
	return;

err_free:
	nlmsg_free(msg);
err_drop:
	tcpstate_stat_inc(tn, TCPSTATE_STAT_EVENTS_DROPPED);
}

/*
 * The GC found endpoint `d` (an fsm direction) of the flow stuck: the
 * whole flow, with the side and the state it is stuck in, if anyone
 * listens. Under the flow's lock.
 */
static void tcpstate_nl_stuck_event(struct tcpstate_net *tn,
				    const struct tcpstate_flow *flow,
				    unsigned int d, u64 now)
{
	struct tcpstate_flow_snap f;
	struct sk_buff *msg;
	void *hdr;
	u8 side;

	lockdep_assert_held(&flow->lock);
	if (!genl_has_listeners(&tcpstate_nl_family, tn->net,
				TCPSTATE_NLGRP_EVENTS))
		return;
	tcpstate_flow_read(flow, &f, tn->net->user_ns);
	side = d == tcpstate_fsm_orig_dir(&f.fsm) ? TCPSTATE_SIDE_CLIENT :
	       TCPSTATE_SIDE_SERVER;
	hdr = tcpstate_nl_event_new(tn, &msg, TCPSTATE_CMD_STUCK_NTF, now, &f,
				    true);
	if (!hdr)
		return;
	if (nla_put_u8(msg, TCPSTATE_A_EVENT_SIDE, side) ||
	    nla_put_u8(msg, TCPSTATE_A_EVENT_NEW_STATE, f.fsm.state[d])) {
		nlmsg_free(msg);
		tcpstate_stat_inc(tn, TCPSTATE_STAT_EVENTS_DROPPED);
		return;
	}
	tcpstate_nl_event_send(tn, msg, hdr);
}

static void tcpstate_nl_flow_event(struct tcpstate_net *tn,
				   const struct tcpstate_flow *flow,
				   const struct tcpstate_result *res, u64 now)
{
	lockdep_assert_held(&flow->lock);
	if (genl_has_listeners(&tcpstate_nl_family, tn->net,
			       TCPSTATE_NLGRP_EVENTS))
		tcpstate_nl_flow_notify(tn, flow, res, now);
}

/* Multicast to the "events" group, once the family is registered. */
static const struct tcpstate_event_ops tcpstate_nl_event_ops = {
	.flow = tcpstate_nl_flow_event,
	.stuck = tcpstate_nl_stuck_event,
	.dest = tcpstate_nl_dest_event,
};

/* ---- the family ---- */

static const struct genl_ops tcpstate_nl_ops[] = {
	{
		.cmd = TCPSTATE_CMD_STATS_GET,
		.doit = tcpstate_nl_stats_get_doit,
	},
	{
		.cmd = TCPSTATE_CMD_FLOW_GET,
		.doit = tcpstate_nl_flow_get_doit,
		.start = tcpstate_nl_flow_dump_start,
		.dumpit = tcpstate_nl_flow_dumpit,
		.done = tcpstate_nl_flow_dump_done,
		.policy = tcpstate_nl_flow_get_policy,
		.maxattr = ARRAY_SIZE(tcpstate_nl_flow_get_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = TCPSTATE_CMD_LISTENER_GET,
		.start = tcpstate_nl_listener_dump_start,
		.dumpit = tcpstate_nl_listener_dumpit,
		.done = tcpstate_nl_listener_dump_done,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = TCPSTATE_CMD_DEST_GET,
		.start = tcpstate_nl_dest_dump_start,
		.dumpit = tcpstate_nl_dest_dumpit,
		.done = tcpstate_nl_listener_dump_done,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = TCPSTATE_CMD_CONFIG_GET,
		.doit = tcpstate_nl_config_get_doit,
	},
	{
		.cmd = TCPSTATE_CMD_CONFIG_SET,
		.doit = tcpstate_nl_config_set_doit,
		.policy = tcpstate_nl_config_policy,
		.maxattr = ARRAY_SIZE(tcpstate_nl_config_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = TCPSTATE_CMD_FLUSH,
		.doit = tcpstate_nl_flush_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static struct genl_family tcpstate_nl_family __ro_after_init = {
	.name = TCPSTATE_FAMILY_NAME,
	.version = TCPSTATE_FAMILY_VERSION,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = tcpstate_nl_ops,
	.n_ops = ARRAY_SIZE(tcpstate_nl_ops),
	.mcgrps = tcpstate_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(tcpstate_nl_mcgrps),
};

int __init tcpstate_nl_init(void)
{
	int err;

	err = genl_register_family(&tcpstate_nl_family);
	if (err)
		return err;
	tcpstate_event_register(&tcpstate_nl_event_ops);
	return 0;
}

void tcpstate_nl_uninit(void)
{
	tcpstate_event_unregister();	/* no event is being built any more */
	genl_unregister_family(&tcpstate_nl_family);
}
