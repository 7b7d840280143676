// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate flows [-j] [-p] [-4|-6] [FILTER...]: the flow table of this
 * namespace over netlink, printed as `tcpstate replay` prints a capture.
 *
 * Filters, in the manner of ss: state STATE (either endpoint), client-state
 * STATE, server-state STATE, conn CONN_STATE, src ADDR (client), dst ADDR
 * (server), addr ADDR (either), sport [:]PORT (client), dport [:]PORT
 * (server), port [:]PORT (either), listener, stuck [STATE] (an endpoint
 * found stuck, in STATE if given), uid UID and cgroup PATH (the
 * owner of either endpoint that is a local socket; a cgroup selects its
 * subtree). A filter given twice widens it for state and conn (any of
 * them), else the last one counts. The module applies all but the owner
 * filters, which apply to what it returns.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "cgroup.h"
#include "dump.h"
#include "flow.h"
#include "nl.h"
#include "tcpstate.h"

#define USAGE "Usage: %s flows [-j] [-p] [-4|-6] [state STATE]... " \
	"[client-state STATE]... [server-state STATE]...\n" \
	"       [conn CONN_STATE]... [src|dst|addr ADDR] " \
	"[sport|dport|port [:]PORT] [listener] [stuck [STATE]]\n" \
	"       [uid UID] [cgroup PATH]\n"

/* ss's names for the states, beside the RFC 793 names. */
static const struct {
	const char *name;
	int state;
} ss_names[] = {
	{ "syn-recv", TCPSTATE_S_SYN_RECEIVED },
	{ "close", TCPSTATE_S_CLOSED },
};

struct filter {
	uint8_t family;
	uint32_t states;
	int side;		/* enum tcpstate_side of the state filters */
	uint32_t conn_states;
	uint8_t addr[3][16];	/* either, client, server */
	int addr_family[3];	/* 0: not given */
	int port[3];		/* -1: not given */
	bool listener;
	bool stuck;
	long long uid;		/* -1: not given */
	bool cgroup;
	struct ts_cgroup_set cgroups;
};

/* An RFC 793 name (either case, - or _) or an ss name: -1 if neither. */
static int ts_parse_state(const char *s)
{
	char buf[32];
	size_t i;

	for (i = 0; i < sizeof(ss_names) / sizeof(ss_names[0]); i++)
		if (!strcasecmp(s, ss_names[i].name))
			return ss_names[i].state;
	for (i = 0; s[i] && i + 1 < sizeof(buf); i++)
		buf[i] = s[i] == '-' ? '_' : toupper((unsigned char)s[i]);
	buf[i] = '\0';
	for (i = TCPSTATE_S_NONE + 1; i < __TCPSTATE_S_MAX; i++)
		if (i != TCPSTATE_S_LISTEN && !strcmp(buf, tcpstate_state_name(i)))
			return i;
	return -1;
}

static int parse_conn(const char *s)
{
	int i;

	for (i = 0; i < __TCPSTATE_CS_MAX; i++)
		if (!strcasecmp(s, tcpstate_conn_state_name(i)))
			return i;
	return -1;
}

static int parse_port(const char *s)
{
	char *end;
	long v;

	if (*s == ':')
		s++;
	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < 0 || v > 65535)
		return -1;
	return v;
}

static long long parse_uid(const char *s)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (!isdigit((unsigned char)*s) || *end || errno || v >= UINT32_MAX)
		return -1;
	return v;
}

/* An address: its family, or 0 if it is not one. */
static int parse_addr(const char *s, uint8_t *addr)
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, s, addr) == 1)
		return AF_INET6;
	return 0;
}

static int bad_value(const char *what, const char *val, const char *accepted)
{
	fprintf(stderr, "%s: %s: '%s' is not %s\n", prog, what, val, accepted);
	return EXIT_USAGE;
}

static int filter_state(struct filter *f, int side, const char *val)
{
	int s = ts_parse_state(val);

	if (s < 0)
		return bad_value("state", val, "a state: established, syn-sent, "
				 "syn-recv (syn_received), fin-wait-1, "
				 "fin-wait-2, close-wait, closing, last-ack, "
				 "time-wait, closed (RFC 793 names work too)");
	if (f->states && f->side != side) {
		fprintf(stderr, "%s: use one of state, client-state and "
			"server-state\n", prog);
		return EXIT_USAGE;
	}
	f->side = side;
	f->states |= 1U << s;
	return 0;
}

static int filter_one(struct filter *f, const char *key, const char *val)
{
	static const char * const addr_keys[3] = { "addr", "src", "dst" };
	static const char * const port_keys[3] = { "port", "sport", "dport" };
	int i, v;

	if (!strcmp(key, "state"))
		return filter_state(f, TCPSTATE_SIDE_NONE, val);
	if (!strcmp(key, "client-state"))
		return filter_state(f, TCPSTATE_SIDE_CLIENT, val);
	if (!strcmp(key, "server-state"))
		return filter_state(f, TCPSTATE_SIDE_SERVER, val);
	if (!strcmp(key, "conn")) {
		v = parse_conn(val);
		if (v < 0)
			return bad_value("conn", val, "a Zeek conn_state: S0 S1 "
					 "SF REJ S2 S3 RSTO RSTR RSTOS0 RSTRH "
					 "SH SHR OTH");
		f->conn_states |= 1U << v;
		return 0;
	}
	if (!strcmp(key, "uid")) {
		f->uid = parse_uid(val);
		if (f->uid < 0)
			return bad_value(key, val, "a uid, 0 to 4294967294");
		return 0;
	}
	if (!strcmp(key, "cgroup")) {
		f->cgroup = true;
		return ts_cgroup_subtree(val, &f->cgroups);
	}
	for (i = 0; i < 3; i++) {
		if (!strcmp(key, addr_keys[i])) {
			f->addr_family[i] = parse_addr(val, f->addr[i]);
			if (!f->addr_family[i])
				return bad_value(key, val, "an IPv4 or IPv6 "
						 "address (10.0.0.2, fd00::2)");
			return 0;
		}
		if (!strcmp(key, port_keys[i])) {
			f->port[i] = parse_port(val);
			if (f->port[i] < 0)
				return bad_value(key, val, "a port, 0 to 65535 "
						 "(:443 or 443)");
			return 0;
		}
	}
	fprintf(stderr, "%s: unknown filter '%s'\n" USAGE, prog, key, prog);
	return EXIT_USAGE;
}

/* The family of every address filter must agree with -4/-6. */
static int filter_family(struct filter *f)
{
	int i;

	for (i = 0; i < 3; i++) {
		if (!f->addr_family[i])
			continue;
		if (f->family && f->family != f->addr_family[i]) {
			fprintf(stderr, "%s: the addresses and -4/-6 name "
				"different families\n", prog);
			return EXIT_USAGE;
		}
		f->family = f->addr_family[i];
	}
	return 0;
}

static int parse_filters(struct filter *f, int argc, char *argv[])
{
	int i, err;

	for (i = 0; i < 3; i++)
		f->port[i] = -1;
	f->uid = -1;
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "listener")) {
			f->listener = true;
			continue;
		}
		if (!strcmp(argv[i], "stuck")) {
			/* stuck [STATE]: the state a stuck endpoint is in */
			f->stuck = true;
			if (i + 1 < argc && ts_parse_state(argv[i + 1]) >= 0) {
				err = filter_state(f, TCPSTATE_SIDE_NONE,
						   argv[++i]);
				if (err)
					return err;
			}
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "%s: '%s' needs a value\n" USAGE, prog,
				argv[i], prog);
			return EXIT_USAGE;
		}
		err = filter_one(f, argv[i], argv[i + 1]);
		if (err)
			return err;
		i++;
	}
	return filter_family(f);
}

static void put_filter(struct nlmsghdr *nlh, const struct filter *f)
{
	static const int addr_attr[3] = {
		TCPSTATE_A_FILTER_ADDR, TCPSTATE_A_FILTER_CLIENT_ADDR,
		TCPSTATE_A_FILTER_SERVER_ADDR,
	};
	static const int port_attr[3] = {
		TCPSTATE_A_FILTER_PORT, TCPSTATE_A_FILTER_CLIENT_PORT,
		TCPSTATE_A_FILTER_SERVER_PORT,
	};
	struct nlattr *nest = mnl_attr_nest_start(nlh, TCPSTATE_A_FLOW_FILTER);
	int i;

	if (f->family)
		mnl_attr_put_u8(nlh, TCPSTATE_A_FILTER_FAMILY, f->family);
	if (f->states) {
		mnl_attr_put_u32(nlh, TCPSTATE_A_FILTER_STATES, f->states);
		mnl_attr_put_u8(nlh, TCPSTATE_A_FILTER_STATE_SIDE, f->side);
	}
	if (f->conn_states)
		mnl_attr_put_u32(nlh, TCPSTATE_A_FILTER_CONN_STATES,
				 f->conn_states);
	for (i = 0; i < 3; i++) {
		if (f->addr_family[i])
			mnl_attr_put(nlh, addr_attr[i],
				     f->family == AF_INET ? 4 : 16, f->addr[i]);
		if (f->port[i] >= 0)
			mnl_attr_put_u16(nlh, port_attr[i], htons(f->port[i]));
	}
	if (f->listener)
		mnl_attr_put(nlh, TCPSTATE_A_FILTER_LISTENER, 0, NULL);
	if (f->stuck)
		mnl_attr_put(nlh, TCPSTATE_A_FILTER_STUCK, 0, NULL);
	mnl_attr_nest_end(nlh, nest);
}

struct flows {
	struct ts_flow *v;
	size_t n, size;
	bool nomem;
};

static int flow_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[TCPSTATE_A_FLOW_MAX + 1] = { NULL };
	struct flows *fl = data;
	struct ts_flow *v;

	if (fl->n == fl->size) {
		fl->size = fl->size ? fl->size * 2 : 256;
		v = realloc(fl->v, fl->size * sizeof(*v));
		if (!v) {
			fl->nomem = true;
			errno = ENOMEM;
			return MNL_CB_ERROR;
		}
		fl->v = v;
	}
	nl_parse(nlh, tb, TCPSTATE_A_FLOW_MAX);
	ts_flow_from_attrs(&fl->v[fl->n], tb);
	fl->v[fl->n].seq = fl->n;
	fl->n++;
	return MNL_CB_OK;
}

/* Does a local endpoint of the flow have the owner the filters ask for? */
static bool owner_match(const struct filter *f, const struct ts_flow *fl)
{
	int side;

	for (side = 0; side < 2; side++) {
		if (!(fl->owned & (1U << side)))
			continue;
		if (f->uid >= 0 && fl->uid[side] != f->uid)
			continue;
		if (f->cgroup && !ts_cgroup_in(&f->cgroups, fl->cgroup[side]))
			continue;
		return true;
	}
	return false;
}

static void filter_owners(const struct filter *f, struct flows *fl)
{
	size_t i, n = 0;

	if (f->uid < 0 && !f->cgroup)
		return;
	for (i = 0; i < fl->n; i++)
		if (owner_match(f, &fl->v[i]))
			fl->v[n++] = fl->v[i];
	fl->n = n;
}

/* Dump until a pass is not interrupted by flows coming and going. */
static int dump_flows(struct nl *nl, const struct filter *f,
		      struct flows *fl)
{
	struct nlmsghdr *nlh;
	int tries, err;

	for (tries = 0; tries < 5; tries++) {
		fl->n = 0;
		nlh = nl_request(nl, TCPSTATE_CMD_FLOW_GET, NLM_F_DUMP);
		put_filter(nlh, f);
		err = nl_talk(nl, nlh, flow_cb, fl);
		if (err || !nl->intr)
			return err;
	}
	fprintf(stderr, "%s: the flow table kept changing during the dump; "
		"some flows may be listed twice or missing\n", prog);
	return 0;
}

int ts_stuck_flows_dump(struct nl *nl, struct ts_flow **v, size_t *n)
{
	struct filter f = { .stuck = true };
	struct flows fl = { 0 };
	int i, err;

	for (i = 0; i < 3; i++)
		f.port[i] = -1;
	f.uid = -1;
	err = dump_flows(nl, &f, &fl);
	*v = fl.v;
	*n = err ? 0 : fl.n;
	return err;
}

struct flows_dump {
	const struct filter *f;
	struct flows *fl;
};

static int flows_talk(struct nl *nl, void *arg)
{
	struct flows_dump *d = arg;

	return dump_flows(nl, d->f, d->fl);
}

int cmd_flows(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct filter f = { 0 };
	struct flows fl = { 0 };
	struct flows_dump d;
	bool json = false, pretty = false;
	int c, err;

	/* options may come anywhere: no filter value starts with '-' */
	while ((c = getopt_long(argc, argv, "jp46h", opts, NULL)) != -1) {
		if (out_option(c, &json, &pretty))
			continue;
		switch (c) {
		case '4':
			f.family = AF_INET;
			break;
		case '6':
			f.family = AF_INET6;
			break;
		default:
			fprintf(c == 'h' ? stdout : stderr, USAGE, prog);
			return c == 'h' ? EXIT_OK : EXIT_USAGE;
		}
	}
	err = parse_filters(&f, argc - optind, argv + optind);
	if (err)
		goto out;
	d.f = &f;
	d.fl = &fl;
	err = EXIT_ERR;
	if (nl_session("flows", flows_talk, &d))
		goto out;
	filter_owners(&f, &fl);
	err = ts_print_flows(stdout, fl.v, fl.n, json, pretty) ? EXIT_ERR :
	      EXIT_OK;
out:
	free(fl.v);
	free(f.cgroups.ids);
	return err;
}
