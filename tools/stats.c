// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate stats [-j] [-p] [--prometheus [--destinations]]: the module's
 * counters for this namespace, over netlink; the names are those of
 * /proc/net/tcpstate/stats. In the Prometheus format the listener table
 * follows, and with --destinations the destination table.
 */
#include <ctype.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "flow.h"
#include "nl.h"
#include "prom.h"
#include "tcpstate.h"

#define USAGE "Usage: %s stats [-j] [-p] [--prometheus [--destinations]]\n"

/* Each counter (module/stats.h): its attribute, name, and Prometheus help. */
static const struct {
	int attr;
	const char *name;
	const char *help;
} counters[] = {
#define TCPSTATE_STAT(id, name, help) { TCPSTATE_A_STATS_##id, name, help },
#include "../module/stats.h"
#undef TCPSTATE_STAT
};

static const struct {
	int attr;
	const char *name;
	const char *help;
} gauges[] = {
	{ TCPSTATE_A_STATS_FLOWS, "flows", "flows in the table" },
	{ TCPSTATE_A_STATS_LISTENERS, "listeners", "listeners in the table" },
	{ TCPSTATE_A_STATS_DESTINATIONS, "destinations", "remote destinations in the table" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct stats {
	uint64_t counter[N(counters)];
	uint64_t gauge[N(gauges)];
	int64_t endpoints[__TCPSTATE_S_MAX];
	int64_t by_role[2][__TCPSTATE_S_MAX];	/* clients, servers */
};

/* node_exporter's tcpstat label values, by enum tcpstate_state. */
static const char *const node_state[__TCPSTATE_S_MAX] = {
	[TCPSTATE_S_CLOSED] = "close",
	[TCPSTATE_S_LISTEN] = "listen",
	[TCPSTATE_S_SYN_SENT] = "syn_sent",
	[TCPSTATE_S_SYN_RECEIVED] = "syn_recv",
	[TCPSTATE_S_ESTABLISHED] = "established",
	[TCPSTATE_S_FIN_WAIT_1] = "fin_wait1",
	[TCPSTATE_S_FIN_WAIT_2] = "fin_wait2",
	[TCPSTATE_S_CLOSE_WAIT] = "close_wait",
	[TCPSTATE_S_CLOSING] = "closing",
	[TCPSTATE_S_LAST_ACK] = "last_ack",
	[TCPSTATE_S_TIME_WAIT] = "time_wait",
};

static void lower(char *dst, const char *src, size_t size)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < size; i++)
		dst[i] = tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

static int stats_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[TCPSTATE_A_STATS_MAX + 1] = { NULL };
	const struct nlattr *et[TCPSTATE_A_ENDPOINTS_MAX + 1];
	struct stats *st = data;
	const struct nlattr *a;
	size_t i;

	nl_parse(nlh, tb, TCPSTATE_A_STATS_MAX);
	for (i = 0; i < N(counters); i++)
		st->counter[i] = nl_u64(tb[counters[i].attr]);
	for (i = 0; i < N(gauges); i++)
		st->gauge[i] = nl_u64(tb[gauges[i].attr]);
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) != TCPSTATE_A_STATS_ENDPOINTS)
			continue;
		memset(et, 0, sizeof(et));
		nl_parse_nested(a, et, TCPSTATE_A_ENDPOINTS_MAX);
		i = nl_u64(et[TCPSTATE_A_ENDPOINTS_STATE]);
		if (i >= __TCPSTATE_S_MAX)
			continue;
		st->endpoints[i] =
			(int64_t)nl_u64(et[TCPSTATE_A_ENDPOINTS_COUNT]);
		st->by_role[0][i] =
			(int64_t)nl_u64(et[TCPSTATE_A_ENDPOINTS_CLIENTS]);
		st->by_role[1][i] =
			(int64_t)nl_u64(et[TCPSTATE_A_ENDPOINTS_SERVERS]);
	}
	return MNL_CB_OK;
}

static void print_prometheus(FILE *f, const struct stats *st)
{
	size_t i, r;

	for (i = 0; i < N(counters); i++)
		fprintf(f, "# HELP tcpstate_%s_total %s.\n"
		       "# TYPE tcpstate_%s_total counter\n"
		       "tcpstate_%s_total %" PRIu64 "\n", counters[i].name,
		       counters[i].help, counters[i].name, counters[i].name,
		       st->counter[i]);
	for (i = 0; i < N(gauges); i++)
		fprintf(f, "# HELP tcpstate_%s %s.\n# TYPE tcpstate_%s gauge\n"
		       "tcpstate_%s %" PRIu64 "\n", gauges[i].name,
		       gauges[i].help, gauges[i].name, gauges[i].name,
		       st->gauge[i]);
	fprintf(f, "# HELP tcpstate_endpoints Flow endpoints in each TCP state "
	       "(node_exporter tcpstat's names), by role: the client sent the "
	       "first SYN.\n# TYPE tcpstate_endpoints gauge\n");
	for (i = TCPSTATE_S_NONE + 1; i < __TCPSTATE_S_MAX; i++)
		for (r = 0; r < 2; r++)
			fprintf(f, "tcpstate_endpoints{role=\"%s\",state=\"%s\"} %"
			       PRId64 "\n", r ? "server" : "client",
			       node_state[i], st->by_role[r][i]);
}

/* Text: "name value" lines, aligned; JSON: one object. */
static void print_one(struct ts_out *o, const char *name, int64_t v,
		      bool is_signed)
{
	if (out_is_json(o)) {
		if (is_signed && v < 0)
			v = 0;	/* a gauge caught mid-move; JSON wants it >= 0 */
		out_u64(o, OUT_JSON, name, NULL, (uint64_t)v);
	} else if (is_signed) {
		printf("%-24s %" PRId64 "\n", name, v);
	} else {
		printf("%-24s %" PRIu64 "\n", name, (uint64_t)v);
	}
}

static int print_stats(const struct stats *st, bool json, bool pretty)
{
	struct ts_out *o = out_new(stdout, json, pretty);
	char name[48], state[32];
	size_t i;

	if (!o)
		return -1;
	out_obj_begin(o, NULL);
	for (i = 0; i < N(counters); i++)
		print_one(o, counters[i].name, (int64_t)st->counter[i], false);
	for (i = 0; i < N(gauges); i++)
		print_one(o, gauges[i].name, (int64_t)st->gauge[i], false);
	for (i = TCPSTATE_S_NONE + 1; i < __TCPSTATE_S_MAX; i++) {
		lower(state, tcpstate_state_name(i), sizeof(state));
		snprintf(name, sizeof(name), "endpoints_%s", state);
		print_one(o, name, st->endpoints[i], true);
	}
	if (out_is_json(o))
		out_obj_end(o);
	return out_free(o);
}

int ts_prom_namespace(struct nl *nl, FILE *f, bool dests)
{
	struct ts_listeners ls = { NULL, 0 };
	struct ts_dests ds = { NULL, 0 };
	struct stats st;
	int err;

	memset(&st, 0, sizeof(st));
	err = nl_talk(nl, nl_request(nl, TCPSTATE_CMD_STATS_GET, 0),
		      stats_cb, &st);
	if (err) {
		nl_perror(nl, "stats", err);
		return err;
	}
	err = ts_listeners_dump(nl, &ls);
	if (err) {
		nl_perror(nl, "listeners", err);
		goto out;
	}
	if (dests) {
		err = ts_dests_dump(nl, &ds);
		if (err) {
			nl_perror(nl, "destinations", err);
			goto out;
		}
	}
	print_prometheus(f, &st);
	ts_prom_listeners(f, &ls);
	if (dests)
		ts_prom_dests(f, &ds);
out:
	free(ds.v);
	free(ls.v);
	return err;
}

int cmd_stats(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "prometheus", no_argument, NULL, 'P' },
		{ "destinations", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false, pretty = false, prom = false, dests = false;
	struct stats st;
	struct nl nl;
	int c, err;

	memset(&st, 0, sizeof(st));
	while ((c = getopt_long(argc, argv, "jph", opts, NULL)) != -1) {
		if (out_option(c, &json, &pretty))
			continue;
		switch (c) {
		case 'P':
			prom = true;
			break;
		case 'D':
			dests = true;
			break;
		default:
			fprintf(c == 'h' ? stdout : stderr, USAGE, prog);
			return c == 'h' ? EXIT_OK : EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, USAGE, prog);
		return EXIT_USAGE;
	}
	if (dests && !prom) {
		fprintf(stderr, "%s stats: --destinations goes with --prometheus\n",
			prog);
		return EXIT_USAGE;
	}
	if (nl_open(&nl))
		return EXIT_ERR;
	if (prom) {
		err = ts_prom_namespace(&nl, stdout, dests);
		nl_close(&nl);
		if (err)
			return EXIT_ERR;
		return fflush(stdout) ? EXIT_ERR : EXIT_OK;
	}
	err = nl_talk(&nl, nl_request(&nl, TCPSTATE_CMD_STATS_GET, 0),
		      stats_cb, &st);
	if (err) {
		nl_perror(&nl, "stats", err);
		nl_close(&nl);
		return EXIT_ERR;
	}
	nl_close(&nl);
	if (print_stats(&st, json, pretty))
		return EXIT_ERR;
	return fflush(stdout) ? EXIT_ERR : EXIT_OK;
}
