// SPDX-License-Identifier: GPL-2.0
/*
 * stats.c: the counters and endpoint gauges of a namespace, summed over
 * the CPUs when read (procfs, netlink). The packet path only increments
 * its own CPU's copy (tcpstate_stat_inc()).
 */
#include "core.h"

static const char * const tcpstate_stat_names[TCPSTATE_STAT_NR] = {
#define TCPSTATE_STAT(id, name, ...) \
	[TCPSTATE_STAT_##id] = name,
#include "stats.h"
#undef TCPSTATE_STAT
};

const char *tcpstate_stat_name(enum tcpstate_stat stat)
{
	return tcpstate_stat_names[stat];
}

u64 tcpstate_stat_read(const struct tcpstate_net *tn, enum tcpstate_stat stat)
{
	u64 sum = 0;
	int cpu;

	/* The hooks count each segment once, by direction. */
	if (stat == TCPSTATE_STAT_SEGMENTS)
		return tcpstate_stat_read(tn, TCPSTATE_STAT_SEGMENTS_IN) +
		       tcpstate_stat_read(tn, TCPSTATE_STAT_SEGMENTS_OUT);
	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(tn->stats, cpu)->v[stat]);
	return sum;
}

/*
 * Exact once the flows are quiet: each move is a -1 and a +1. `role` 0
 * the clients, 1 the servers, 2 both.
 */
long tcpstate_endpoints_read(const struct tcpstate_net *tn, unsigned int role,
			     unsigned int state)
{
	const struct tcpstate_pcpu_stats *st;
	long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		st = per_cpu_ptr(tn->stats, cpu);
		if (role != 1)
			sum += READ_ONCE(st->endpoints[0][state]);
		if (role != 0)
			sum += READ_ONCE(st->endpoints[1][state]);
	}
	return sum;
}
