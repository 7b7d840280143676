// SPDX-License-Identifier: GPL-2.0
/*
 * proc.c: /proc/net/tcpstate/{stats,flows,listeners} for a quick look.
 *
 * The flow dump walks the table with the rhashtable walker, entered and
 * left within each read() so that no RCU section or walker outlives a
 * system call; its position (table, bucket, element) is kept in between.
 * A flow present for the whole dump is listed at least once; when the
 * table is resized meanwhile, flows may be listed twice (the netlink dump
 * flags that and is the exact one).
 */
#include <linux/ctype.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/proc_fs.h>
#include <linux/rhashtable.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>

#include "core.h"

static void tcpstate_seq_lower(struct seq_file *seq, const char *s)
{
	while (*s)
		seq_putc(seq, tolower(*s++));
}

static int tcpstate_stats_show(struct seq_file *seq, void *v)
{
	struct tcpstate_net *tn = tcpstate_pernet(seq_file_single_net(seq));
	struct tcpstate_totals tot;
	unsigned int i;

	for (i = 0; i < TCPSTATE_STAT_NR; i++)
		seq_printf(seq, "%s %llu\n", tcpstate_stat_name(i),
			   tcpstate_stat_read(tn, i));
	seq_printf(seq, "flows %u\n", tcpstate_flow_count(tn));
	seq_printf(seq, "flow_objects %ld\n", tcpstate_flow_objects_read());
	seq_printf(seq, "listeners %u\n", READ_ONCE(tn->listeners.count));
	seq_printf(seq, "listener_objects %ld\n",
		   tcpstate_listener_objects_read());
	tcpstate_totals_read(&tot);
	seq_printf(seq, "namespaces %u\n", tot.namespaces);
	seq_printf(seq, "flows_all_namespaces %llu\n", tot.flows);
	seq_printf(seq, "listeners_all_namespaces %llu\n", tot.listeners);
	for (i = TCPSTATE_S_NONE + 1; i < TCPSTATE_S_MAX; i++) {
		seq_puts(seq, "endpoints_");
		tcpstate_seq_lower(seq, tcpstate_state_name(i));
		seq_printf(seq, " %ld\n", tcpstate_endpoints_read(tn, i));
	}
	return 0;
}

struct tcpstate_flow_iter {
	struct seq_net_private p;
	struct rhashtable_iter iter;
	/* where the last read() stopped; tbl is compared, never followed */
	const struct bucket_table *tbl;
	struct rhash_head *pos;
	unsigned int slot;
	unsigned int skip;
	bool eof;
};

/* The next flow, going on into a table being grown or shrunk into. */
static struct tcpstate_flow *tcpstate_flows_walk(struct tcpstate_flow_iter *it,
						 bool peek)
{
	struct tcpstate_flow *flow;

	flow = peek ? rhashtable_walk_peek(&it->iter) :
		      rhashtable_walk_next(&it->iter);
	while (IS_ERR(flow) && PTR_ERR(flow) == -EAGAIN)
		flow = rhashtable_walk_next(&it->iter);
	return IS_ERR(flow) ? NULL : flow;
}

/*
 * Go back to where the last read() stopped: in the table it was walking,
 * which may be the one the table is being resized into. If that table is
 * gone, start over (flows already listed will be listed again).
 */
static void tcpstate_flows_resume(struct tcpstate_net *tn,
				  struct tcpstate_flow_iter *it)
{
	const struct bucket_table *tbl;

	rcu_read_lock();
	tbl = rht_dereference_rcu(tn->flows.tbl, &tn->flows);
	while (tbl && tbl != it->tbl)
		tbl = rht_dereference_rcu(tbl->future_tbl, &tn->flows);
	rcu_read_unlock();
	if (!tbl)
		return;
	/* walk_start unhooks the walker whichever table it is on */
	it->iter.walker.tbl = (struct bucket_table *)tbl;
	it->iter.slot = it->slot;
	it->iter.skip = it->skip;
	it->iter.p = it->pos;
}

static void *tcpstate_flows_start(struct seq_file *seq, loff_t *pos)
	__acquires(RCU)
{
	struct tcpstate_net *tn = tcpstate_pernet(seq_file_net(seq));
	struct tcpstate_flow_iter *it = seq->private;

	if (!*pos)
		it->eof = false;
	rhashtable_walk_enter(&tn->flows, &it->iter);
	if (*pos)
		tcpstate_flows_resume(tn, it);
	rhashtable_walk_start(&it->iter);
	if (!*pos)
		return SEQ_START_TOKEN;
	if (it->eof)
		return NULL;
	/* the flow the last read() had no room for, or the one after it */
	return tcpstate_flows_walk(it, true);
}

static void *tcpstate_flows_next(struct seq_file *seq, void *v, loff_t *pos)
{
	++*pos;
	return tcpstate_flows_walk(seq->private, false);
}

static void tcpstate_flows_stop(struct seq_file *seq, void *v)
	__releases(RCU)
{
	struct tcpstate_flow_iter *it = seq->private;

	/* at the end the walker forgets its table: remember the end instead */
	it->eof = !v;
	it->tbl = it->iter.walker.tbl;
	it->slot = it->iter.slot;
	it->skip = it->iter.skip;
	it->pos = it->iter.p;
	rhashtable_walk_stop(&it->iter);
	rhashtable_walk_exit(&it->iter);
}

static void tcpstate_seq_addr(struct seq_file *seq, u8 family,
			      const union tcpstate_addr *a)
{
	if (family == AF_INET)
		seq_printf(seq, " %pI4", &a->ip);
	else
		seq_printf(seq, " %pI6c", &a->in6);
}

static const char * const tcpstate_flag_names[] = {
	"midstream", "syn_data", "reused", "simopen",
};

static void tcpstate_seq_flags(struct seq_file *seq, u32 flags)
{
	bool any = false;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tcpstate_flag_names); i++) {
		if (!(flags & BIT(i)))
			continue;
		seq_printf(seq, "%c%s", any ? ',' : ' ', tcpstate_flag_names[i]);
		any = true;
	}
	if (!any)
		seq_puts(seq, " -");
}

static int tcpstate_flows_show(struct seq_file *seq, void *v)
{
	const union tcpstate_addr *caddr, *saddr;
	struct tcpstate_flow *flow = v;
	char hist[TCPSTATE_HISTORY_MAX];
	struct tcpstate_fsm fsm;
	__be16 cport, sport;
	unsigned int c;
	u64 now, last;

	if (v == SEQ_START_TOKEN) {
		seq_puts(seq, "family client cport server sport client_state server_state conn_state history flags c_pkts c_bytes s_pkts s_bytes c_rtx s_rtx syn_rtx synack_rtx keepalives invalid close_reason age_ms idle_ms\n");
		return 0;
	}

	spin_lock_bh(&flow->lock);
	fsm = flow->fsm;
	tcpstate_flow_endpoints(flow, &caddr, &cport, &saddr, &sport);
	spin_unlock_bh(&flow->lock);

	now = ktime_get_ns();
	last = tcpstate_fsm_time(&fsm, TCPSTATE_TS_LAST);
	c = tcpstate_fsm_orig_dir(&fsm);
	if (!tcpstate_fsm_history(&fsm, hist, sizeof(hist)))
		strscpy(hist, "-", sizeof(hist));

	seq_puts(seq, flow->key.family == AF_INET ? "ipv4" : "ipv6");
	tcpstate_seq_addr(seq, flow->key.family, caddr);
	seq_printf(seq, " %u", ntohs(cport));
	tcpstate_seq_addr(seq, flow->key.family, saddr);
	seq_printf(seq, " %u %s %s %s %s", ntohs(sport),
		   tcpstate_state_name(fsm.state[c]),
		   tcpstate_state_name(fsm.state[c ^ 1]),
		   tcpstate_conn_state_name(tcpstate_fsm_conn_state(&fsm)),
		   hist);
	tcpstate_seq_flags(seq, tcpstate_fsm_flags(&fsm));
	seq_printf(seq, " %u %llu %u %llu %u %u %u %u %u %u %s %llu %llu\n",
		   fsm.pkts[c], fsm.bytes[c], fsm.pkts[c ^ 1],
		   fsm.bytes[c ^ 1], fsm.rtx[c], fsm.rtx[c ^ 1], fsm.syn_rtx,
		   fsm.synack_rtx, fsm.keepalives, fsm.invalid,
		   tcpstate_close_reason_name(fsm.close_reason),
		   div_u64(now - fsm.start, NSEC_PER_MSEC),
		   div_u64(now - clamp(last, fsm.start, now), NSEC_PER_MSEC));
	return 0;
}

static const struct seq_operations tcpstate_flows_ops = {
	.start = tcpstate_flows_start,
	.next = tcpstate_flows_next,
	.stop = tcpstate_flows_stop,
	.show = tcpstate_flows_show,
};

static void tcpstate_listener_show(struct seq_file *seq,
				   const struct tcpstate_listener *l)
{
	unsigned int i;

	if (l->family) {
		seq_puts(seq, l->family == AF_INET ? "ipv4" : "ipv6");
		tcpstate_seq_addr(seq, l->family, &l->addr);
		seq_printf(seq, " %u", ntohs(l->port));
	} else {
		seq_puts(seq, "- overflow -");
	}
	seq_printf(seq, " %u %u %llu %llu %llu %llu %llu %llu %u %llu ",
		   READ_ONCE(l->half_open), READ_ONCE(l->half_open_peak),
		   READ_ONCE(l->syns), READ_ONCE(l->synacks),
		   READ_ONCE(l->synack_rtx), READ_ONCE(l->handshakes),
		   READ_ONCE(l->expired), READ_ONCE(l->resets),
		   READ_ONCE(l->flood), READ_ONCE(l->floods));
	for (i = 0; i < TCPSTATE_HS_HIST; i++)
		seq_printf(seq, "%s%u", i ? "," : "", READ_ONCE(l->hs_hist[i]));
	seq_putc(seq, '\n');
}

static int tcpstate_listeners_show(struct seq_file *seq, void *v)
{
	struct tcpstate_net *tn = tcpstate_pernet(seq_file_single_net(seq));
	struct tcpstate_listeners *ls = &tn->listeners;
	struct tcpstate_listener *l;
	unsigned int i;

	seq_puts(seq, "family addr port half_open half_open_peak syns synacks synack_rtx handshakes expired resets flood floods handshake_us_log2\n");
	rcu_read_lock();
	for (i = 0; i < TCPSTATE_LISTENER_BUCKETS; i++)
		hlist_for_each_entry_rcu(l, &ls->buckets[i], node)
			tcpstate_listener_show(seq, l);
	rcu_read_unlock();
	if (READ_ONCE(ls->overflow.synacks))
		tcpstate_listener_show(seq, &ls->overflow);
	return 0;
}

int tcpstate_proc_net_init(struct tcpstate_net *tn)
{
	tn->proc_dir = proc_net_mkdir(tn->net, "tcpstate", tn->net->proc_net);
	if (!tn->proc_dir)
		return -ENOMEM;

	if (!proc_create_net_single("stats", 0444, tn->proc_dir,
				    tcpstate_stats_show, NULL))
		goto err_remove;
	if (!proc_create_net("flows", 0400, tn->proc_dir, &tcpstate_flows_ops,
			     sizeof(struct tcpstate_flow_iter)))
		goto err_remove;
	if (!proc_create_net_single("listeners", 0400, tn->proc_dir,
				    tcpstate_listeners_show, NULL))
		goto err_remove;
	return 0;

err_remove:
	remove_proc_subtree("tcpstate", tn->net->proc_net);
	return -ENOMEM;
}

void tcpstate_proc_net_exit(struct tcpstate_net *tn)
{
	remove_proc_subtree("tcpstate", tn->net->proc_net);
}
