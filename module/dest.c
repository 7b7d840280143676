// SPDX-License-Identifier: GPL-2.0
/*
 * dest.c: port pressure per remote destination (address, port).
 *
 * A destination counts the flows whose client is a socket of this host
 * and whose server is that address and port, and of those the clients in
 * TIME_WAIT: each holds one of the namespace's ephemeral ports towards
 * that destination, since the kernel gives a connection a source port
 * unique for its destination. Their share of net.ipv4.ip_local_port_range
 * is the pressure: the GC raises a destination's warning when the share
 * reaches port_pressure_pct and lets it fall under half of that.
 *
 * An entry is made when a local client's first segment from its socket is
 * seen (a new flow), updated when the client's state moves (never on the
 * data path), and freed by the GC once no flow has counted in it for
 * timeout_time_wait_ms.
 *
 * Locking: lookups run under RCU, in a resizable rhashtable (bounded
 * chains), with no lock of the namespace. d->lock (BH) guards an entry's
 * counts, warn and dead; it nests inside flow->lock. A flow that counts in
 * an entry points to it (ext->dest), so the entry lives while flows > 0;
 * the GC unlinks an entry only at flows == 0, setting `dead` under its
 * lock, and frees it after a grace period.
 */
#include <linux/error-injection.h>
#include <linux/rhashtable.h>
#include <linux/time64.h>
#include <net/ip.h>

#include "core.h"
#include "event.h"

static struct kmem_cache *tcpstate_dest_cache __read_mostly;

static const struct rhashtable_params tcpstate_dest_params = {
	.head_offset = offsetof(struct tcpstate_dest, node),
	.key_offset = offsetof(struct tcpstate_dest, key),
	.key_len = sizeof(struct tcpstate_lkey),
	.automatic_shrinking = true,
};

/* The GC looks at this many entries a run, from where it stopped. */
#define TCPSTATE_DEST_GC_BUDGET	1024

/* The size of the namespace's ephemeral port range, at least 1. */
unsigned int tcpstate_dest_ports(struct tcpstate_net *tn)
{
	int lo, hi;

	inet_get_local_port_range(tn->net, &lo, &hi);
	return hi >= lo ? hi - lo + 1 : 1;
}

/* It may fail (tcpstate_alloc()); tests make it fail with fail_function. */
static noinline __noclone struct tcpstate_dest *
tcpstate_dest_alloc(struct tcpstate_net *tn)
{
	return tcpstate_alloc(tn, tcpstate_dest_cache, __GFP_ZERO);
}

ALLOW_ERROR_INJECTION(tcpstate_dest_alloc, NULL);

static void tcpstate_dest_free_rcu(struct rcu_head *head)
{
	kmem_cache_free(tcpstate_dest_cache,
			container_of(head, struct tcpstate_dest, rcu));
}

/*
 * One entry more, within max_destinations and, unless this is the initial
 * namespace, what the others share (as many as listeners).
 */
static bool tcpstate_dest_reserve(struct tcpstate_net *tn, int max)
{
	if (!tcpstate_inc_below(&tn->dests.count, max))
		return false;
	if (tn->shared &&
	    !tcpstate_inc_below(&tcpstate_shared.dests,
				min_t(u32, tcpstate_shared.max_listeners,
				      INT_MAX))) {
		atomic_dec(&tn->dests.count);
		return false;
	}
	return true;
}

static void tcpstate_dest_unreserve(struct tcpstate_net *tn)
{
	atomic_dec(&tn->dests.count);
	if (tn->shared)
		atomic_dec(&tcpstate_shared.dests);
}

/* A new entry for `k`, or one another CPU made first; NULL if no room. */
static struct tcpstate_dest *tcpstate_dest_create(struct tcpstate_net *tn,
						  const struct tcpstate_lkey *k,
						  u64 now)
{
	struct tcpstate_dests *ds = &tn->dests;
	int max = min_t(u32, READ_ONCE(tn->cfg.max_destinations), INT_MAX);
	struct tcpstate_dest *d, *old;

	if (!tcpstate_dest_reserve(tn, max))
		return NULL;
	d = tcpstate_dest_alloc(tn);
	if (unlikely(!d)) {
		tcpstate_stat_inc(tn, TCPSTATE_STAT_ALLOC_FAILED);
		goto err_unreserve;
	}
	d->key = *k;
	spin_lock_init(&d->lock);
	d->last_used = now;
	old = rhashtable_lookup_get_insert_fast(&ds->table, &d->node,
						tcpstate_dest_params);
	if (likely(!old))
		return d;
	kmem_cache_free(tcpstate_dest_cache, d);
	tcpstate_dest_unreserve(tn);
	return IS_ERR(old) ? NULL : old;

err_unreserve:
	tcpstate_dest_unreserve(tn);
	return NULL;
}

/* The entry of `k`: found, made, or the overflow entry. */
static struct tcpstate_dest *tcpstate_dest_get(struct tcpstate_net *tn,
					       const struct tcpstate_lkey *k,
					       u64 now)
{
	struct tcpstate_dest *d;

	d = rhashtable_lookup(&tn->dests.table, k, tcpstate_dest_params);
	if (d)
		return d;
	d = tcpstate_dest_create(tn, k, now);
	if (d)
		return d;
	tcpstate_stat_inc(tn, TCPSTATE_STAT_DESTINATION_OVERFLOW);
	return &tn->dests.overflow;
}

/*
 * A flow whose client is a socket of this host, in client_state, to the
 * server k: count it at k's entry, which it returns (the flow keeps it).
 * An entry the GC unlinked after the lookup is looked up again, once; the
 * overflow entry is the last resort. Under the flow's lock.
 */
struct tcpstate_dest *tcpstate_dest_attach(struct tcpstate_net *tn,
					   const struct tcpstate_lkey *k,
					   u8 client_state, u64 now)
{
	struct tcpstate_dest *d;
	unsigned int tries;

	for (tries = 0;; tries++) {
		d = tries < 2 ? tcpstate_dest_get(tn, k, now) :
				&tn->dests.overflow;
		spin_lock_bh(&d->lock);
		if (!d->dead)
			break;
		spin_unlock_bh(&d->lock);
	}
	d->flows++;
	d->peak = max(d->peak, d->flows);
	if (client_state == TCPSTATE_S_TIME_WAIT)
		d->time_wait++;
	d->last_used = now;
	spin_unlock_bh(&d->lock);
	return d;
}

/*
 * A client counted at d moved from `old_state` to `new_state`. A client
 * gone (CLOSED: its port is free again) or a record ending leaves the
 * entry: then it returns true, and the flow forgets d. Under the flow's
 * lock.
 */
bool tcpstate_dest_move(struct tcpstate_dest *d, u8 old_state, u8 new_state,
			u64 now)
{
	bool left = new_state == TCPSTATE_S_CLOSED ||
		    new_state == TCPSTATE_S_NONE;

	/* only TIME_WAIT and the end change what a destination counts */
	if (old_state != TCPSTATE_S_TIME_WAIT &&
	    new_state != TCPSTATE_S_TIME_WAIT && !left)
		return false;
	spin_lock_bh(&d->lock);
	if (old_state == TCPSTATE_S_TIME_WAIT)
		d->time_wait--;
	if (left) {
		d->flows--;
		d->last_used = now;
	} else if (new_state == TCPSTATE_S_TIME_WAIT) {
		d->time_wait++;
	}
	spin_unlock_bh(&d->lock);
	return left;
}

/*
 * The warning: up at port_pressure_pct of the port range, down under half
 * of it (0: off, down). Returns true if it moved.
 */
static bool tcpstate_dest_pressure(struct tcpstate_dest *d, u32 pct,
				   unsigned int ports)
{
	u64 share = (u64)d->flows * 100;

	lockdep_assert_held(&d->lock);
	if (!d->warn && pct && share >= (u64)pct * ports) {
		d->warn = 1;
		d->warnings++;
		return true;
	}
	if (d->warn && (!pct || share * 2 < (u64)pct * ports)) {
		d->warn = 0;
		return true;
	}
	return false;
}

/* Raise or drop the warning, announce it; unlink an unused entry. */
static void tcpstate_dest_age(struct tcpstate_net *tn, struct tcpstate_dest *d,
			      unsigned int ports, u64 now)
{
	u64 idle = (u64)READ_ONCE(tn->cfg.to.time_wait) * NSEC_PER_MSEC;
	struct tcpstate_dest_view v;
	bool moved, unlink;

	spin_lock_bh(&d->lock);
	moved = tcpstate_dest_pressure(d, READ_ONCE(tn->cfg.port_pressure_pct),
				       ports);
	unlink = !d->dead && d != &tn->dests.overflow && !d->flows &&
		 !d->warn && now - d->last_used > idle;
	if (unlink)
		d->dead = 1;
	if (moved)
		tcpstate_dest_read(d, ports, &v);
	spin_unlock_bh(&d->lock);
	if (moved) {
		if (v.warn)
			tcpstate_stat_inc(tn, TCPSTATE_STAT_PORT_PRESSURE);
		tcpstate_event_dest(tn, &v, now);
	}
	if (!unlink)
		return;
	rhashtable_remove_fast(&tn->dests.table, &d->node,
			       tcpstate_dest_params);
	tcpstate_dest_unreserve(tn);
	call_rcu(&d->rcu, tcpstate_dest_free_rcu);
}

void tcpstate_dest_read(const struct tcpstate_dest *d, unsigned int ports,
			struct tcpstate_dest_view *v)
{
	v->key = d->key;
	v->flows = READ_ONCE(d->flows);
	v->time_wait = READ_ONCE(d->time_wait);
	v->peak = READ_ONCE(d->peak);
	v->warn = READ_ONCE(d->warn);
	v->warnings = READ_ONCE(d->warnings);
	v->ports = ports;
}

struct tcpstate_dest *tcpstate_dest_walk(struct rhashtable_iter *it, bool peek)
{
	struct tcpstate_dest *d;

	for (;;) {
		d = peek ? rhashtable_walk_peek(it) : rhashtable_walk_next(it);
		peek = false;
		if (IS_ERR(d) && PTR_ERR(d) == -EAGAIN)
			continue;	/* resized: go on in the new table */
		if (IS_ERR_OR_NULL(d))
			return NULL;
		if (!READ_ONCE(d->dead))
			return d;
	}
}

/* One GC run: a slice of the table, from where the last one stopped. */
void tcpstate_dest_gc(struct tcpstate_net *tn, u64 now)
{
	struct tcpstate_dests *ds = &tn->dests;
	unsigned int n = 0, ports = tcpstate_dest_ports(tn);
	struct tcpstate_dest *d;

	tcpstate_dest_age(tn, &ds->overflow, ports, now);
	tcpstate_walk_start(&ds->gc_iter);
	while (n++ < TCPSTATE_DEST_GC_BUDGET) {
		d = tcpstate_dest_walk(&ds->gc_iter, false);
		if (!d) {
			rhashtable_walk_stop(&ds->gc_iter);
			rhashtable_walk_exit(&ds->gc_iter);
			rhashtable_walk_enter(&ds->table, &ds->gc_iter);
			return;
		}
		tcpstate_dest_age(tn, d, ports, now);
	}
	rhashtable_walk_stop(&ds->gc_iter);
}

unsigned int tcpstate_dest_count(struct tcpstate_net *tn)
{
	return atomic_read(&tn->dests.count);
}

int tcpstate_dest_net_init(struct tcpstate_net *tn)
{
	struct tcpstate_dests *ds = &tn->dests;
	int err;

	err = rhashtable_init(&ds->table, &tcpstate_dest_params);
	if (err)
		return err;
	atomic_set(&ds->count, 0);
	memset(&ds->overflow, 0, sizeof(ds->overflow));
	spin_lock_init(&ds->overflow.lock);
	rhashtable_walk_enter(&ds->table, &ds->gc_iter);
	return 0;
}

static void tcpstate_dest_destroy(void *ptr, void *arg)
{
	kmem_cache_free(tcpstate_dest_cache, ptr);
}

/* The flows and the GC are gone and no reader is left. */
void tcpstate_dest_net_exit(struct tcpstate_net *tn)
{
	rhashtable_walk_exit(&tn->dests.gc_iter);
	if (tn->shared)
		atomic_sub(atomic_read(&tn->dests.count),
			   &tcpstate_shared.dests);
	rhashtable_free_and_destroy(&tn->dests.table, tcpstate_dest_destroy,
				    NULL);
}

int tcpstate_dest_init(void)
{
	tcpstate_dest_cache = KMEM_CACHE(tcpstate_dest, 0);
	return tcpstate_dest_cache ? 0 : -ENOMEM;
}

/* After every namespace is gone. */
void tcpstate_dest_uninit(void)
{
	rcu_barrier();	/* entries still waiting in call_rcu */
	kmem_cache_destroy(tcpstate_dest_cache);
}
