// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate listeners [-j] [-p]: per listener (a server address and port
 * that answered a SYN with a SYN-ACK), its half-open queue and handshakes,
 * and for a listening socket of this namespace its queues as the kernel
 * holds them.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cgroup.h"
#include "dump.h"
#include "flow.h"
#include "nl.h"
#include "tcpstate.h"

static int listener_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[TCPSTATE_A_LISTENER_MAX + 1] = { NULL };
	struct ts_listeners *ls = data;
	const struct nlattr *a;
	struct ts_listener *l;
	size_t len, h = 0;
	int i;

	l = realloc(ls->v, (ls->n + 1) * sizeof(*l));
	if (!l)
		return MNL_CB_ERROR;
	ls->v = l;
	l += ls->n++;
	memset(l, 0, sizeof(*l));
	nl_parse(nlh, tb, TCPSTATE_A_LISTENER_MAX);
	l->family = nl_u64(tb[TCPSTATE_A_LISTENER_FAMILY]);
	a = tb[TCPSTATE_A_LISTENER_ADDR];
	len = a ? mnl_attr_get_payload_len(a) : 0;
	if (len == 4 || len == 16)
		memcpy(l->addr, mnl_attr_get_payload(a), len);
	l->port = ntohs(nl_u64(tb[TCPSTATE_A_LISTENER_PORT]));
	l->local = tb[TCPSTATE_A_LISTENER_ACCEPT_QUEUE] != NULL;
	l->owned = tb[TCPSTATE_A_LISTENER_UID] != NULL;
	for (i = TCPSTATE_A_LISTENER_HALF_OPEN; i <= TCPSTATE_A_LISTENER_MAX; i++)
		l->v[i] = nl_u64(tb[i]);
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == TCPSTATE_A_LISTENER_HANDSHAKE_US_LOG2 &&
		    h < TS_HS_HIST)
			l->hist[h++] = mnl_attr_get_u32(a);
	return MNL_CB_OK;
}

int ts_listeners_dump(struct nl *nl, struct ts_listeners *ls)
{
	return nl_talk(nl, nl_request(nl, TCPSTATE_CMD_LISTENER_GET,
				      NLM_F_DUMP), listener_cb, ls);
}

static int listener_cmp(const void *a, const void *b)
{
	const struct ts_listener *x = a, *y = b;
	int r;

	if (x->family != y->family)	/* the overflow entry last */
		return !x->family ? 1 : !y->family ? -1 : x->family - y->family;
	r = memcmp(x->addr, y->addr, sizeof(x->addr));
	return r ? r : x->port - y->port;
}

static const struct {
	int attr;
	const char *key;
	const char *col;
} columns[] = {
	{ TCPSTATE_A_LISTENER_HALF_OPEN, "half_open", "HalfOpen" },
	{ TCPSTATE_A_LISTENER_HALF_OPEN_PEAK, "half_open_peak", "Peak" },
	{ TCPSTATE_A_LISTENER_SYNS, "syns", "SYNs" },
	{ TCPSTATE_A_LISTENER_SYNACKS, "synacks", "SYN-ACKs" },
	{ TCPSTATE_A_LISTENER_SYNACK_RETRANS, "synack_retrans", "SynAckRtx" },
	{ TCPSTATE_A_LISTENER_HANDSHAKES, "handshakes", "Handshakes" },
	{ TCPSTATE_A_LISTENER_EXPIRED, "expired", "Expired" },
	{ TCPSTATE_A_LISTENER_RESETS, "resets", "Resets" },
	{ TCPSTATE_A_LISTENER_FLOODS, "floods", "Floods" },
	{ TCPSTATE_A_LISTENER_COOKIES_SENT, "cookies_sent", "CookiesSent" },
	{ TCPSTATE_A_LISTENER_COOKIES_RECV, "cookies_recv", "CookiesRecv" },
	{ TCPSTATE_A_LISTENER_LISTEN_OVERFLOWS, "listen_overflows",
	  "Overflows" },
	{ TCPSTATE_A_LISTENER_STUCK, "stuck", "Stuck" },
};

/* The listening socket's queues, null ("-") where it is not local. */
static const struct {
	int attr;
	const char *key;
	const char *col;
} queues[] = {
	{ TCPSTATE_A_LISTENER_ACCEPT_QUEUE, "accept_queue", "AcceptQ" },
	{ TCPSTATE_A_LISTENER_ACCEPT_QUEUE_MAX, "accept_queue_max",
	  "AcceptMax" },
	{ TCPSTATE_A_LISTENER_SYN_QUEUE, "syn_queue", "SynQ" },
};

/* The listening socket's owner: "uid:cgroup" in text, "-" if unknown. */
static void print_owner(struct ts_out *o, const struct ts_listener *l)
{
	uint64_t cg = l->v[TCPSTATE_A_LISTENER_CGROUP];
	const char *path;
	char buf[300];

	if (!l->owned) {
		out_str(o, OUT_TEXT, NULL, "Owner", "-");
		out_null(o, OUT_JSON, "uid", NULL);
		out_null(o, OUT_JSON, "cgroup", NULL);
		out_null(o, OUT_JSON, "cgroup_id", NULL);
		return;
	}
	path = ts_cgroup_path(cg);
	if (path)
		snprintf(buf, sizeof(buf), "%" PRIu64 ":%s",
			 l->v[TCPSTATE_A_LISTENER_UID], path);
	else
		snprintf(buf, sizeof(buf), "%" PRIu64 ":#%" PRIu64,
			 l->v[TCPSTATE_A_LISTENER_UID], cg);
	out_str(o, OUT_TEXT, NULL, "Owner", buf);
	out_u64(o, OUT_JSON, "uid", NULL, l->v[TCPSTATE_A_LISTENER_UID]);
	if (path)
		out_str(o, OUT_JSON, "cgroup", NULL, path);
	else
		out_null(o, OUT_JSON, "cgroup", NULL);
	out_u64(o, OUT_JSON, "cgroup_id", NULL, cg);
}

static void print_listener(struct ts_out *o, const struct ts_listener *l)
{
	size_t i;

	out_obj_begin(o, NULL);
	ts_print_entry_endpoint(o, l->family, l->addr, l->port, "Listener");
	for (i = 0; i < sizeof(columns) / sizeof(columns[0]); i++)
		out_u64(o, OUT_ANY, columns[i].key, columns[i].col,
			l->v[columns[i].attr]);
	for (i = 0; i < sizeof(queues) / sizeof(queues[0]); i++)
		if (l->local)
			out_u64(o, OUT_ANY, queues[i].key, queues[i].col,
				l->v[queues[i].attr]);
		else
			out_null(o, OUT_ANY, queues[i].key, queues[i].col);
	out_bool(o, OUT_ANY, "flood", "Flood", l->v[TCPSTATE_A_LISTENER_FLOOD]);
	print_owner(o, l);
	out_array_begin(o, OUT_JSON, "handshake_us_log2", NULL);
	for (i = 0; i < TS_HS_HIST; i++)
		out_u64(o, OUT_JSON, NULL, NULL, l->hist[i]);
	out_array_end(o, OUT_JSON, NULL);
	out_u64(o, OUT_JSON, "handshake_us_sum", NULL,
		l->v[TCPSTATE_A_LISTENER_HANDSHAKE_US_SUM]);
	out_obj_end(o);
}

static int print_listeners(struct ts_listeners *ls, bool json, bool pretty)
{
	static const struct ts_listener blank = { .family = AF_INET };
	struct ts_out *o = out_new(stdout, json, pretty);
	size_t i;

	if (!o)
		return -1;
	if (ls->n > 1)
		qsort(ls->v, ls->n, sizeof(*ls->v), listener_cmp);
	out_list_begin(o);
	for (i = 0; i < ls->n; i++)
		print_listener(o, &ls->v[i]);
	if (!ls->n && !out_is_json(o)) {
		print_listener(o, &blank);	/* the header of an empty table */
		out_drop_rows(o);
	}
	out_list_end(o);
	return out_free(o);
}

static int listeners_talk(struct nl *nl, void *ls)
{
	return ts_listeners_dump(nl, ls);
}

int cmd_listeners(int argc, char *argv[])
{
	struct ts_listeners ls = { 0 };
	bool json = false, pretty = false;
	int err;

	err = ts_out_options(argc, argv, "Usage: %s listeners [-j] [-p]\n",
			     &json, &pretty);
	if (err >= 0)
		return err;
	if (nl_session("listeners", listeners_talk, &ls)) {
		free(ls.v);
		return EXIT_ERR;
	}
	err = print_listeners(&ls, json, pretty);
	free(ls.v);
	return err ? EXIT_ERR : EXIT_OK;
}
