// SPDX-License-Identifier: GPL-2.0
/*
 * listener.c: half-open (SYN queue) statistics per listening endpoint and
 * the SYN-flood flag.
 *
 * Entries are created on the first SYN-ACK a server sends, updated only at
 * handshake events (never on the data path) under one lock per namespace,
 * read under RCU, and freed with the namespace.
 */
#include <linux/jhash.h>
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/net.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/time64.h>

#include "core.h"

static u32 tcpstate_listener_hash(const struct tcpstate_listeners *ls,
				  const union tcpstate_addr *addr, __be16 port)
{
	return jhash2((const u32 *)addr, sizeof(*addr) / sizeof(u32),
		      ls->seed ^ (__force u32)port) % TCPSTATE_LISTENER_BUCKETS;
}

static struct tcpstate_listener *
tcpstate_listener_find(struct tcpstate_listeners *ls, u8 family,
		       const union tcpstate_addr *addr, __be16 port)
{
	struct tcpstate_listener *l;
	u32 h = tcpstate_listener_hash(ls, addr, port);

	hlist_for_each_entry_rcu(l, &ls->buckets[h], node,
				 lockdep_is_held(&ls->lock))
		if (l->port == port && l->family == family &&
		    !memcmp(&l->addr, addr, sizeof(*addr)))
			return l;
	return NULL;
}

/* Listener entries allocated and not yet freed, in every namespace. */
static atomic_long_t tcpstate_listener_objects = ATOMIC_LONG_INIT(0);

long tcpstate_listener_objects_read(void)
{
	return atomic_long_read(&tcpstate_listener_objects);
}

/* A new entry, or the overflow entry when the table is full. */
static struct tcpstate_listener *
tcpstate_listener_create(struct tcpstate_net *tn, u8 family,
			 const union tcpstate_addr *addr, __be16 port)
{
	struct tcpstate_listeners *ls = &tn->listeners;
	struct tcpstate_listener *l;

	lockdep_assert_held(&ls->lock);
	if (ls->count >= READ_ONCE(tn->cfg.max_listeners))
		goto overflow;
	l = kzalloc(sizeof(*l), GFP_ATOMIC);
	if (unlikely(!l))
		goto overflow;
	atomic_long_inc(&tcpstate_listener_objects);
	l->family = family;
	l->addr = *addr;
	l->port = port;
	/* The SYN being answered came before the entry: count it here. */
	l->syns = 1;
	l->rate_syns = 1;
	l->rate_start = ktime_get_ns();
	hlist_add_head_rcu(&l->node,
			   &ls->buckets[tcpstate_listener_hash(ls, addr, port)]);
	ls->count++;
	return l;

overflow:
	tcpstate_stat_inc(tn, TCPSTATE_STAT_LISTENER_OVERFLOW);
	return &ls->overflow;
}

/* The listener serving the flow: its server's address and port. */
static struct tcpstate_listener *
tcpstate_listener_of(struct tcpstate_net *tn, const struct tcpstate_flow *flow,
		     bool create)
{
	const union tcpstate_addr *caddr, *saddr;
	struct tcpstate_listener *l;
	__be16 cport, sport;

	tcpstate_flow_endpoints(flow, &caddr, &cport, &saddr, &sport);
	l = tcpstate_listener_find(&tn->listeners, flow->key.family, saddr,
				   sport);
	if (!l && create)
		l = tcpstate_listener_create(tn, flow->key.family, saddr,
					     sport);
	if (!l)
		l = &tn->listeners.overflow;
	return l;
}

/*
 * The flag rises when the SYN rate or the half-open count reaches its
 * threshold, and falls once both are under half of it.
 */
static void tcpstate_listener_flood(struct tcpstate_net *tn,
				    struct tcpstate_listener *l)
{
	u32 rate = READ_ONCE(tn->cfg.flood_syn_rate);
	u32 half = READ_ONCE(tn->cfg.flood_half_open);
	u32 now_rate = max(l->rate_syns, l->last_rate);

	if (!l->flood) {
		if ((rate && now_rate >= rate) || (half && l->half_open >= half)) {
			l->flood = 1;
			l->floods++;
			net_info_ratelimited("possible SYN flood on port %u\n",
					     ntohs(l->port));
		}
	} else if ((!rate || now_rate < rate / 2) &&
		   (!half || l->half_open < half / 2)) {
		l->flood = 0;
	}
}

static void tcpstate_listener_tick(struct tcpstate_listener *l, u64 now)
{
	u64 elapsed = now - l->rate_start;

	if (elapsed < NSEC_PER_SEC)
		return;
	l->last_rate = elapsed < 2 * NSEC_PER_SEC ? l->rate_syns : 0;
	l->rate_syns = 0;
	l->rate_start = now;
}

/* A SYN to (addr, port) of key side `side`: count it if that listens. */
void tcpstate_listener_syn(struct tcpstate_net *tn,
			   const struct tcpstate_key *key, unsigned int side,
			   u64 now)
{
	struct tcpstate_listeners *ls = &tn->listeners;
	struct tcpstate_listener *l;

	spin_lock_bh(&ls->lock);
	l = tcpstate_listener_find(ls, key->family, &key->addr[side],
				   key->port[side]);
	if (l) {
		tcpstate_listener_tick(l, now);
		l->syns++;
		l->rate_syns++;
		tcpstate_listener_flood(tn, l);
	}
	spin_unlock_bh(&ls->lock);
}

static void tcpstate_listener_done(struct tcpstate_listener *l,
				   const struct tcpstate_flow *flow)
{
	const struct tcpstate_fsm *fsm = &flow->fsm;
	u64 t0, t1;

	if (fsm->flags & TCPSTATE_F_HANDSHAKE) {
		l->handshakes++;
		t0 = tcpstate_fsm_time(fsm, TCPSTATE_TS_SYN);
		t1 = tcpstate_fsm_time(fsm, TCPSTATE_TS_ESTABLISHED);
		if (t0 && t1 > t0)
			l->hs_hist[min_t(u32, ilog2((t1 - t0) / NSEC_PER_USEC | 1),
					 TCPSTATE_HS_HIST - 1)]++;
	} else if (fsm->close_reason == TCPSTATE_CLOSE_RST_CLIENT ||
		   fsm->close_reason == TCPSTATE_CLOSE_RST_SERVER ||
		   fsm->close_reason == TCPSTATE_CLOSE_REFUSED) {
		l->resets++;
	} else {
		l->expired++;
	}
}

/*
 * After the fsm moved (a segment, a timeout, the end of the record): keep
 * the listener's half-open count equal to its flows whose server endpoint
 * is SYN_RECEIVED. Called with the flow's lock held.
 */
void tcpstate_listener_update(struct tcpstate_net *tn,
			      struct tcpstate_flow *flow,
			      const struct tcpstate_result *res, u64 now)
{
	unsigned int sdir = tcpstate_fsm_orig_dir(&flow->fsm) ^ 1;
	bool half_open = !flow->dead &&
			 flow->fsm.state[sdir] == TCPSTATE_S_SYN_RECEIVED;
	bool synack = res->kind == TCPSTATE_K_SYNACK;
	struct tcpstate_listeners *ls = &tn->listeners;
	struct tcpstate_listener *l;

	lockdep_assert_held(&flow->lock);
	if (half_open == flow->half_open && !(synack && flow->half_open))
		return;

	spin_lock_bh(&ls->lock);
	l = tcpstate_listener_of(tn, flow, half_open && !flow->half_open);
	if (half_open && !flow->half_open) {
		tcpstate_listener_tick(l, now);
		l->synacks++;
		l->half_open++;
		l->half_open_peak = max(l->half_open_peak, l->half_open);
	} else if (!half_open) {
		l->half_open--;
		tcpstate_listener_done(l, flow);
	} else if (res->events & TCPSTATE_EV_RETRANS) {
		l->synacks++;
		l->synack_rtx++;
	}
	flow->half_open = half_open;
	tcpstate_listener_flood(tn, l);
	spin_unlock_bh(&ls->lock);
}

/* Let flood flags fall when SYNs stop arriving. */
void tcpstate_listener_gc(struct tcpstate_net *tn, u64 now)
{
	struct tcpstate_listeners *ls = &tn->listeners;
	struct tcpstate_listener *l;
	unsigned int i;

	spin_lock_bh(&ls->lock);
	for (i = 0; i < TCPSTATE_LISTENER_BUCKETS; i++) {
		hlist_for_each_entry(l, &ls->buckets[i], node) {
			tcpstate_listener_tick(l, now);
			tcpstate_listener_flood(tn, l);
		}
	}
	spin_unlock_bh(&ls->lock);
}

void tcpstate_listener_net_init(struct tcpstate_net *tn)
{
	struct tcpstate_listeners *ls = &tn->listeners;
	unsigned int i;

	spin_lock_init(&ls->lock);
	for (i = 0; i < TCPSTATE_LISTENER_BUCKETS; i++)
		INIT_HLIST_HEAD(&ls->buckets[i]);
	ls->seed = get_random_u32();
}

/* The flows are gone and no reader is left. */
void tcpstate_listener_net_exit(struct tcpstate_net *tn)
{
	struct tcpstate_listeners *ls = &tn->listeners;
	struct tcpstate_listener *l;
	struct hlist_node *tmp;
	unsigned int i;

	for (i = 0; i < TCPSTATE_LISTENER_BUCKETS; i++) {
		hlist_for_each_entry_safe(l, tmp, &ls->buckets[i], node) {
			hlist_del(&l->node);
			kfree(l);
			atomic_long_dec(&tcpstate_listener_objects);
		}
	}
	ls->count = 0;
}
