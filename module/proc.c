// SPDX-License-Identifier: GPL-2.0
/*
 * proc.c: /proc/net/tcpstate/ for a quick look with cat.
 */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>

#include "core.h"

static int tcpstate_stats_show(struct seq_file *seq, void *v)
{
	const struct tcpstate_net *tn = tcpstate_pernet(seq_file_single_net(seq));
	int i;

	for (i = 0; i < TCPSTATE_STAT_NR; i++)
		seq_printf(seq, "%s %llu\n", tcpstate_stat_name(i),
			   tcpstate_stat_read(tn, i));
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
	return 0;

err_remove:
	remove_proc_subtree("tcpstate", tn->net->proc_net);
	return -ENOMEM;
}

void tcpstate_proc_net_exit(struct tcpstate_net *tn)
{
	remove_proc_subtree("tcpstate", tn->net->proc_net);
}
