// SPDX-License-Identifier: GPL-2.0
/*
 * proc.c: /proc/net/tcpstate/{stats,flows,listeners} for a quick look.
 *
 * The flow dump walks the table with a walker of the open file's own
 * (tcpstate_flow_iter). A flow present for the whole dump is listed at
 * least once; when the table is resized meanwhile, flows may be listed
 * twice (the netlink dump flags that and is the exact one).
 */
#include <linux/ctype.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/proc_fs.h>
#include <linux/rhashtable.h>
#include <linux/seq_file.h>
#include <linux/uidgid.h>
#include <net/net_namespace.h>

#include "core.h"

/*
 * Flows and listeners are for the namespace's admin, CAP_NET_ADMIN in the
 * user namespace that owns it, as its netlink dumps are. Checked at open,
 * not by the file's owner: a namespace made with its user namespace
 * (unshare -Urn) has no uid map yet when its files are created.
 */
static int tcpstate_proc_may_open(const struct tcpstate_net *tn)
{
	return ns_capable(tn->net->user_ns, CAP_NET_ADMIN) ? 0 : -EPERM;
}

static void tcpstate_seq_lower(struct seq_file *seq, const char *s)
{
	while (*s)
		seq_putc(seq, tolower(*s++));
}

static int tcpstate_stats_show(struct seq_file *seq, void *v)
{
	struct tcpstate_net *tn = tcpstate_pernet(seq_file_single_net(seq));
	unsigned int i;

	for (i = 0; i < TCPSTATE_STAT_NR; i++)
		seq_printf(seq, "%s %llu\n", tcpstate_stat_name(i),
			   tcpstate_stat_read(tn, i));
	seq_printf(seq, "flows %u\n", tcpstate_flow_count(tn));
	seq_printf(seq, "listeners %u\n", tcpstate_listener_count(tn));
	seq_printf(seq, "destinations %u\n", tcpstate_dest_count(tn));
	for (i = TCPSTATE_S_NONE + 1; i < __TCPSTATE_S_MAX; i++) {
		seq_puts(seq, "endpoints_");
		tcpstate_seq_lower(seq, tcpstate_state_name(i));
		seq_printf(seq, " %ld\n", tcpstate_endpoints_read(tn, 2, i));
	}
	return 0;
}

/*
 * One rhashtable walker per open file, entered at open and left at
 * release (or when the namespace's proc entries are run down), started
 * and stopped within each read(): between reads it stays on the table's
 * walker list, so a resize meanwhile is seen by the rhashtable code
 * itself and the walk goes on in the new table.
 */
struct tcpstate_flow_iter {
	struct tcpstate_net *tn;
	struct rhashtable_iter iter;
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

static void *tcpstate_flows_start(struct seq_file *seq, loff_t *pos)
	__acquires(RCU)
{
	struct tcpstate_flow_iter *it = seq->private;

	if (!*pos) {
		/* from the top: a new walk (a reread, or lseek to 0) */
		rhashtable_walk_exit(&it->iter);
		rhashtable_walk_enter(&it->tn->flows, &it->iter);
		it->eof = false;
	}
	tcpstate_walk_start(&it->iter);
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

	/* at the end the walker forgets where it was: remember the end */
	it->eof = !v;
	rhashtable_walk_stop(&it->iter);
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
	struct tcpstate_flow_iter *it = seq->private;
	char hist[TCPSTATE_HISTORY_MAX];
	struct tcpstate_flow_snap f;
	const struct tcpstate_fsm *fsm = &f.fsm;
	unsigned int c;
	u64 now, last;

	if (v == SEQ_START_TOKEN) {
		seq_puts(seq, "family client cport server sport client_state server_state conn_state history flags c_pkts c_bytes s_pkts s_bytes c_rtx s_rtx syn_rtx synack_rtx keepalives invalid close_reason age_ms idle_ms\n");
		return 0;
	}

	now = ktime_get_ns();
	if (!tcpstate_flow_snapshot(it->tn, v, &f, current_user_ns(), now))
		return SEQ_SKIP;

	last = tcpstate_fsm_time(fsm, TCPSTATE_TS_LAST);
	c = tcpstate_fsm_orig_dir(fsm);
	if (!tcpstate_fsm_history(fsm, hist, sizeof(hist)))
		strscpy(hist, "-", sizeof(hist));

	seq_puts(seq, f.family == AF_INET ? "ipv4" : "ipv6");
	tcpstate_seq_addr(seq, f.family, &f.addr[0]);
	seq_printf(seq, " %u", ntohs(f.port[0]));
	tcpstate_seq_addr(seq, f.family, &f.addr[1]);
	seq_printf(seq, " %u %s %s %s %s", ntohs(f.port[1]),
		   tcpstate_state_name(fsm->state[c]),
		   tcpstate_state_name(fsm->state[c ^ 1]),
		   tcpstate_conn_state_name(tcpstate_fsm_conn_state(fsm)),
		   hist);
	tcpstate_seq_flags(seq, tcpstate_fsm_flags(fsm));
	seq_printf(seq, " %u %llu %u %llu %u %u %u %u %u %u %s %llu %llu\n",
		   fsm->pkts[c], fsm->bytes[c], fsm->pkts[c ^ 1],
		   fsm->bytes[c ^ 1], fsm->rtx[c], fsm->rtx[c ^ 1],
		   fsm->syn_rtx, fsm->synack_rtx, fsm->keepalives,
		   fsm->invalid, tcpstate_close_reason_name(fsm->close_reason),
		   div_u64(now - fsm->start, NSEC_PER_MSEC),
		   div_u64(now - clamp(last, fsm->start, now), NSEC_PER_MSEC));
	return 0;
}

static const struct seq_operations tcpstate_flows_ops = {
	.start = tcpstate_flows_start,
	.next = tcpstate_flows_next,
	.stop = tcpstate_flows_stop,
	.show = tcpstate_flows_show,
};

static int tcpstate_flows_open(struct inode *inode, struct file *file)
{
	struct tcpstate_net *tn = pde_data(inode);
	struct tcpstate_flow_iter *it;
	int err;

	err = tcpstate_proc_may_open(tn);
	if (err)
		return err;
	it = __seq_open_private(file, &tcpstate_flows_ops, sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->tn = tn;
	rhashtable_walk_enter(&tn->flows, &it->iter);
	return 0;
}

/* Also run by remove_proc_subtree() for files still open at netns exit. */
static int tcpstate_flows_release(struct inode *inode, struct file *file)
{
	struct seq_file *seq = file->private_data;
	struct tcpstate_flow_iter *it = seq->private;

	rhashtable_walk_exit(&it->iter);
	return seq_release_private(inode, file);
}

static const struct proc_ops tcpstate_flows_proc_ops = {
	.proc_open = tcpstate_flows_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = tcpstate_flows_release,
};

static void tcpstate_listener_show(struct seq_file *seq, struct net *net,
				   const struct tcpstate_listener *l)
{
	struct tcpstate_sock_queue q;
	unsigned int i;

	if (l->key.family) {
		seq_puts(seq, l->key.family == AF_INET ? "ipv4" : "ipv6");
		tcpstate_seq_addr(seq, l->key.family, &l->key.addr);
		seq_printf(seq, " %u", ntohs(l->key.port));
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
	seq_printf(seq, " %llu %llu %llu", READ_ONCE(l->cookies_sent),
		   READ_ONCE(l->cookies_recv), READ_ONCE(l->overflows));
	/* a local listening socket's queues, "-" where there is none */
	if (l->key.family && tcpstate_sock_listener(net, &l->key, &q))
		seq_printf(seq, " %u %u %u", q.accept, q.accept_max, q.syn);
	else
		seq_puts(seq, " - - -");
	seq_printf(seq, " %llu\n", READ_ONCE(l->stuck));
}

static int tcpstate_listeners_show(struct seq_file *seq, void *v)
{
	struct tcpstate_net *tn = seq->private;
	struct tcpstate_listeners *ls = &tn->listeners;
	struct tcpstate_listener *l;
	struct rhashtable_iter iter;

	seq_puts(seq, "family addr port half_open half_open_peak syns synacks synack_rtx handshakes expired resets flood floods handshake_us_log2 cookies_sent cookies_recv listen_overflows accept_queue accept_queue_max syn_queue stuck\n");
	rhashtable_walk_enter(&ls->table, &iter);
	rhashtable_walk_start(&iter);
	while ((l = tcpstate_listener_walk(&iter, false)))
		tcpstate_listener_show(seq, tn->net, l);
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
	if (READ_ONCE(ls->overflow.synacks))
		tcpstate_listener_show(seq, tn->net, &ls->overflow);
	return 0;
}

static int tcpstate_listeners_open(struct inode *inode, struct file *file)
{
	struct tcpstate_net *tn = pde_data(inode);
	int err;

	err = tcpstate_proc_may_open(tn);
	if (err)
		return err;
	return single_open(file, tcpstate_listeners_show, tn);
}

static const struct proc_ops tcpstate_listeners_proc_ops = {
	.proc_open = tcpstate_listeners_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
};

/*
 * As nf_conntrack's: a namespace's files belong to the root of the user
 * namespace that owns it, so its own admin reads them and nobody else's.
 */
static struct proc_dir_entry *tcpstate_proc_own(struct tcpstate_net *tn,
						struct proc_dir_entry *pde)
{
	kuid_t uid = make_kuid(tn->net->user_ns, 0);
	kgid_t gid = make_kgid(tn->net->user_ns, 0);

	if (pde && uid_valid(uid) && gid_valid(gid))
		proc_set_user(pde, uid, gid);
	return pde;
}

int tcpstate_proc_net_init(struct tcpstate_net *tn)
{
	struct proc_dir_entry *pde;

	tn->proc_dir = proc_net_mkdir(tn->net, "tcpstate", tn->net->proc_net);
	if (!tn->proc_dir)
		return -ENOMEM;

	pde = proc_create_net_single("stats", 0444, tn->proc_dir,
				     tcpstate_stats_show, NULL);
	if (!tcpstate_proc_own(tn, pde))
		goto err_remove;
	pde = proc_create_data("flows", 0444, tn->proc_dir,
			       &tcpstate_flows_proc_ops, tn);
	if (!tcpstate_proc_own(tn, pde))
		goto err_remove;
	pde = proc_create_data("listeners", 0444, tn->proc_dir,
			       &tcpstate_listeners_proc_ops, tn);
	if (!tcpstate_proc_own(tn, pde))
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
