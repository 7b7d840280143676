// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate health [-j] [-p]: what is wrong in this namespace now, for a
 * person or a monitoring check. Warnings:
 *   - a listener under a SYN flood (its flag up), saying whether it
 *     answers with SYN cookies;
 *   - a local listener whose accept queue is full now;
 *   - endpoints stuck (see the stuck_* settings), by state and owner;
 *   - destinations under port pressure.
 * Exit status: 0 nothing wrong, 1 warnings, 2 usage, 3 could not tell
 * (as monitoring plugins read it: OK, WARNING, UNKNOWN).
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
#include "tcpstate.h"

#define USAGE "Usage: %s health [-j] [-p]\n"

enum { HEALTH_OK = 0, HEALTH_WARN = 1, HEALTH_UNKNOWN = 3 };

struct health {
	struct ts_out *o;
	unsigned int warnings;
};

static void endpoint(char *buf, size_t size, int family, const uint8_t *addr,
		     unsigned int port)
{
	char a[INET6_ADDRSTRLEN];

	if (!family) {
		snprintf(buf, size, "(table full)");
		return;
	}
	inet_ntop(family, addr, a, sizeof(a));
	snprintf(buf, size, family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, port);
}

/* One warning: a line of text, or an object of the JSON list. */
static void warn_begin(struct health *h, const char *kind, const char *what,
		       const char *text)
{
	h->warnings++;
	out_obj_begin(h->o, NULL);
	out_str(h->o, OUT_JSON, "kind", NULL, kind);
	out_str(h->o, OUT_JSON, "what", NULL, what);
	out_str(h->o, OUT_TEXT, NULL, "Warning", text);
}

static void check_listener(struct health *h, const struct ts_listener *l)
{
	const uint64_t *v = l->v;
	char ep[INET6_ADDRSTRLEN + 16], text[256];

	endpoint(ep, sizeof(ep), l->family, l->addr, l->port);
	if (v[TCPSTATE_A_LISTENER_FLOOD]) {
		snprintf(text, sizeof(text), "SYN flood at %s: %" PRIu64
			 " half-open, %s", ep, v[TCPSTATE_A_LISTENER_HALF_OPEN],
			 v[TCPSTATE_A_LISTENER_COOKIES_SENT] ?
			 "answered with SYN cookies" : "no SYN cookies sent");
		warn_begin(h, "syn_flood", ep, text);
		out_u64(h->o, OUT_JSON, "half_open", NULL,
			v[TCPSTATE_A_LISTENER_HALF_OPEN]);
		out_u64(h->o, OUT_JSON, "cookies_sent", NULL,
			v[TCPSTATE_A_LISTENER_COOKIES_SENT]);
		out_obj_end(h->o);
	}
	if (l->local && v[TCPSTATE_A_LISTENER_ACCEPT_QUEUE] >
			v[TCPSTATE_A_LISTENER_ACCEPT_QUEUE_MAX]) {
		snprintf(text, sizeof(text), "accept queue full at %s: %" PRIu64
			 " of %" PRIu64 " waiting for accept(), %" PRIu64
			 " refused so far", ep,
			 v[TCPSTATE_A_LISTENER_ACCEPT_QUEUE],
			 v[TCPSTATE_A_LISTENER_ACCEPT_QUEUE_MAX],
			 v[TCPSTATE_A_LISTENER_LISTEN_OVERFLOWS]);
		warn_begin(h, "accept_queue_full", ep, text);
		out_u64(h->o, OUT_JSON, "accept_queue", NULL,
			v[TCPSTATE_A_LISTENER_ACCEPT_QUEUE]);
		out_u64(h->o, OUT_JSON, "listen_overflows", NULL,
			v[TCPSTATE_A_LISTENER_LISTEN_OVERFLOWS]);
		out_obj_end(h->o);
	}
}

static void check_dest(struct health *h, const struct ts_dest *d)
{
	const uint64_t *v = d->v;
	char ep[INET6_ADDRSTRLEN + 16], text[256];

	if (!v[TCPSTATE_A_DEST_WARN])
		return;
	endpoint(ep, sizeof(ep), d->family, d->addr, d->port);
	snprintf(text, sizeof(text), "port pressure towards %s: %" PRIu64
		 " of %" PRIu64 " ephemeral ports held, %" PRIu64
		 " in TIME_WAIT", ep, v[TCPSTATE_A_DEST_FLOWS],
		 v[TCPSTATE_A_DEST_PORTS], v[TCPSTATE_A_DEST_TIME_WAIT]);
	warn_begin(h, "port_pressure", ep, text);
	out_u64(h->o, OUT_JSON, "flows", NULL, v[TCPSTATE_A_DEST_FLOWS]);
	out_u64(h->o, OUT_JSON, "time_wait", NULL, v[TCPSTATE_A_DEST_TIME_WAIT]);
	out_u64(h->o, OUT_JSON, "ports", NULL, v[TCPSTATE_A_DEST_PORTS]);
	out_obj_end(h->o);
}

/* Stuck endpoints grouped by state and owner (or "remote"). */
struct stuck_group {
	int state;
	bool owned;
	uint32_t uid;
	uint64_t cgroup;
	unsigned int n;
};

static void stuck_add(struct stuck_group *g, size_t *ng, const struct ts_flow *f,
		      int side)
{
	bool owned = f->owned & (1U << side);
	size_t i;

	for (i = 0; i < *ng; i++)
		if (g[i].state == f->state[side] && g[i].owned == owned &&
		    (!owned || (g[i].uid == f->uid[side] &&
				g[i].cgroup == f->cgroup[side])))
			break;
	if (i == *ng) {
		g[i].state = f->state[side];
		g[i].owned = owned;
		g[i].uid = owned ? f->uid[side] : 0;
		g[i].cgroup = owned ? f->cgroup[side] : 0;
		g[i].n = 0;
		(*ng)++;
	}
	g[i].n++;
}

static void check_stuck(struct health *h, const struct ts_flow *v, size_t n)
{
	struct stuck_group *g = calloc(2 * n + 1, sizeof(*g));
	char owner[300], text[400];
	const char *path;
	size_t ng = 0, i;
	int side;

	if (!g) {
		h->warnings++;
		return;
	}
	for (i = 0; i < n; i++)
		for (side = TS_CLIENT; side <= TS_SERVER; side++)
			if (v[i].stuck & (1U << side))
				stuck_add(g, &ng, &v[i], side);
	for (i = 0; i < ng; i++) {
		path = g[i].owned ? ts_cgroup_path(g[i].cgroup) : NULL;
		if (!g[i].owned)
			snprintf(owner, sizeof(owner), "remote");
		else if (path)
			snprintf(owner, sizeof(owner), "uid %u, cgroup %s",
				 g[i].uid, path);
		else
			snprintf(owner, sizeof(owner), "uid %u, cgroup #%" PRIu64,
				 g[i].uid, g[i].cgroup);
		snprintf(text, sizeof(text), "%u endpoint%s stuck in %s (%s)",
			 g[i].n, g[i].n == 1 ? "" : "s",
			 tcpstate_state_name(g[i].state), owner);
		warn_begin(h, "stuck", tcpstate_state_name(g[i].state), text);
		out_u64(h->o, OUT_JSON, "endpoints", NULL, g[i].n);
		if (g[i].owned) {
			out_u64(h->o, OUT_JSON, "uid", NULL, g[i].uid);
			if (path)
				out_str(h->o, OUT_JSON, "cgroup", NULL, path);
			else
				out_null(h->o, OUT_JSON, "cgroup", NULL);
		} else {
			out_null(h->o, OUT_JSON, "uid", NULL);
			out_null(h->o, OUT_JSON, "cgroup", NULL);
		}
		out_obj_end(h->o);
	}
	free(g);
}

/* Read every table, then warn: 0, or -errno after saying why. */
static int check(struct nl *nl, struct health *h)
{
	struct ts_listeners ls = { 0 };
	struct ts_dests ds = { 0 };
	struct ts_flow *flows = NULL;
	size_t nflows = 0, i;
	int err;

	err = ts_listeners_dump(nl, &ls);
	if (err) {
		nl_perror(nl, "health: listeners", err);
		goto out;
	}
	err = ts_dests_dump(nl, &ds);
	if (err) {
		nl_perror(nl, "health: destinations", err);
		goto out;
	}
	err = ts_stuck_flows_dump(nl, &flows, &nflows);
	if (err) {
		nl_perror(nl, "health: flows", err);
		goto out;
	}
	out_list_begin(h->o);
	for (i = 0; i < ls.n; i++)
		check_listener(h, &ls.v[i]);
	check_stuck(h, flows, nflows);
	for (i = 0; i < ds.n; i++)
		check_dest(h, &ds.v[i]);
	out_list_end(h->o);
out:
	free(ls.v);
	free(ds.v);
	free(flows);
	return err;
}

int cmd_health(int argc, char *argv[])
{
	struct health h = { 0 };
	bool json = false, pretty = false;
	struct nl nl;
	int err;

	err = ts_out_options(argc, argv, USAGE, &json, &pretty);
	if (err >= 0)
		return err;
	if (nl_open(&nl))
		return HEALTH_UNKNOWN;
	h.o = out_new(stdout, json, pretty);
	if (!h.o) {
		nl_close(&nl);
		return HEALTH_UNKNOWN;
	}
	err = check(&nl, &h);
	nl_close(&nl);
	if (!err && !json && !h.warnings)
		printf("OK: no SYN flood, no full accept queue, nothing stuck, "
		       "no port pressure\n");
	if (out_free(h.o) || err)
		return HEALTH_UNKNOWN;
	return h.warnings ? HEALTH_WARN : HEALTH_OK;
}
