// SPDX-License-Identifier: GPL-2.0
/*
 * listener.c: half-open (SYN queue) statistics per listening endpoint and
 * the SYN-flood flag.
 *
 * An entry is created for a SYN-ACK that answers a SYN the namespace saw,
 * updated only at handshake events (never on the data path), and freed by
 * the GC once it has nothing half-open and has been idle long enough.
 *
 * Locking: lookups run under RCU, in a resizable rhashtable (bounded
 * chains), with no lock of the namespace. l->lock (BH) guards an entry's
 * counters and `dead`; it nests inside flow->lock. A flow that counts in
 * an entry's half_open points to it (tcpstate_lflow.slot), so the entry
 * lives while half_open > 0; the GC unlinks an entry only at
 * half_open == 0,
 * setting `dead` under its lock, and frees it after a grace period.
 */
#include <linux/error-injection.h>
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/net.h>
#include <linux/rhashtable.h>
#include <linux/time64.h>

#include "core.h"

static struct kmem_cache *tcpstate_listener_cache __read_mostly;
/* Listener entries allocated and not yet freed, in every namespace. */
static atomic_long_t tcpstate_listener_objects = ATOMIC_LONG_INIT(0);

static const struct rhashtable_params tcpstate_listener_params = {
	.head_offset = offsetof(struct tcpstate_listener, node),
	.key_offset = offsetof(struct tcpstate_listener, key),
	.key_len = sizeof(struct tcpstate_lkey),
	.automatic_shrinking = true,
};

/* The GC looks at this many entries a run, from where it stopped. */
#define TCPSTATE_LISTENER_GC_BUDGET	1024

long tcpstate_listener_objects_read(void)
{
	return atomic_long_read(&tcpstate_listener_objects);
}

unsigned int tcpstate_listener_count(struct tcpstate_net *tn)
{
	return atomic_read(&tn->listeners.count);
}

static void tcpstate_lkey_of(struct tcpstate_lkey *k, u8 family,
			     const union tcpstate_addr *addr, __be16 port)
{
	memset(k, 0, sizeof(*k));
	k->addr = *addr;
	k->port = port;
	k->family = family;
}

static struct tcpstate_listener *
tcpstate_listener_find(struct tcpstate_net *tn, const struct tcpstate_lkey *k)
{
	return rhashtable_lookup(&tn->listeners.table, k,
				 tcpstate_listener_params);
}

/* It may fail (tcpstate_alloc()); tests make it fail with fail_function. */
static noinline __noclone struct tcpstate_listener *
tcpstate_listener_alloc(struct tcpstate_net *tn)
{
	return tcpstate_alloc(tn, tcpstate_listener_cache, __GFP_ZERO);
}

ALLOW_ERROR_INJECTION(tcpstate_listener_alloc, NULL);

/* The table refuses an insertion it could not grow for (-ENOMEM). */
static noinline __noclone struct tcpstate_listener *
tcpstate_listener_insert(struct tcpstate_net *tn, struct tcpstate_listener *l)
{
	return rhashtable_lookup_get_insert_fast(&tn->listeners.table, &l->node,
						 tcpstate_listener_params);
}

ALLOW_ERROR_INJECTION(tcpstate_listener_insert, ERRNO);

static void tcpstate_listener_free(struct tcpstate_listener *l)
{
	kmem_cache_free(tcpstate_listener_cache, l);
	atomic_long_dec(&tcpstate_listener_objects);
}

static void tcpstate_listener_free_rcu(struct rcu_head *head)
{
	tcpstate_listener_free(container_of(head, struct tcpstate_listener,
					    rcu));
}

/* One entry more, within max_listeners and what namespaces share. */
static bool tcpstate_listener_reserve(struct tcpstate_net *tn)
{
	struct tcpstate_listeners *ls = &tn->listeners;
	int max = min_t(u32, READ_ONCE(tn->cfg.max_listeners), INT_MAX);

	if (!tcpstate_inc_below(&ls->count, max))
		return false;
	if (tn->shared &&
	    !tcpstate_inc_below(&tcpstate_shared.listeners,
				min_t(u32, tcpstate_shared.max_listeners,
				      INT_MAX))) {
		atomic_dec(&ls->count);
		return false;
	}
	return true;
}

static void tcpstate_listener_unreserve(struct tcpstate_net *tn)
{
	atomic_dec(&tn->listeners.count);
	if (tn->shared)
		atomic_dec(&tcpstate_shared.listeners);
}

/* A new entry (or the one another CPU just made), or NULL. */
static struct tcpstate_listener *
tcpstate_listener_create(struct tcpstate_net *tn, const struct tcpstate_lkey *k,
			 u64 now)
{
	struct tcpstate_listener *l, *old;

	if (!tcpstate_listener_reserve(tn))
		return NULL;
	l = tcpstate_listener_alloc(tn);
	if (unlikely(!l))
		goto err_unreserve;
	atomic_long_inc(&tcpstate_listener_objects);
	l->key = *k;
	spin_lock_init(&l->lock);
	/* The SYN being answered came before the entry: count it here. */
	l->syns = 1;
	l->rate_syns = 1;
	l->rate_start = now;
	l->last_syn = now;
	old = tcpstate_listener_insert(tn, l);
	if (likely(!old))
		return l;
	tcpstate_listener_free(l);
	tcpstate_listener_unreserve(tn);
	return IS_ERR(old) ? NULL : old;

err_unreserve:
	tcpstate_listener_unreserve(tn);
	return NULL;
}

/* The entry of the flow's server's key k, if there is one (none is made). */
static struct tcpstate_listener *
tcpstate_listener_of(struct tcpstate_net *tn, const struct tcpstate_lflow *lf,
		     struct tcpstate_lkey *k)
{
	tcpstate_lkey_of(k, lf->family, lf->saddr, lf->sport);
	return tcpstate_listener_find(tn, k);
}

/* One more of an entry's counter v, if the entry is live. */
static void tcpstate_listener_add_one(struct tcpstate_listener *l, u64 *v)
{
	spin_lock_bh(&l->lock);
	if (!l->dead)
		WRITE_ONCE(*v, *v + 1);
	spin_unlock_bh(&l->lock);
}

/*
 * The entry of the flow's server: found, or made if the flow began with a
 * SYN this namespace saw; the overflow entry when there is no room. NULL
 * for a SYN-ACK answering no SYN seen: a forger's, or one from before
 * tcpstate was loaded.
 */
static struct tcpstate_listener *
tcpstate_listener_get(struct tcpstate_net *tn, const struct tcpstate_lflow *lf,
		      u64 now)
{
	struct tcpstate_listener *l;
	struct tcpstate_lkey k;

	l = tcpstate_listener_of(tn, lf, &k);
	if (l)
		return l;
	if (!tcpstate_fsm_time(lf->fsm, TCPSTATE_TS_SYN))
		return NULL;
	l = tcpstate_listener_create(tn, &k, now);
	if (l)
		return l;
	tcpstate_stat_inc(tn, TCPSTATE_STAT_LISTENER_OVERFLOW);
	return &tn->listeners.overflow;
}

typedef void (*tcpstate_listener_op)(struct tcpstate_net *tn,
				     struct tcpstate_listener *l,
				     const struct tcpstate_lflow *lf,
				     unsigned long arg, u64 now);

/*
 * op on the flow's server's entry, under its lock, while it is live. An
 * entry the GC unlinked after the lookup is looked up again, once; the
 * overflow entry, never unlinked, is the last resort. Nothing where
 * tcpstate_listener_get() finds nothing.
 */
static void tcpstate_listener_locked(struct tcpstate_net *tn,
				     const struct tcpstate_lflow *lf, u64 now,
				     tcpstate_listener_op op,
				     unsigned long arg)
{
	struct tcpstate_listener *l;
	unsigned int tries;

	for (tries = 0;; tries++) {
		l = tries < 2 ? tcpstate_listener_get(tn, lf, now) :
				&tn->listeners.overflow;
		if (!l)
			return;
		spin_lock_bh(&l->lock);
		if (!l->dead) {
			op(tn, l, lf, arg, now);
			spin_unlock_bh(&l->lock);
			return;
		}
		spin_unlock_bh(&l->lock);
	}
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

	lockdep_assert_held(&l->lock);
	if (!l->flood) {
		if ((rate && now_rate >= rate) || (half && l->half_open >= half)) {
			WRITE_ONCE(l->flood, 1);
			WRITE_ONCE(l->floods, l->floods + 1);
			net_info_ratelimited("possible SYN flood on port %u\n",
					     ntohs(l->key.port));
		}
	} else if ((!rate || now_rate < rate / 2) &&
		   (!half || l->half_open < half / 2)) {
		WRITE_ONCE(l->flood, 0);
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

/*
 * A SYN to (addr, port) of key side `side`: count it if that listens, and
 * as an overflow when it proves the previous one was dropped
 * (TCPSTATE_EV_OVERFLOW).
 */
void tcpstate_listener_syn(struct tcpstate_net *tn,
			   const struct tcpstate_key *key, unsigned int side,
			   bool overflow, u64 now)
{
	struct tcpstate_listener *l;
	struct tcpstate_lkey k;

	tcpstate_lkey_of(&k, key->family, &key->addr[side], key->port[side]);
	l = tcpstate_listener_find(tn, &k);
	if (!l)
		return;
	spin_lock_bh(&l->lock);
	if (!l->dead) {
		tcpstate_listener_tick(l, now);
		WRITE_ONCE(l->syns, l->syns + 1);
		if (overflow)
			WRITE_ONCE(l->overflows, l->overflows + 1);
		l->rate_syns++;
		l->last_syn = now;
		tcpstate_listener_flood(tn, l);
	}
	spin_unlock_bh(&l->lock);
}

/*
 * Count the flow's handshake time (SYN to handshake done) in the
 * listener's histogram and sum, or take it back (add false).
 */
static void tcpstate_listener_hs_time(struct tcpstate_listener *l,
				      const struct tcpstate_fsm *fsm, bool add)
{
	u64 t0 = tcpstate_fsm_time(fsm, TCPSTATE_TS_SYN);
	u64 t1 = tcpstate_fsm_time(fsm, TCPSTATE_TS_ESTABLISHED);
	unsigned int b;
	u64 us;

	lockdep_assert_held(&l->lock);
	if (!t0 || t1 <= t0)
		return;
	us = div_u64(t1 - t0, NSEC_PER_USEC);
	b = min_t(u32, ilog2(us | 1), TCPSTATE_HS_HIST - 1);
	if (add) {
		WRITE_ONCE(l->hs_hist[b], l->hs_hist[b] + 1);
		WRITE_ONCE(l->hs_sum_us, l->hs_sum_us + us);
	} else if (l->hs_hist[b]) {
		WRITE_ONCE(l->hs_hist[b], l->hs_hist[b] - 1);
		WRITE_ONCE(l->hs_sum_us, l->hs_sum_us - min(us, l->hs_sum_us));
	}
}

static bool tcpstate_server_synced(const struct tcpstate_fsm *fsm)
{
	u8 s = fsm->state[tcpstate_fsm_orig_dir(fsm) ^ 1];

	return s >= TCPSTATE_S_ESTABLISHED && s <= TCPSTATE_S_TIME_WAIT;
}

/* The flow left half-open: a handshake, a reset or an expiry. */
static void tcpstate_listener_done(struct tcpstate_listener *l,
				   const struct tcpstate_lflow *lf)
{
	const struct tcpstate_fsm *fsm = lf->fsm;

	if (!lf->dead && tcpstate_server_synced(fsm)) {
		WRITE_ONCE(l->handshakes, l->handshakes + 1);
		tcpstate_listener_hs_time(l, fsm, true);
	} else if (fsm->close_reason == TCPSTATE_CLOSE_RST_CLIENT ||
		   fsm->close_reason == TCPSTATE_CLOSE_RST_SERVER ||
		   fsm->close_reason == TCPSTATE_CLOSE_REFUSED) {
		WRITE_ONCE(l->resets, l->resets + 1);
	} else {
		WRITE_ONCE(l->expired, l->expired + 1);
	}
}

/*
 * The server had not accepted the third ACK after all (TCPSTATE_EV_UNDONE):
 * the handshake its entry counted is taken back. A server that refused it
 * with a RST counts as reset; one back in SYN_RECEIVED is entered again.
 */
static void tcpstate_listener_undo(struct tcpstate_net *tn,
				   const struct tcpstate_lflow *lf, bool half_open)
{
	struct tcpstate_listener *l;
	struct tcpstate_lkey k;

	l = tcpstate_listener_of(tn, lf, &k);
	if (!l)
		return;
	spin_lock_bh(&l->lock);
	if (!l->dead && l->handshakes) {
		WRITE_ONCE(l->handshakes, l->handshakes - 1);
		tcpstate_listener_hs_time(l, lf->fsm, false);
		if (!half_open)
			WRITE_ONCE(l->resets, l->resets + 1);
	}
	spin_unlock_bh(&l->lock);
}

/* The owner of a local listener: that of its request sockets. */
static void tcpstate_listener_own(struct tcpstate_listener *l,
				  const struct tcpstate_lflow *lf)
{
	lockdep_assert_held(&l->lock);
	if (lf->owner && l->key.family)	/* not the overflow entry */
		l->owner = *lf->owner;
}

/* A flow's server became SYN_RECEIVED: it counts in its entry now. */
static void tcpstate_listener_enter(struct tcpstate_net *tn,
				    struct tcpstate_listener *l,
				    const struct tcpstate_lflow *lf,
				    unsigned long rtx, u64 now)
{
	lockdep_assert_held(&l->lock);
	tcpstate_listener_tick(l, now);
	l->last_syn = now;
	WRITE_ONCE(l->synacks, l->synacks + 1);
	if (rtx)
		WRITE_ONCE(l->synack_rtx, l->synack_rtx + 1);
	WRITE_ONCE(l->half_open, l->half_open + 1);
	WRITE_ONCE(l->half_open_peak, max(l->half_open_peak, l->half_open));
	*lf->slot = l;
	tcpstate_listener_own(l, lf);
	tcpstate_listener_flood(tn, l);
}

/* ... and left SYN_RECEIVED (or was retransmitted in it): the same entry. */
static void tcpstate_listener_leave(struct tcpstate_net *tn,
				    const struct tcpstate_lflow *lf, bool left,
				    bool rtx)
{
	struct tcpstate_listener *l = *lf->slot;

	spin_lock_bh(&l->lock);
	if (left) {
		WRITE_ONCE(l->half_open, l->half_open - 1);
		tcpstate_listener_done(l, lf);
		*lf->slot = NULL;
	} else if (rtx) {
		WRITE_ONCE(l->synacks, l->synacks + 1);
		WRITE_ONCE(l->synack_rtx, l->synack_rtx + 1);
	}
	tcpstate_listener_flood(tn, l);
	spin_unlock_bh(&l->lock);
}

/*
 * SYN cookies of a local listener (TCPSTATE_EV_COOKIE, _COOKIE_OK): a
 * server answering with one holds nothing, so it never counts as
 * half-open; its entry counts the cookies it sent and the handshakes they
 * completed (as the kernel's SyncookiesSent and SyncookiesRecv).
 */
static void tcpstate_listener_cookie(struct tcpstate_net *tn,
				     struct tcpstate_listener *l,
				     const struct tcpstate_lflow *lf,
				     unsigned long events, u64 now)
{
	lockdep_assert_held(&l->lock);
	if (events & TCPSTATE_EV_COOKIE) {
		tcpstate_listener_tick(l, now);
		l->last_syn = now;
		WRITE_ONCE(l->synacks, l->synacks + 1);
		WRITE_ONCE(l->cookies_sent, l->cookies_sent + 1);
	}
	if (events & TCPSTATE_EV_COOKIE_OK) {
		WRITE_ONCE(l->cookies_recv, l->cookies_recv + 1);
		WRITE_ONCE(l->handshakes, l->handshakes + 1);
		tcpstate_listener_hs_time(l, lf->fsm, true);
	}
}

/*
 * The server's listener refused a segment of the flow's client
 * (TCPSTATE_EV_OVERFLOW): the kernel's ListenOverflows, per listener. A
 * server that never answered is counted only where it is known to listen,
 * as tcpstate_listener_syn() does.
 */
static void tcpstate_listener_refused(struct tcpstate_net *tn,
				      struct tcpstate_listener *l,
				      const struct tcpstate_lflow *lf,
				      unsigned long arg, u64 now)
{
	lockdep_assert_held(&l->lock);
	WRITE_ONCE(l->overflows, l->overflows + 1);
}

static void tcpstate_listener_overflow(struct tcpstate_net *tn,
				       const struct tcpstate_lflow *lf, u64 now)
{
	unsigned int sdir = tcpstate_fsm_orig_dir(lf->fsm) ^ 1;
	struct tcpstate_listener *l;
	struct tcpstate_lkey k;

	if (lf->fsm->pkts[sdir]) {
		tcpstate_listener_locked(tn, lf, now,
					 tcpstate_listener_refused, 0);
		return;
	}
	l = tcpstate_listener_of(tn, lf, &k);
	if (l)
		tcpstate_listener_add_one(l, &l->overflows);
}

/*
 * An endpoint of the flow was found stuck: count it at its server's entry,
 * if the server has one (none is made for it).
 */
void tcpstate_listener_stuck(struct tcpstate_net *tn,
			     const struct tcpstate_lflow *lf)
{
	struct tcpstate_listener *l;
	struct tcpstate_lkey k;

	l = tcpstate_listener_of(tn, lf, &k);
	if (l)
		tcpstate_listener_add_one(l, &l->stuck);
}

/*
 * After the fsm moved (a segment, a timeout, the end of the record): keep
 * the listener's half-open count equal to its flows whose server endpoint
 * is SYN_RECEIVED. The entry a flow was counted on is the one it leaves,
 * whatever happened to the table meanwhile.
 */
void tcpstate_listener_update(struct tcpstate_net *tn,
			      const struct tcpstate_lflow *lf,
			      const struct tcpstate_result *res, u64 now)
{
	unsigned int sdir = tcpstate_fsm_orig_dir(lf->fsm) ^ 1;
	bool half_open = !lf->dead &&
			 lf->fsm->state[sdir] == TCPSTATE_S_SYN_RECEIVED;
	bool rtx = res->kind == TCPSTATE_K_SYNACK &&
		   (res->events & TCPSTATE_EV_RETRANS);

	if (unlikely(res->events &
		     (TCPSTATE_EV_COOKIE | TCPSTATE_EV_COOKIE_OK)))
		tcpstate_listener_locked(tn, lf, now,
					 tcpstate_listener_cookie, res->events);
	if (unlikely(res->events & TCPSTATE_EV_OVERFLOW) &&
	    res->kind != TCPSTATE_K_SYN)
		tcpstate_listener_overflow(tn, lf, now);
	if (unlikely(res->events & TCPSTATE_EV_UNDONE) &&
	    !*lf->slot)
		tcpstate_listener_undo(tn, lf, half_open);
	if (!*lf->slot) {
		if (half_open)
			tcpstate_listener_locked(tn, lf, now,
						 tcpstate_listener_enter, rtx);
		return;
	}
	if (!half_open || rtx)
		tcpstate_listener_leave(tn, lf, !half_open, rtx);
}

/*
 * Whether an entry has outlived its use: nothing half-open, and no SYN for
 * timeout_syn_sent_ms (never a handshake: a scan, a forger) or
 * timeout_established_ms (a real listener gone quiet).
 */
static bool tcpstate_listener_idle(struct tcpstate_net *tn,
				   const struct tcpstate_listener *l, u64 now)
{
	u32 ms = l->handshakes ? READ_ONCE(tn->cfg.to.established) :
				 READ_ONCE(tn->cfg.to.syn_sent);

	return !l->half_open && now - l->last_syn > (u64)ms * NSEC_PER_MSEC;
}

/* Let the flood flag fall when SYNs stop; unlink an idle entry. */
static void tcpstate_listener_age(struct tcpstate_net *tn,
				  struct tcpstate_listener *l, u64 now)
{
	bool unlink;

	spin_lock_bh(&l->lock);
	tcpstate_listener_tick(l, now);
	tcpstate_listener_flood(tn, l);
	unlink = !l->dead && l != &tn->listeners.overflow &&
		 tcpstate_listener_idle(tn, l, now);
	if (unlink)
		l->dead = 1;
	spin_unlock_bh(&l->lock);
	if (!unlink)
		return;
	rhashtable_remove_fast(&tn->listeners.table, &l->node,
			       tcpstate_listener_params);
	tcpstate_listener_unreserve(tn);
	call_rcu(&l->rcu, tcpstate_listener_free_rcu);
}

struct tcpstate_listener *tcpstate_listener_walk(struct rhashtable_iter *it,
						 bool peek)
{
	struct tcpstate_listener *l;

	for (;;) {
		l = peek ? rhashtable_walk_peek(it) : rhashtable_walk_next(it);
		peek = false;
		if (IS_ERR(l) && PTR_ERR(l) == -EAGAIN)
			continue;	/* resized: go on in the new table */
		if (IS_ERR_OR_NULL(l))
			return NULL;
		if (!READ_ONCE(l->dead))
			return l;
	}
}

/* One GC run: a slice of the table, from where the last one stopped. */
void tcpstate_listener_gc(struct tcpstate_net *tn, u64 now)
{
	struct tcpstate_listeners *ls = &tn->listeners;
	struct tcpstate_listener *l;
	unsigned int n = 0;

	tcpstate_listener_age(tn, &ls->overflow, now);
	tcpstate_walk_start(&ls->gc_iter);
	while (n++ < TCPSTATE_LISTENER_GC_BUDGET) {
		l = tcpstate_listener_walk(&ls->gc_iter, false);
		if (!l) {
			rhashtable_walk_stop(&ls->gc_iter);
			rhashtable_walk_exit(&ls->gc_iter);
			rhashtable_walk_enter(&ls->table, &ls->gc_iter);
			return;
		}
		tcpstate_listener_age(tn, l, now);
	}
	rhashtable_walk_stop(&ls->gc_iter);
}

int tcpstate_listener_net_init(struct tcpstate_net *tn)
{
	struct tcpstate_listeners *ls = &tn->listeners;
	int err;

	err = rhashtable_init(&ls->table, &tcpstate_listener_params);
	if (err)
		return err;
	atomic_set(&ls->count, 0);
	memset(&ls->overflow, 0, sizeof(ls->overflow));
	spin_lock_init(&ls->overflow.lock);
	rhashtable_walk_enter(&ls->table, &ls->gc_iter);
	return 0;
}

static void tcpstate_listener_destroy(void *ptr, void *arg)
{
	tcpstate_listener_free(ptr);
}

/* The flows and the GC are gone and no reader is left. */
void tcpstate_listener_net_exit(struct tcpstate_net *tn)
{
	struct tcpstate_listeners *ls = &tn->listeners;

	rhashtable_walk_exit(&ls->gc_iter);
	if (tn->shared)
		atomic_sub(atomic_read(&ls->count), &tcpstate_shared.listeners);
	rhashtable_free_and_destroy(&ls->table, tcpstate_listener_destroy,
				    NULL);
}

int tcpstate_listener_init(void)
{
	tcpstate_listener_cache = KMEM_CACHE(tcpstate_listener, 0);
	return tcpstate_listener_cache ? 0 : -ENOMEM;
}

/* After every namespace is gone. */
void tcpstate_listener_uninit(void)
{
	rcu_barrier();	/* entries still waiting in call_rcu */
	kmem_cache_destroy(tcpstate_listener_cache);
}
