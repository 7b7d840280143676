// SPDX-License-Identifier: GPL-2.0
/*
 * flow.c: the flow table of a namespace: lookup and creation on the packet
 * path, the fsm update under the flow's lock, eviction when full, and the
 * GC worker that expires flows by deadline.
 *
 * Locking: lookups run under RCU (netfilter hooks hold it). flow->lock
 * (BH) serialises the fsm of one flow, whose two directions may arrive on
 * two CPUs at once; it nests outside the eviction lists' lock and the
 * listener's. The eviction lists are per CPU (struct tcpstate_evict): a
 * flow goes on those of the CPU that created it, and its class changes
 * under their lock. No lock of the whole namespace is taken for a segment
 * or a new flow; only eviction, when the table is full, looks at every
 * CPU's lists. A flow is freed after an RCU grace period once `dead` is set under its lock,
 * which only the one who unlinks it does.
 */
#include <linux/error-injection.h>
#include <linux/jhash.h>
#include <linux/ktime.h>
#include <linux/rhashtable.h>

#include "core.h"
#include "event.h"

static struct kmem_cache *tcpstate_flow_cache __read_mostly;
static struct kmem_cache *tcpstate_flow_ext_cache __read_mostly;
/* Flow objects allocated and not yet freed, in every namespace. */
static atomic_long_t tcpstate_flow_objects = ATOMIC_LONG_INIT(0);

/*
 * The key is hashed and compared by family: an IPv4 key is three words
 * (the rest is zero), so it costs a third of hashing all 40 bytes.
 */
static __always_inline u32 tcpstate_key_hash(const void *data, u32 len,
					     u32 seed)
{
	const struct tcpstate_key *k = data;

	if (k->family == AF_INET)
		return jhash_3words((__force u32)k->addr[0].ip,
				    (__force u32)k->addr[1].ip,
				    tcpstate_key_ports(k), seed);
	return jhash2((const u32 *)k, sizeof(*k) / sizeof(u32), seed);
}

static __always_inline int tcpstate_flow_cmp(struct rhashtable_compare_arg *arg,
					     const void *obj)
{
	const struct tcpstate_flow *flow = obj;

	return !tcpstate_key_equal(arg->key, &flow->key);
}

static const struct rhashtable_params tcpstate_flow_params = {
	.head_offset = offsetof(struct tcpstate_flow, node),
	.key_offset = offsetof(struct tcpstate_flow, key),
	.key_len = sizeof(struct tcpstate_key),
	.hashfn = tcpstate_key_hash,
	.obj_cmpfn = tcpstate_flow_cmp,
	.automatic_shrinking = true,
};

/* Eviction tries at most this many victims before giving up. */
#define TCPSTATE_EVICT_TRIES	8
/* The GC leaves RCU and reschedules after this many flows. */
#define TCPSTATE_GC_BATCH	256
/*
 * A GC run visits TCPSTATE_GC_MIN_VISITS flows or 1/TCPSTATE_GC_PASS of the
 * table, whichever is more, from where the last run stopped: a table of up
 * to 16 384 flows is swept whole every run, a bigger one in at most 8 runs,
 * so that holding a million idle flows does not cost a walk of all of them
 * every second.
 */
#define TCPSTATE_GC_MIN_VISITS	16384
#define TCPSTATE_GC_PASS	8
/* A flush walks the table at most this many times (tcpstate_flow_flush). */
#define TCPSTATE_FLUSH_PASSES	16

/*
 * Ended flows go first, then handshakes never completed and traffic picked
 * up mid-stream whose two directions do not (yet) agree, as a forger's
 * would not; a connection both sides are proven to speak is never evicted.
 */
static enum tcpstate_class tcpstate_flow_class(const struct tcpstate_flow *flow)
{
	const struct tcpstate_fsm *fsm = &flow->fsm;
	u8 a = fsm->state[0], b = fsm->state[1];

	if ((fsm->flags & TCPSTATE_F_ENDED) ||
	    ((a == TCPSTATE_S_CLOSED || a == TCPSTATE_S_TIME_WAIT) &&
	     (b == TCPSTATE_S_CLOSED || b == TCPSTATE_S_TIME_WAIT)))
		return TCPSTATE_CLASS_CLOSED;
	if (fsm->flags & TCPSTATE_F_HANDSHAKE)
		return TCPSTATE_CLASS_NONE;
	if (!(fsm->flags & TCPSTATE_F_MIDSTREAM) || !tcpstate_fsm_trusted(fsm))
		return TCPSTATE_CLASS_HALF_OPEN;
	return TCPSTATE_CLASS_NONE;
}

static struct tcpstate_evict *tcpstate_flow_evict_of(struct tcpstate_net *tn,
						     const struct tcpstate_flow *flow)
{
	return per_cpu_ptr(tn->evict, flow->cpu);
}

static void tcpstate_flow_set_class(struct tcpstate_net *tn,
				    struct tcpstate_flow *flow,
				    enum tcpstate_class class)
{
	struct tcpstate_evict *ev;

	lockdep_assert_held(&flow->lock);
	/* Only an eviction changes the class behind our back, to NONE. */
	if (READ_ONCE(flow->class) == class)
		return;
	ev = tcpstate_flow_evict_of(tn, flow);
	spin_lock_bh(&ev->lock);
	if (flow->class != class) {
		if (flow->class != TCPSTATE_CLASS_NONE)
			list_del(&flow->evict);
		if (class != TCPSTATE_CLASS_NONE)
			list_add_tail(&flow->evict, &ev->list[class]);
		WRITE_ONCE(flow->class, class);
	}
	spin_unlock_bh(&ev->lock);
}

static void tcpstate_flow_free(struct tcpstate_flow *flow)
{
	if (flow->has_ext)
		kmem_cache_free(tcpstate_flow_ext_cache, flow->ext);
	kmem_cache_free(tcpstate_flow_cache, flow);
	atomic_long_dec(&tcpstate_flow_objects);
}

static void tcpstate_flow_free_rcu(struct rcu_head *head)
{
	tcpstate_flow_free(container_of(head, struct tcpstate_flow, rcu));
}

long tcpstate_flow_objects_read(void)
{
	return atomic_long_read(&tcpstate_flow_objects);
}

/* One flow fewer in the namespace and, if it shares, in the host. */
static void tcpstate_flow_uncount(struct tcpstate_net *tn)
{
	atomic_dec(&tn->nflows);
	if (tn->shared)
		atomic_dec(&tcpstate_shared.flows);
}

/* Take a dead flow off the lists and the table; free it after RCU. */
static void tcpstate_flow_unlink(struct tcpstate_net *tn,
				 struct tcpstate_flow *flow)
{
	struct tcpstate_evict *ev = tcpstate_flow_evict_of(tn, flow);

	spin_lock_bh(&ev->lock);
	if (flow->class != TCPSTATE_CLASS_NONE)
		list_del(&flow->evict);
	WRITE_ONCE(flow->class, TCPSTATE_CLASS_NONE);
	spin_unlock_bh(&ev->lock);

	rhashtable_remove_fast(&tn->flows, &flow->node, tcpstate_flow_params);
	tcpstate_flow_uncount(tn);
	call_rcu(&flow->rcu, tcpstate_flow_free_rcu);
}

/* Account for what one fsm step did: gauges, counters, the listener. */
/* The endpoint gauges' role of fsm direction d: 0 the client, 1 the server. */
static unsigned int tcpstate_flow_role(const struct tcpstate_flow *flow,
				       unsigned int d)
{
	return d != flow->roles_orig;
}

/*
 * The segment made the other side the client (a SYN or SYN-ACK after a
 * flow picked up mid-stream): each endpoint, in the state it had, is
 * counted under its new role.
 */
static noinline void tcpstate_flow_swap_roles(struct tcpstate_net *tn,
					      struct tcpstate_flow *flow,
					      const struct tcpstate_result *res)
{
	unsigned int d, s;

	for (d = 0; d < 2; d++) {
		s = res->events & (TCPSTATE_EV_TRANS0 << d) ?
			res->old_state[d] : flow->fsm.state[d];
		this_cpu_dec(tn->stats->endpoints[tcpstate_flow_role(flow, d)][s]);
		this_cpu_inc(tn->stats->endpoints[!tcpstate_flow_role(flow, d)][s]);
	}
	flow->roles_orig ^= 1;
}

/*
 * Under the flow's lock: what the listener table is told of it. orig is
 * the fsm's originator direction; the other end is the server.
 */
static void tcpstate_flow_lflow(struct tcpstate_flow *flow, unsigned int orig,
				struct tcpstate_lflow *lf)
{
	unsigned int s = flow->dir0 ^ orig ^ 1;	/* the server's key side */

	lockdep_assert_held(&flow->lock);
	lf->fsm = &flow->fsm;
	lf->saddr = &flow->key.addr[s];
	lf->owner = tcpstate_flow_owner(flow, s);
	lf->slot = tcpstate_flow_listener(flow);
	lf->sport = flow->key.port[s];
	lf->family = flow->key.family;
	lf->dead = flow->dead;
}

static void tcpstate_flow_account(struct tcpstate_net *tn,
				  struct tcpstate_flow *flow,
				  const struct tcpstate_result *res, u64 now)
{
	unsigned int orig = tcpstate_fsm_orig_dir(&flow->fsm);
	struct tcpstate_lflow lf;
	u16 ev = res->events;
	unsigned int d;

	if (unlikely(orig != flow->roles_orig))
		tcpstate_flow_swap_roles(tn, flow, res);
	for (d = 0; d < 2; d++) {
		if (!(ev & (TCPSTATE_EV_TRANS0 << d)))
			continue;
		tcpstate_endpoint_move(tn, tcpstate_flow_role(flow, d),
				       res->old_state[d], res->new_state[d]);
		if (d == orig && unlikely(flow->has_ext && flow->ext->dest) &&
		    tcpstate_dest_move(flow->ext->dest, res->old_state[d],
				       res->new_state[d], now))
			flow->ext->dest = NULL;
	}
	/* an endpoint that moved is not stuck (bit d: direction d) */
	BUILD_BUG_ON(TCPSTATE_EV_TRANS0 != BIT(0) || TCPSTATE_EV_TRANS1 != BIT(1));
	if (unlikely(flow->stuck))
		flow->stuck &= ~(ev & (TCPSTATE_EV_TRANS0 | TCPSTATE_EV_TRANS1));
	if (ev & TCPSTATE_EV_INVALID) {
		tcpstate_stat_inc(tn, TCPSTATE_STAT_INVALID);
		if (res->invalid == TCPSTATE_INV_RST_OUT_OF_WINDOW)
			tcpstate_stat_inc(tn, TCPSTATE_STAT_RST_OUT_OF_WINDOW);
	}
	if (ev & TCPSTATE_EV_RETRANS)
		tcpstate_stat_add(tn, TCPSTATE_STAT_RETRANSMISSIONS,
				  res->rtx_segs);
	if (ev & TCPSTATE_EV_KEEPALIVE)
		tcpstate_stat_inc(tn, TCPSTATE_STAT_KEEPALIVES);
	if (ev & TCPSTATE_EV_HANDSHAKE)
		tcpstate_stat_inc(tn, TCPSTATE_STAT_HANDSHAKES);
	if ((ev & TCPSTATE_EV_FIRST) &&
	    (flow->fsm.flags & TCPSTATE_F_MIDSTREAM))
		tcpstate_stat_inc(tn, TCPSTATE_STAT_FLOWS_MIDSTREAM);
	if (ev & TCPSTATE_EV_FLOW_END)
		tcpstate_stat_inc(tn, TCPSTATE_STAT_FLOWS_ENDED);
	tcpstate_flow_lflow(flow, orig, &lf);
	tcpstate_listener_update(tn, &lf, res, now);
	tcpstate_event_flow(tn, flow, res, now);
}

/* The record ends: its client no longer holds a port. */
static void tcpstate_flow_undest(struct tcpstate_net *tn,
				 struct tcpstate_flow *flow, u64 now)
{
	if (likely(!flow->has_ext || !flow->ext->dest))
		return;
	tcpstate_dest_move(flow->ext->dest,
			   flow->fsm.state[tcpstate_fsm_orig_dir(&flow->fsm)],
			   TCPSTATE_S_NONE, now);
	flow->ext->dest = NULL;
}

/*
 * A SYN on a 4-tuple whose connection is over: the old record ends and the
 * same object starts the new incarnation with this segment.
 */
static void tcpstate_flow_reincarnate(struct tcpstate_net *tn,
				      struct tcpstate_flow *flow,
				      const struct tcpstate_seg *seg,
				      struct tcpstate_result *res)
{
	unsigned int d;

	tcpstate_stat_inc(tn, TCPSTATE_STAT_FLOWS_REUSED);
	if (res->events & TCPSTATE_EV_TW_REUSE)
		tcpstate_stat_inc(tn, TCPSTATE_STAT_TIME_WAIT_REUSED);
	tcpstate_flow_undest(tn, flow, seg->tstamp);
	for (d = 0; d < 2; d++)
		tcpstate_endpoint_move(tn, tcpstate_flow_role(flow, d),
				       flow->fsm.state[d], TCPSTATE_S_NONE);
	tcpstate_fsm_restart(&flow->fsm, seg, res);
	flow->stuck = 0;
}

static void tcpstate_flow_step(struct tcpstate_net *tn,
			       struct tcpstate_flow *flow,
			       const struct tcpstate_seg *seg, unsigned int side,
			       struct tcpstate_result *res)
{
	lockdep_assert_held(&flow->lock);
	tcpstate_flow_account(tn, flow, res, seg->tstamp);
	if (res->events & TCPSTATE_EV_NEW_INC) {
		tcpstate_flow_reincarnate(tn, flow, seg, res);
		tcpstate_flow_account(tn, flow, res, seg->tstamp);
	}
	if ((seg->flags & (TCPSTATE_TH_SYN | TCPSTATE_TH_ACK |
			   TCPSTATE_TH_RST)) == TCPSTATE_TH_SYN)
		tcpstate_listener_syn(tn, &flow->key, side ^ 1,
				      res->events & TCPSTATE_EV_OVERFLOW,
				      seg->tstamp);
	tcpstate_flow_set_class(tn, flow, tcpstate_flow_class(flow));
}

/*
 * Whether a server took the third ACK shows on the wire only once it
 * sends something: until then, where it is a socket of this host, the
 * socket says (a request socket under TCP_DEFER_ACCEPT or a full accept
 * queue; a full one once the queue drained). The GC and dumps ask, under
 * the flow's lock, for those servers only.
 */
void tcpstate_flow_settle(struct tcpstate_net *tn, struct tcpstate_flow *flow,
			  u64 now)
{
	struct tcpstate_result res;
	unsigned int side;

	lockdep_assert_held(&flow->lock);
	if (likely(!tcpstate_fsm_unproven(&flow->fsm)) || flow->dead)
		return;
	side = flow->dir0 ^ tcpstate_fsm_orig_dir(&flow->fsm) ^ 1;
	tcpstate_fsm_socket(&flow->fsm,
			    tcpstate_sock_state(tn->net, &flow->key, side),
			    now, &res);
	if (!res.events)
		return;
	tcpstate_flow_account(tn, flow, &res, now);
	tcpstate_flow_set_class(tn, flow, tcpstate_flow_class(flow));
}

/* Under the flow's lock: end the record for good; the caller unlinks it. */
static void tcpstate_flow_kill(struct tcpstate_net *tn,
			       struct tcpstate_flow *flow,
			       const struct tcpstate_result *res, u64 now)
{
	unsigned int d;

	lockdep_assert_held(&flow->lock);
	flow->dead = 1;
	tcpstate_flow_account(tn, flow, res, now);
	tcpstate_flow_undest(tn, flow, now);
	for (d = 0; d < 2; d++)
		this_cpu_dec(tn->stats->endpoints[tcpstate_flow_role(flow, d)]
						 [flow->fsm.state[d]]);
}

/* The oldest flow of `class` on one CPU's lists, taken off them. */
static struct tcpstate_flow *tcpstate_flow_victim(struct tcpstate_evict *ev,
						  unsigned int class)
{
	struct tcpstate_flow *victim;

	if (list_empty(&ev->list[class]))	/* racy: a hint */
		return NULL;
	spin_lock_bh(&ev->lock);
	victim = list_first_entry_or_null(&ev->list[class],
					  struct tcpstate_flow, evict);
	if (victim) {
		list_del(&victim->evict);
		WRITE_ONCE(victim->class, TCPSTATE_CLASS_NONE);
	}
	spin_unlock_bh(&ev->lock);
	return victim;
}

/*
 * Pick a flow of the first class any CPU has, this CPU's first, the
 * oldest of that CPU's, and end it.
 */
static bool tcpstate_flow_evict(struct tcpstate_net *tn, u64 now)
{
	unsigned int c, i, n = nr_cpu_ids, first = raw_smp_processor_id();
	struct tcpstate_flow *victim = NULL;
	struct tcpstate_result res;
	int cpu;

	for (c = 0; c < TCPSTATE_CLASS_NR && !victim; c++) {
		for (i = 0; i < n && !victim; i++) {
			cpu = (first + i) % n;
			if (cpu_possible(cpu))
				victim = tcpstate_flow_victim(per_cpu_ptr(tn->evict, cpu), c);
		}
	}
	if (!victim)
		return false;

	spin_lock_bh(&victim->lock);
	if (victim->dead) {
		/* its killer frees the room: as good as an eviction */
		spin_unlock_bh(&victim->lock);
		return true;
	}
	tcpstate_fsm_close(&victim->fsm, now, TCPSTATE_CLOSE_EVICTED, &res);
	tcpstate_flow_kill(tn, victim, &res, now);
	spin_unlock_bh(&victim->lock);

	tcpstate_stat_inc(tn, TCPSTATE_STAT_FLOWS_EVICTED);
	tcpstate_flow_unlink(tn, victim);
	return true;
}

/*
 * One flow more in the namespace, within its max_flows, and, unless it is
 * the initial namespace, within what all the others share.
 */
static bool tcpstate_flow_inc_below(struct tcpstate_net *tn, int max)
{
	if (!tcpstate_inc_below(&tn->nflows, max))
		return false;
	if (tn->shared &&
	    !tcpstate_inc_below(&tcpstate_shared.flows,
				min_t(u32, tcpstate_shared.max_flows, INT_MAX))) {
		atomic_dec(&tn->nflows);
		return false;
	}
	return true;
}

/* Room for one more flow, evicting if needed. */
static bool tcpstate_flow_reserve(struct tcpstate_net *tn, u64 now)
{
	int max = min_t(u32, READ_ONCE(tn->cfg.max_flows), INT_MAX);
	unsigned int i;

	if (tcpstate_flow_inc_below(tn, max))
		return true;
	/* Another CPU may take the room an eviction makes: try again. */
	for (i = 0; i < TCPSTATE_EVICT_TRIES; i++) {
		if (!tcpstate_flow_evict(tn, now))
			break;
		if (tcpstate_flow_inc_below(tn, max))
			return true;
	}
	tcpstate_stat_inc(tn, TCPSTATE_STAT_TABLE_FULL);
	return false;
}

/* It may fail (tcpstate_alloc()); tests make it fail with fail_function. */
static noinline __noclone struct tcpstate_flow *
tcpstate_flow_alloc(struct tcpstate_net *tn)
{
	return tcpstate_alloc(tn, tcpstate_flow_cache, 0);
}

ALLOW_ERROR_INJECTION(tcpstate_flow_alloc, NULL);

/*
 * The table refuses an insertion when it had to grow and could not
 * (-ENOMEM); tests make it refuse with fail_function.
 */
static noinline __noclone struct tcpstate_flow *
tcpstate_flow_insert(struct tcpstate_net *tn, struct tcpstate_flow *flow)
{
	return rhashtable_lookup_get_insert_fast(&tn->flows, &flow->node,
						 tcpstate_flow_params);
}

ALLOW_ERROR_INJECTION(tcpstate_flow_insert, ERRNO);

/* A RST or a nonsense flag set starts nothing: there is no connection. */
static bool tcpstate_flow_starts(u8 flags)
{
	if (flags & TCPSTATE_TH_RST)
		return false;
	if ((flags & (TCPSTATE_TH_SYN | TCPSTATE_TH_FIN)) ==
	    (TCPSTATE_TH_SYN | TCPSTATE_TH_FIN))
		return false;
	return flags & (TCPSTATE_TH_SYN | TCPSTATE_TH_ACK);
}

/* Out of line: the lookup path stays small and needs no stack canary. */
static noinline struct tcpstate_flow *
tcpstate_flow_create(struct tcpstate_net *tn, const struct tcpstate_key *key,
		     unsigned int side, const struct tcpstate_seg *seg)
{
	struct tcpstate_flow *flow, *old;

	if (!tcpstate_flow_starts(seg->flags)) {
		tcpstate_stat_inc(tn, TCPSTATE_STAT_NO_FLOW);
		return NULL;
	}
	if (!tcpstate_flow_reserve(tn, seg->tstamp))
		goto err_not_tracked;

	flow = tcpstate_flow_alloc(tn);
	if (unlikely(!flow)) {
		tcpstate_stat_inc(tn, TCPSTATE_STAT_ALLOC_FAILED);
		goto err_unreserve;
	}
	atomic_long_inc(&tcpstate_flow_objects);
	flow->key = *key;
	spin_lock_init(&flow->lock);
	flow->dir0 = side;
	flow->class = TCPSTATE_CLASS_NONE;
	flow->dead = 0;
	flow->has_ext = 0;
	flow->owner_seen = 0;
	flow->cpu = raw_smp_processor_id();
	flow->listener = NULL;
	tcpstate_fsm_init(&flow->fsm, seg->tstamp);

	old = tcpstate_flow_insert(tn, flow);
	if (unlikely(old)) {
		/* Another CPU inserted it first, or the table said no. */
		tcpstate_flow_free(flow);
		tcpstate_flow_uncount(tn);
		if (!IS_ERR(old))
			return old;
		if (PTR_ERR(old) == -ENOMEM)
			tcpstate_stat_inc(tn, TCPSTATE_STAT_ALLOC_FAILED);
		goto err_not_tracked;
	}
	this_cpu_inc(tn->stats->endpoints[0][TCPSTATE_S_NONE]);
	this_cpu_inc(tn->stats->endpoints[1][TCPSTATE_S_NONE]);
	tcpstate_stat_inc(tn, TCPSTATE_STAT_FLOWS_CREATED);
	return flow;

err_unreserve:
	tcpstate_flow_uncount(tn);
err_not_tracked:
	tcpstate_stat_inc(tn, TCPSTATE_STAT_FLOWS_NOT_TRACKED);
	return NULL;
}

/*
 * The fast path needs the time only to 2^24 ns (t_last): it reads a
 * per-CPU copy of the clock, refreshed once a jiffy, not the clocksource.
 */
struct tcpstate_clock {
	unsigned long jiffies;
	u64 ns;
};

static DEFINE_PER_CPU(struct tcpstate_clock, tcpstate_clock);

static noinline void tcpstate_clock_refresh(struct tcpstate_clock *c,
					    unsigned long now)
{
	c->jiffies = now;
	c->ns = ktime_get_ns();
}

/* BH, so preemption, is off: this CPU's copy is ours. */
static u64 tcpstate_clock_coarse(void)
{
	struct tcpstate_clock *c = this_cpu_ptr(&tcpstate_clock);
	unsigned long now = READ_ONCE(jiffies);

	/* Not time_after(): any change, even after a wrap, refreshes it. */
	if (unlikely(now - c->jiffies))
		tcpstate_clock_refresh(c, now);
	return c->ns;
}

/* It may fail (tcpstate_alloc()); tests make it fail with fail_function. */
static noinline __noclone struct tcpstate_flow_ext *
tcpstate_flow_ext_alloc(struct tcpstate_net *tn)
{
	return tcpstate_alloc(tn, tcpstate_flow_ext_cache, __GFP_ZERO);
}

ALLOW_ERROR_INJECTION(tcpstate_flow_ext_alloc, NULL);

/*
 * The first segment key side `side` sends from a socket of this host:
 * record who owns the socket (a request socket's listener, for a
 * SYN-ACK). The kernel's own sockets (RSTs to closed ports, TIME_WAIT
 * ACKs) own nothing; a later segment may come from the real one.
 */
static noinline void tcpstate_flow_own(struct tcpstate_net *tn,
				       struct tcpstate_flow *flow,
				       unsigned int side, struct sock *sk)
{
	struct tcpstate_flow_ext *ext;
	struct tcpstate_owner o;

	lockdep_assert_held(&flow->lock);
	if (!tcpstate_sock_owner(sk, &o))
		return;
	flow->owner_seen |= BIT(side);
	if (!flow->has_ext) {
		ext = tcpstate_flow_ext_alloc(tn);
		if (unlikely(!ext)) {
			tcpstate_stat_inc(tn, TCPSTATE_STAT_ALLOC_FAILED);
			return;
		}
		ext->listener = flow->listener;
		flow->ext = ext;
		flow->has_ext = 1;
	}
	flow->ext->owner[side] = o;
}

/*
 * The flow's client is a socket of this host: count it at its server's
 * destination, from its first segment (a SYN, or for a flow picked up
 * mid-stream its first seen) until it is gone.
 */
static void tcpstate_flow_dest(struct tcpstate_net *tn,
			       struct tcpstate_flow *flow, u64 now)
{
	const union tcpstate_addr *caddr, *saddr;
	u8 state = flow->fsm.state[tcpstate_fsm_orig_dir(&flow->fsm)];
	struct tcpstate_lkey k;
	__be16 cport, sport;

	if (state == TCPSTATE_S_CLOSED || state == TCPSTATE_S_NONE ||
	    (flow->fsm.flags & TCPSTATE_F_ENDED && state != TCPSTATE_S_TIME_WAIT))
		return;
	tcpstate_flow_endpoints(flow, &caddr, &cport, &saddr, &sport);
	memset(&k, 0, sizeof(k));
	k.addr = *saddr;
	k.port = sport;
	k.family = flow->key.family;
	flow->ext->dest = tcpstate_dest_attach(tn, &k, state, now);
}

/*
 * Under the flow's lock: any segment tcpstate_fsm_fast() refused. Each
 * side's first segment of a kind (SYN, SYN-ACK, first ACK, first data)
 * comes here, so its socket's owner is read here, never on the fast path.
 */
static noinline void tcpstate_flow_slow(struct tcpstate_net *tn,
					struct tcpstate_flow *flow,
					const struct tcpstate_seg *seg,
					unsigned int side, struct sock *sk)
{
	struct tcpstate_result res;

	if (sk && !(flow->owner_seen & BIT(side)))
		tcpstate_flow_own(tn, flow, side, sk);

	tcpstate_fsm_slow(&flow->fsm, seg, &res);
	if (res.events)
		tcpstate_flow_step(tn, flow, seg, side, &res);
	if (unlikely(sk) && tcpstate_flow_owner(flow, side) &&
	    !flow->ext->dest &&
	    side == (flow->dir0 ^ tcpstate_fsm_orig_dir(&flow->fsm)))
		tcpstate_flow_dest(tn, flow, seg->tstamp);
}

/*
 * One segment sent by key side `side`, whose time is read here; `sk` is
 * the socket of this host that sent it, if any. Called under RCU from the
 * hooks. The lock is held only around the fsm step. The fast path reads
 * the coarse clock; any other segment, the precise one, once (a new flow
 * reads it before it is created).
 */
void tcpstate_flow_segment(struct tcpstate_net *tn,
			   const struct tcpstate_key *key, unsigned int side,
			   struct tcpstate_seg *seg, struct sock *sk)
{
	struct tcpstate_flow *flow;
	bool retried = false;
	u64 now = 0;

again:
	flow = rhashtable_lookup(&tn->flows, key, tcpstate_flow_params);
	if (unlikely(!flow)) {
		now = ktime_get_ns();
		seg->tstamp = now;
		flow = tcpstate_flow_create(tn, key, side, seg);
		if (!flow)
			return;
	}

	spin_lock_bh(&flow->lock);
	if (unlikely(flow->dead)) {
		/* Lost a race with the GC or an eviction: start anew. */
		spin_unlock_bh(&flow->lock);
		if (retried)
			return;
		retried = true;
		goto again;
	}
	seg->dir = side != flow->dir0;
	seg->tstamp = tcpstate_clock_coarse();
	if (!tcpstate_fsm_fast(&flow->fsm, seg)) {
		seg->tstamp = now ?: ktime_get_ns();
		tcpstate_flow_slow(tn, flow, seg, side, sk);
	}
	spin_unlock_bh(&flow->lock);
}

/* The owner of a local server still in its handshake: its listener's. */
static void tcpstate_flow_listener_owner(const struct tcpstate_flow *flow,
					 struct tcpstate_owner *o)
{
	struct tcpstate_listener *l = tcpstate_flow_listener_of(flow);

	if (!l)
		return;
	spin_lock_bh(&l->lock);
	*o = l->owner;
	spin_unlock_bh(&l->lock);
}

/*
 * Under the flow's lock: its snapshot, with its owners' uids to be shown
 * as `uns` sees them.
 */
void tcpstate_flow_read(const struct tcpstate_flow *flow,
			struct tcpstate_flow_snap *f,
			struct user_namespace *uns)
{
	const union tcpstate_addr *caddr, *saddr;
	const struct tcpstate_owner *o;
	unsigned int c, i;

	lockdep_assert_held(&flow->lock);
	f->fsm = flow->fsm;
	f->family = flow->key.family;
	f->uns = uns;
	tcpstate_flow_endpoints(flow, &caddr, &f->port[0], &saddr, &f->port[1]);
	f->addr[0] = *caddr;
	f->addr[1] = *saddr;
	c = tcpstate_fsm_orig_dir(&flow->fsm);
	f->stuck = (flow->stuck >> c & 1) | (flow->stuck >> (c ^ 1) & 1) << 1;
	c ^= flow->dir0;	/* the client's key side */
	for (i = 0; i < 2; i++) {
		o = tcpstate_flow_owner(flow, c ^ i);
		if (o)
			f->owner[i] = *o;
		else
			f->owner[i].known = 0;
	}
	if (!f->owner[1].known)
		tcpstate_flow_listener_owner(flow, &f->owner[1]);
}

/*
 * The snapshot of a flow found under RCU, its server's socket asked first
 * (tcpstate_flow_settle()). False if the flow is gone.
 */
bool tcpstate_flow_snapshot(struct tcpstate_net *tn,
			    struct tcpstate_flow *flow,
			    struct tcpstate_flow_snap *snap,
			    struct user_namespace *uns, u64 now)
{
	bool alive;

	spin_lock_bh(&flow->lock);
	tcpstate_flow_settle(tn, flow, now);
	alive = !flow->dead;
	if (alive)
		tcpstate_flow_read(flow, snap, uns);
	spin_unlock_bh(&flow->lock);
	return alive;
}

/* The flow of a canonical key, or NULL. Under RCU; it may be dead. */
struct tcpstate_flow *tcpstate_flow_lookup(struct tcpstate_net *tn,
					   const struct tcpstate_key *key)
{
	return rhashtable_lookup(&tn->flows, key, tcpstate_flow_params);
}

/* What stuck_*_ms applies to a state, or -1. */
static int tcpstate_stuck_kind(u8 state)
{
	switch (state) {
	case TCPSTATE_S_SYN_RECEIVED:
		return TCPSTATE_STUCK_SYN_RECV;
	case TCPSTATE_S_CLOSE_WAIT:
		return TCPSTATE_STUCK_CLOSE_WAIT;
	case TCPSTATE_S_FIN_WAIT_2:
		return TCPSTATE_STUCK_FIN_WAIT_2;
	case TCPSTATE_S_LAST_ACK:
		return TCPSTATE_STUCK_LAST_ACK;
	default:
		return -1;
	}
}

/*
 * Since when endpoint `d` is where the record says: SYN_RECEIVED since
 * its SYN-ACK, CLOSE_WAIT since the peer's FIN, FIN_WAIT_2 and LAST_ACK
 * since its own FIN. A record picked up later counts from its start.
 */
static u64 tcpstate_stuck_since(const struct tcpstate_fsm *fsm,
				unsigned int d, int kind)
{
	bool client = d == tcpstate_fsm_orig_dir(fsm);
	enum tcpstate_ts ts;
	u64 t;

	if (kind == TCPSTATE_STUCK_SYN_RECV)
		ts = TCPSTATE_TS_SYNACK;
	else if (kind == TCPSTATE_STUCK_CLOSE_WAIT)
		ts = client ? TCPSTATE_TS_FIN_SERVER : TCPSTATE_TS_FIN_CLIENT;
	else
		ts = client ? TCPSTATE_TS_FIN_CLIENT : TCPSTATE_TS_FIN_SERVER;
	t = tcpstate_fsm_time(fsm, ts);
	return t ?: tcpstate_fsm_time(fsm, TCPSTATE_TS_START);
}

/*
 * The GC, under the flow's lock: an endpoint in one state past its
 * stuck_*_ms is stuck, counted and announced once, until it moves.
 */
static void tcpstate_flow_stuck(struct tcpstate_net *tn,
				struct tcpstate_flow *flow, u64 now)
{
	struct tcpstate_lflow lf;
	unsigned int d;
	int kind;
	u32 ms;

	lockdep_assert_held(&flow->lock);
	for (d = 0; d < 2; d++) {
		kind = tcpstate_stuck_kind(flow->fsm.state[d]);
		if (kind < 0 || (flow->stuck & BIT(d)) ||
		    (flow->fsm.flags & TCPSTATE_F_ENDED))
			continue;
		ms = READ_ONCE(tn->cfg.stuck_ms[kind]);
		if (!ms || now < tcpstate_stuck_since(&flow->fsm, d, kind) +
				 (u64)ms * NSEC_PER_MSEC)
			continue;
		flow->stuck |= BIT(d);
		tcpstate_stat_inc(tn, TCPSTATE_STAT_STUCK_SYN_RECV + kind);
		tcpstate_flow_lflow(flow, tcpstate_fsm_orig_dir(&flow->fsm),
				    &lf);
		tcpstate_listener_stuck(tn, &lf);
		tcpstate_event_stuck(tn, flow, d, now);
	}
}

/*
 * End and unlink one flow if it is past its deadline (or if forced).
 * Returns whether it did.
 */
static bool tcpstate_flow_reap(struct tcpstate_net *tn,
			       struct tcpstate_flow *flow, u64 now, bool flush)
{
	struct tcpstate_result res;

	spin_lock_bh(&flow->lock);
	if (flow->dead) {
		spin_unlock_bh(&flow->lock);
		return false;
	}
	if (flush) {
		tcpstate_fsm_close(&flow->fsm, now, TCPSTATE_CLOSE_FLUSHED,
				   &res);
	} else {
		tcpstate_flow_settle(tn, flow, now);
		tcpstate_flow_stuck(tn, flow, now);
		if (!tcpstate_fsm_expire(&flow->fsm, now, &tn->cfg.to, &res)) {
			spin_unlock_bh(&flow->lock);
			return false;
		}
	}
	tcpstate_flow_kill(tn, flow, &res, now);
	spin_unlock_bh(&flow->lock);

	tcpstate_stat_inc(tn, flush ? TCPSTATE_STAT_FLOWS_FLUSHED :
			  TCPSTATE_STAT_FLOWS_EXPIRED);
	tcpstate_flow_unlink(tn, flow);
	return true;
}

/*
 * Reap up to `budget` flows from where `iter` stands, leaving RCU and
 * rescheduling between batches. Returns how many it visited: fewer than
 * `budget` when it reached the end of the table; *reaped, how many of
 * them it ended.
 */
static unsigned int tcpstate_flow_visit(struct tcpstate_net *tn,
					struct rhashtable_iter *iter,
					unsigned int budget, bool flush,
					unsigned int *reaped)
{
	struct tcpstate_flow *flow;
	unsigned int n = 0;
	u64 now = ktime_get_ns();

	*reaped = 0;

	tcpstate_walk_start(iter);
	while (n < budget) {
		flow = rhashtable_walk_next(iter);
		if (IS_ERR(flow) && PTR_ERR(flow) == -EAGAIN)
			continue;	/* resized: the walk goes on in the new table */
		if (IS_ERR_OR_NULL(flow))
			break;
		*reaped += tcpstate_flow_reap(tn, flow, now, flush);
		if (++n % TCPSTATE_GC_BATCH == 0) {
			rhashtable_walk_stop(iter);
			cond_resched();
			tcpstate_walk_start(iter);
		}
	}
	rhashtable_walk_stop(iter);
	return n;
}

/*
 * One GC run: at most `budget` flows, from where the last run stopped; a
 * run that reaches the end of the table starts the next pass. Only the GC
 * work (never two at once) and the namespace's init and exit use gc_iter.
 */
static void tcpstate_flow_gc_slice(struct tcpstate_net *tn,
				   unsigned int budget)
{
	unsigned int reaped;

	if (tcpstate_flow_visit(tn, &tn->gc_iter, budget, false, &reaped) <
	    budget) {
		rhashtable_walk_exit(&tn->gc_iter);
		rhashtable_walk_enter(&tn->flows, &tn->gc_iter);
	}
}

static void tcpstate_flow_gc(struct work_struct *work)
{
	struct tcpstate_net *tn = container_of(to_delayed_work(work),
					       struct tcpstate_net, gc_work);
	unsigned int n = atomic_read(&tn->nflows);

	tcpstate_flow_gc_slice(tn, max_t(unsigned int, TCPSTATE_GC_MIN_VISITS,
					 n / TCPSTATE_GC_PASS + 1));
	tcpstate_listener_gc(tn, ktime_get_ns());
	tcpstate_dest_gc(tn, ktime_get_ns());
	queue_delayed_work(system_power_efficient_wq, &tn->gc_work,
			   msecs_to_jiffies(READ_ONCE(tcpstate_gc_interval_ms)));
}

/*
 * End every flow of the namespace now; returns how many. A resize during
 * the walk (it leaves RCU every TCPSTATE_GC_BATCH flows) may move flows
 * behind it: walk again until a walk ends nothing. New flows arriving all
 * the while bound the number of walks, not the result for the flows that
 * were there.
 */
unsigned int tcpstate_flow_flush(struct tcpstate_net *tn)
{
	struct rhashtable_iter iter;
	unsigned int n = 0, reaped, pass;

	for (pass = 0; pass < TCPSTATE_FLUSH_PASSES; pass++) {
		rhashtable_walk_enter(&tn->flows, &iter);
		tcpstate_flow_visit(tn, &iter, UINT_MAX, true, &reaped);
		rhashtable_walk_exit(&iter);
		n += reaped;
		if (!reaped)
			break;
	}
	return n;
}

unsigned int tcpstate_flow_count(struct tcpstate_net *tn)
{
	return atomic_read(&tn->nflows);
}

int tcpstate_flow_net_init(struct tcpstate_net *tn)
{
	struct tcpstate_evict *ev;
	unsigned int c;
	int cpu, err;

	tn->evict = alloc_percpu(struct tcpstate_evict);
	if (!tn->evict)
		return -ENOMEM;
	err = rhashtable_init(&tn->flows, &tcpstate_flow_params);
	if (err) {
		free_percpu(tn->evict);
		return err;
	}
	atomic_set(&tn->nflows, 0);
	for_each_possible_cpu(cpu) {
		ev = per_cpu_ptr(tn->evict, cpu);
		spin_lock_init(&ev->lock);
		for (c = 0; c < TCPSTATE_CLASS_NR; c++)
			INIT_LIST_HEAD(&ev->list[c]);
	}
	rhashtable_walk_enter(&tn->flows, &tn->gc_iter);
	INIT_DELAYED_WORK(&tn->gc_work, tcpstate_flow_gc);
	queue_delayed_work(system_power_efficient_wq, &tn->gc_work,
			   msecs_to_jiffies(tcpstate_gc_interval_ms));
	return 0;
}

static void tcpstate_flow_destroy(void *ptr, void *arg)
{
	tcpstate_flow_free(ptr);
}

/* The hooks are gone and no reader is left: free what remains. */
void tcpstate_flow_net_exit(struct tcpstate_net *tn)
{
	cancel_delayed_work_sync(&tn->gc_work);
	rhashtable_walk_exit(&tn->gc_iter);
	if (tn->shared)
		atomic_sub(atomic_read(&tn->nflows), &tcpstate_shared.flows);
	rhashtable_free_and_destroy(&tn->flows, tcpstate_flow_destroy, NULL);
	free_percpu(tn->evict);
}

int tcpstate_flow_init(void)
{
	BUILD_BUG_ON(sizeof(struct tcpstate_fsm) > TCPSTATE_FSM_SIZE_MAX);
	tcpstate_flow_cache = KMEM_CACHE(tcpstate_flow, SLAB_HWCACHE_ALIGN);
	if (!tcpstate_flow_cache)
		return -ENOMEM;
	tcpstate_flow_ext_cache = KMEM_CACHE(tcpstate_flow_ext, 0);
	if (!tcpstate_flow_ext_cache) {
		kmem_cache_destroy(tcpstate_flow_cache);
		return -ENOMEM;
	}
	return 0;
}

void tcpstate_flow_uninit(void)
{
	rcu_barrier();	/* flows still waiting in call_rcu */
	kmem_cache_destroy(tcpstate_flow_ext_cache);
	kmem_cache_destroy(tcpstate_flow_cache);
}
