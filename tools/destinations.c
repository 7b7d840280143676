// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate destinations [-j] [-p] [-n COUNT]: the remote destinations
 * (address, port) that sockets of this namespace connect to, busiest
 * first: flows holding an ephemeral port towards each, those in
 * TIME_WAIT, their share of the port range, the port-pressure warning.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dump.h"
#include "flow.h"
#include "nl.h"
#include "tcpstate.h"

#define USAGE "Usage: %s destinations [-j] [-p] [-n COUNT]\n"

static int dest_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[TCPSTATE_A_DEST_MAX + 1] = { NULL };
	struct ts_dests *ds = data;
	const struct nlattr *a;
	struct ts_dest *d;
	size_t len;
	int i;

	d = realloc(ds->v, (ds->n + 1) * sizeof(*d));
	if (!d)
		return MNL_CB_ERROR;
	ds->v = d;
	d += ds->n++;
	memset(d, 0, sizeof(*d));
	nl_parse(nlh, tb, TCPSTATE_A_DEST_MAX);
	d->family = nl_u64(tb[TCPSTATE_A_DEST_FAMILY]);
	a = tb[TCPSTATE_A_DEST_ADDR];
	len = a ? mnl_attr_get_payload_len(a) : 0;
	if (len == 4 || len == 16)
		memcpy(d->addr, mnl_attr_get_payload(a), len);
	d->port = ntohs(nl_u64(tb[TCPSTATE_A_DEST_PORT]));
	for (i = TCPSTATE_A_DEST_FLOWS; i <= TCPSTATE_A_DEST_MAX; i++)
		d->v[i] = nl_u64(tb[i]);
	return MNL_CB_OK;
}

int ts_dests_dump(struct nl *nl, struct ts_dests *ds)
{
	return nl_talk(nl, nl_request(nl, TCPSTATE_CMD_DEST_GET, NLM_F_DUMP),
		       dest_cb, ds);
}

/* Busiest first; then by address and port, the overflow entry last. */
static int dest_cmp(const void *a, const void *b)
{
	const struct ts_dest *x = a, *y = b;
	uint64_t fx = x->v[TCPSTATE_A_DEST_FLOWS], fy = y->v[TCPSTATE_A_DEST_FLOWS];
	int r;

	if (fx != fy)
		return fx < fy ? 1 : -1;
	if (x->family != y->family)
		return !x->family ? 1 : !y->family ? -1 : x->family - y->family;
	r = memcmp(x->addr, y->addr, sizeof(x->addr));
	return r ? r : x->port - y->port;
}

static void print_dest(struct ts_out *o, const struct ts_dest *d)
{
	uint64_t flows = d->v[TCPSTATE_A_DEST_FLOWS];
	uint64_t ports = d->v[TCPSTATE_A_DEST_PORTS] ?: 1;
	char share[32];

	out_obj_begin(o, NULL);
	ts_print_entry_endpoint(o, d->family, d->addr, d->port, "Destination");
	out_u64(o, OUT_ANY, "flows", "Flows", flows);
	out_u64(o, OUT_ANY, "time_wait", "TimeWait",
		d->v[TCPSTATE_A_DEST_TIME_WAIT]);
	out_u64(o, OUT_ANY, "peak", "Peak", d->v[TCPSTATE_A_DEST_PEAK]);
	out_u64(o, OUT_ANY, "ports", "Ports", ports);
	/* the share in hundredths of a percent, printed as a percentage */
	snprintf(share, sizeof(share), "%llu.%02llu",
		 (unsigned long long)(flows * 10000 / ports / 100),
		 (unsigned long long)(flows * 10000 / ports % 100));
	out_str(o, OUT_TEXT, NULL, "Share(%)", share);
	out_u64(o, OUT_JSON, "share_permyriad", NULL, flows * 10000 / ports);
	out_bool(o, OUT_ANY, "warn", "Warn", d->v[TCPSTATE_A_DEST_WARN]);
	out_u64(o, OUT_ANY, "warnings", "Warnings",
		d->v[TCPSTATE_A_DEST_WARNINGS]);
	out_obj_end(o);
}

static int print_dests(struct ts_dests *ds, size_t count, bool json, bool pretty)
{
	static const struct ts_dest blank = { .family = AF_INET };
	struct ts_out *o = out_new(stdout, json, pretty);
	size_t i;

	if (!o)
		return -1;
	if (ds->n > 1)
		qsort(ds->v, ds->n, sizeof(*ds->v), dest_cmp);
	out_list_begin(o);
	for (i = 0; i < ds->n && i < count; i++)
		print_dest(o, &ds->v[i]);
	if (!ds->n && !out_is_json(o)) {
		print_dest(o, &blank);	/* the header of an empty table */
		out_drop_rows(o);
	}
	out_list_end(o);
	return out_free(o);
}

static int parse_count(const char *s, size_t *count)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end || errno || v < 1) {
		fprintf(stderr, "%s: destinations: -n '%s' is not a count of 1 or more\n",
			prog, s);
		return EXIT_USAGE;
	}
	*count = v;
	return 0;
}

static int dests_talk(struct nl *nl, void *ds)
{
	return ts_dests_dump(nl, ds);
}

int cmd_destinations(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ts_dests ds = { 0 };
	bool json = false, pretty = false;
	size_t count = SIZE_MAX;
	int c, err;

	while ((c = getopt_long(argc, argv, "jpn:h", opts, NULL)) != -1) {
		if (out_option(c, &json, &pretty))
			continue;
		if (c == 'n') {
			err = parse_count(optarg, &count);
			if (err)
				return err;
			continue;
		}
		fprintf(c == 'h' ? stdout : stderr, USAGE, prog);
		return c == 'h' ? EXIT_OK : EXIT_USAGE;
	}
	if (optind != argc) {
		fprintf(stderr, USAGE, prog);
		return EXIT_USAGE;
	}
	if (nl_session("destinations", dests_talk, &ds)) {
		free(ds.v);
		return EXIT_ERR;
	}
	err = print_dests(&ds, count, json, pretty);
	free(ds.v);
	return err ? EXIT_ERR : EXIT_OK;
}
