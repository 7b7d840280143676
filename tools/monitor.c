// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate monitor [-j] [-p] [--format text|json|zeek] [-c COUNT]:
 * endpoint state transitions, end-of-flow records and endpoints found
 * stuck, in this namespace, as they happen. With -j, one JSON object per
 * line; the end-of-flow and stuck objects have the keys of a flow in
 * `tcpstate flows -j`. With --format zeek, Zeek's conn.log: one line per
 * flow that ended, and the #close line when stopped (COUNT lines, or
 * SIGINT, SIGTERM).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "flow.h"
#include "nl.h"
#include "tcpstate.h"
#include "zeek.h"

#define USAGE "Usage: %s monitor [-j] [-p] [--format text|json|zeek] [-c COUNT]\n"

struct monitor {
	bool json;
	bool pretty;
	bool zeek;
	long count;		/* events left to print; < 0: no limit */
	struct ifaddrs *ifs;	/* zeek: this namespace's addresses */
};

static volatile sig_atomic_t monitor_stop;

static void monitor_signal(int sig)
{
	(void)sig;
	monitor_stop = 1;
}

static void endpoint(char *buf, size_t size, const struct ts_flow *f,
		     int side)
{
	char addr[INET6_ADDRSTRLEN];

	if (!inet_ntop(f->family, f->addr[side], addr, sizeof(addr)))
		strcpy(addr, "?");
	snprintf(buf, size, f->family == AF_INET6 ? "[%s]:%u" : "%s:%u", addr,
		 f->port[side]);
}

static const char *event_name(uint8_t cmd)
{
	switch (cmd) {
	case TCPSTATE_CMD_FLOW_END_NTF:
		return "end";
	case TCPSTATE_CMD_STUCK_NTF:
		return "stuck";
	default:
		return "transition";
	}
}

static void print_text(uint8_t cmd, uint64_t t, const struct ts_flow *f,
		       const struct nlattr **tb)
{
	char c[INET6_ADDRSTRLEN + 8], s[INET6_ADDRSTRLEN + 8];

	endpoint(c, sizeof(c), f, TS_CLIENT);
	endpoint(s, sizeof(s), f, TS_SERVER);
	printf("%" PRIu64 ".%06" PRIu64 " %-10s %s %s %s", t / 1000000000,
	       t / 1000 % 1000000, event_name(cmd), ts_family_name(f->family),
	       c, s);
	if (cmd == TCPSTATE_CMD_STUCK_NTF) {
		printf(" %s %s\n",
		       ts_side_name(nl_u64(tb[TCPSTATE_A_EVENT_SIDE])),
		       tcpstate_state_name(nl_u64(tb[TCPSTATE_A_EVENT_NEW_STATE])));
		return;
	}
	if (cmd == TCPSTATE_CMD_TRANSITION_NTF) {
		printf(" %s %s -> %s\n",
		       ts_side_name(nl_u64(tb[TCPSTATE_A_EVENT_SIDE])),
		       tcpstate_state_name(nl_u64(tb[TCPSTATE_A_EVENT_OLD_STATE])),
		       tcpstate_state_name(nl_u64(tb[TCPSTATE_A_EVENT_NEW_STATE])));
		return;
	}
	printf(" %s %s close %s %" PRIu64 " ms client %" PRIu64 "/%" PRIu64
	       " server %" PRIu64 "/%" PRIu64 " pkts/bytes\n",
	       tcpstate_conn_state_name(f->conn_state),
	       f->history[0] ? f->history : "-",
	       tcpstate_close_reason_name(f->close_reason), f->duration_ms,
	       f->pkts[TS_CLIENT], f->bytes[TS_CLIENT], f->pkts[TS_SERVER],
	       f->bytes[TS_SERVER]);
}

static void print_json(const struct monitor *m, uint8_t cmd, uint64_t t,
		       const struct ts_flow *f, const struct nlattr **tb)
{
	char addr[INET6_ADDRSTRLEN];
	struct ts_out *o = out_new(stdout, true, m->pretty);
	int side;

	if (!o)
		return;
	out_obj_begin(o, NULL);
	out_str(o, OUT_JSON, "event", NULL,
		cmd == TCPSTATE_CMD_FLOW_END_NTF ? "flow_end" :
		cmd == TCPSTATE_CMD_STUCK_NTF ? "stuck" : "transition");
	out_u64(o, OUT_JSON, "time_ns", NULL, t);
	if (cmd == TCPSTATE_CMD_FLOW_END_NTF) {
		ts_print_flow_fields(o, f);
	} else if (cmd == TCPSTATE_CMD_STUCK_NTF) {
		out_str(o, OUT_JSON, "side", NULL,
			ts_side_name(nl_u64(tb[TCPSTATE_A_EVENT_SIDE])));
		out_str(o, OUT_JSON, "state", NULL,
			tcpstate_state_name(nl_u64(tb[TCPSTATE_A_EVENT_NEW_STATE])));
		ts_print_flow_fields(o, f);
	} else {
		out_str(o, OUT_JSON, "family", NULL, ts_family_name(f->family));
		for (side = TS_CLIENT; side <= TS_SERVER; side++) {
			if (!inet_ntop(f->family, f->addr[side], addr,
				       sizeof(addr)))
				strcpy(addr, "?");
			out_str(o, OUT_JSON, side ? "dst" : "src", NULL, addr);
			out_u64(o, OUT_JSON, side ? "dport" : "sport", NULL,
				f->port[side]);
		}
		out_str(o, OUT_JSON, "side", NULL,
			ts_side_name(nl_u64(tb[TCPSTATE_A_EVENT_SIDE])));
		out_str(o, OUT_JSON, "old_state", NULL,
			tcpstate_state_name(nl_u64(tb[TCPSTATE_A_EVENT_OLD_STATE])));
		out_str(o, OUT_JSON, "new_state", NULL,
			tcpstate_state_name(nl_u64(tb[TCPSTATE_A_EVENT_NEW_STATE])));
	}
	out_obj_end(o);
	out_free(o);
}

/* A destination's port-pressure warning rose or fell. */
static int pressure_cb(const struct nlmsghdr *nlh, struct monitor *m)
{
	const struct nlattr *tb[TCPSTATE_A_EVENT_MAX + 1] = { NULL };
	const struct nlattr *dt[TCPSTATE_A_DEST_MAX + 1] = { NULL };
	char addr[INET6_ADDRSTRLEN] = "?";
	const struct nlattr *a;
	struct ts_out *o;
	uint64_t t, flows, tw, ports, warn;
	int family;

	nl_parse(nlh, tb, TCPSTATE_A_EVENT_MAX);
	if (tb[TCPSTATE_A_EVENT_DEST])
		nl_parse_nested(tb[TCPSTATE_A_EVENT_DEST], dt,
				TCPSTATE_A_DEST_MAX);
	t = nl_u64(tb[TCPSTATE_A_EVENT_TIME_NS]);
	family = nl_u64(dt[TCPSTATE_A_DEST_FAMILY]);
	a = dt[TCPSTATE_A_DEST_ADDR];
	if (a && family)
		inet_ntop(family, mnl_attr_get_payload(a), addr, sizeof(addr));
	flows = nl_u64(dt[TCPSTATE_A_DEST_FLOWS]);
	tw = nl_u64(dt[TCPSTATE_A_DEST_TIME_WAIT]);
	ports = nl_u64(dt[TCPSTATE_A_DEST_PORTS]);
	warn = nl_u64(dt[TCPSTATE_A_DEST_WARN]);
	if (!m->json) {
		printf("%" PRIu64 ".%06" PRIu64 " %-10s %s %s%s%s:%u %s flows %"
		       PRIu64 " time_wait %" PRIu64 " of %" PRIu64 " ports\n",
		       t / 1000000000, t / 1000 % 1000000, "pressure",
		       ts_family_name(family), family == AF_INET6 ? "[" : "",
		       addr, family == AF_INET6 ? "]" : "",
		       ntohs(nl_u64(dt[TCPSTATE_A_DEST_PORT])),
		       warn ? "up" : "down", flows, tw, ports);
	} else {
		o = out_new(stdout, true, m->pretty);
		if (!o)
			return MNL_CB_ERROR;
		out_obj_begin(o, NULL);
		out_str(o, OUT_JSON, "event", NULL, "port_pressure");
		out_u64(o, OUT_JSON, "time_ns", NULL, t);
		out_str(o, OUT_JSON, "family", NULL, ts_family_name(family));
		out_str(o, OUT_JSON, "addr", NULL, addr);
		out_u64(o, OUT_JSON, "port", NULL,
			ntohs(nl_u64(dt[TCPSTATE_A_DEST_PORT])));
		out_bool(o, OUT_JSON, "warn", NULL, warn);
		out_u64(o, OUT_JSON, "flows", NULL, flows);
		out_u64(o, OUT_JSON, "time_wait", NULL, tw);
		out_u64(o, OUT_JSON, "ports", NULL, ports);
		out_obj_end(o);
		out_free(o);
	}
	fflush(stdout);
	if (m->count > 0 && --m->count == 0)
		return MNL_CB_STOP;
	return MNL_CB_OK;
}

/* CLOCK_MONOTONIC ns (the module's clock) as ns since the epoch. */
static uint64_t wall_ns(uint64_t mono)
{
	struct timespec r, m;
	int64_t off;

	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_MONOTONIC, &m);
	off = (int64_t)(r.tv_sec - m.tv_sec) * 1000000000 +
	      (r.tv_nsec - m.tv_nsec);
	return (uint64_t)((int64_t)mono + off);
}

/* Zeek's local_orig/local_resp: an address of this namespace. */
static int is_local(const struct monitor *m, int family, const uint8_t *addr)
{
	const struct ifaddrs *i;
	const void *a;

	for (i = m->ifs; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != family)
			continue;
		if (family == AF_INET)
			a = &((const struct sockaddr_in *)i->ifa_addr)->sin_addr;
		else
			a = &((const struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
		if (!memcmp(a, addr, family == AF_INET ? 4 : 16))
			return 1;
	}
	return 0;
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[TCPSTATE_A_EVENT_MAX + 1] = { NULL };
	const struct nlattr *ft[TCPSTATE_A_FLOW_MAX + 1] = { NULL };
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	struct monitor *m = data;
	struct ts_flow f;
	uint64_t t;

	if (monitor_stop)
		return MNL_CB_STOP;
	if (g->cmd == TCPSTATE_CMD_PORT_PRESSURE_NTF)
		return m->zeek ? MNL_CB_OK : pressure_cb(nlh, m);
	if (g->cmd != TCPSTATE_CMD_TRANSITION_NTF &&
	    g->cmd != TCPSTATE_CMD_FLOW_END_NTF &&
	    g->cmd != TCPSTATE_CMD_STUCK_NTF)
		return MNL_CB_OK;
	nl_parse(nlh, tb, TCPSTATE_A_EVENT_MAX);
	if (tb[TCPSTATE_A_EVENT_FLOW])
		nl_parse_nested(tb[TCPSTATE_A_EVENT_FLOW], ft,
				TCPSTATE_A_FLOW_MAX);
	ts_flow_from_attrs(&f, ft);
	t = nl_u64(tb[TCPSTATE_A_EVENT_TIME_NS]);
	if (m->zeek) {
		if (g->cmd != TCPSTATE_CMD_FLOW_END_NTF)
			return MNL_CB_OK;
		ts_zeek_flow(stdout, &f, wall_ns(f.start_ns),
			     is_local(m, f.family, f.addr[TS_CLIENT]),
			     is_local(m, f.family, f.addr[TS_SERVER]));
	} else if (m->json)
		print_json(m, g->cmd, t, &f, tb);
	else
		print_text(g->cmd, t, &f, tb);
	if (fflush(stdout))
		return MNL_CB_ERROR;
	if (m->count > 0 && --m->count == 0)
		return MNL_CB_STOP;
	return MNL_CB_OK;
}

static int monitor_format(struct monitor *m, const char *s)
{
	if (!strcmp(s, "zeek"))
		m->zeek = true;
	else if (!strcmp(s, "json"))
		m->json = true;
	else if (strcmp(s, "text"))
		return -1;
	return 0;
}

/* Zeek's log is closed however monitoring stops: catch the signals. */
static int monitor_zeek_start(struct monitor *m)
{
	struct sigaction sa;

	if (getifaddrs(&m->ifs)) {
		fprintf(stderr, "%s: monitor: the namespace's addresses: %s\n",
			prog, strerror(errno));
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = monitor_signal;	/* no SA_RESTART: recv returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	ts_zeek_header(stdout, time(NULL));
	return fflush(stdout) ? -1 : 0;
}

int cmd_monitor(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "format", required_argument, NULL, 'F' },
		{ "count", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct monitor m = { .count = -1 };
	struct nl nl;
	char *end;
	int c, err;

	while ((c = getopt_long(argc, argv, "jpc:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			m.json = true;
			break;
		case 'p':
			m.json = m.pretty = true;
			break;
		case 'F':
			if (monitor_format(&m, optarg)) {
				fprintf(stderr, "%s: monitor: unknown format "
					"'%s' (text, json or zeek)\n", prog,
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'c':
			m.count = strtol(optarg, &end, 10);
			if (*end || m.count <= 0) {
				fprintf(stderr, "%s: --count needs a positive "
					"number\n", prog);
				return EXIT_USAGE;
			}
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
	if (m.zeek && m.json) {
		fprintf(stderr, "%s: monitor: -j and -p are JSON, not "
			"--format zeek\n", prog);
		return EXIT_USAGE;
	}
	if (nl_open(&nl))
		return EXIT_ERR;
	err = nl_subscribe(&nl);
	if (err) {
		nl_perror(&nl, "monitor: joining the events group", err);
		nl_close(&nl);
		return EXIT_ERR;
	}
	if (m.zeek && monitor_zeek_start(&m)) {
		nl_close(&nl);
		return EXIT_ERR;
	}
	fprintf(stderr, "%s: listening for events\n", prog);
	err = nl_listen(&nl, event_cb, &m);
	if (err == -EINTR && monitor_stop)
		err = 0;	/* stopped by a signal: a clean end */
	if (err)
		nl_perror(&nl, "monitor", err);
	nl_close(&nl);
	if (m.zeek) {
		ts_zeek_close(stdout, time(NULL));
		freeifaddrs(m.ifs);
		if (fflush(stdout))
			err = -errno;
	}
	return err ? EXIT_ERR : EXIT_OK;
}
