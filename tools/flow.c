// SPDX-License-Identifier: GPL-2.0
/*
 * struct ts_flow: from the state machine's record (replay) or from netlink
 * attributes (flows, monitor); the order flows are listed in; the one
 * printer of a flow, as a text row or a JSON object.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cgroup.h"
#include "flow.h"
#include "nl.h"

/* The handshake's round trips (tcpstate_fsm_rtt()), TS_NONE if unknown. */
static void fill_rtt(struct ts_flow *f, const struct tcpstate_fsm *fsm)
{
	uint64_t rtt[2];
	unsigned int known = tcpstate_fsm_rtt(fsm, rtt);

	f->rtt_syn_synack_us = known & 1 ? rtt[0] / 1000 : TS_NONE;
	f->rtt_synack_ack_us = known & 2 ? rtt[1] / 1000 : TS_NONE;
}

static void fill_duration(struct ts_flow *f, const struct tcpstate_fsm *fsm)
{
	enum tcpstate_ts end = f->flags & TCPSTATE_F_ENDED ?
			       TCPSTATE_TS_CLOSE : TCPSTATE_TS_LAST;
	uint64_t t = tcpstate_fsm_time(fsm, end);

	f->duration_ms = t > f->start_ns ? (t - f->start_ns) / 1000000 : 0;
}

void ts_flow_fill(struct ts_flow *f, const struct tcpstate_fsm *fsm,
		  const struct ts_tuple *t)
{
	unsigned int dir[2];
	int i;

	dir[TS_CLIENT] = tcpstate_fsm_orig_dir(fsm);
	dir[TS_SERVER] = dir[TS_CLIENT] ^ 1;

	memset(f, 0, sizeof(*f));
	f->family = t->family;
	for (i = 0; i < 2; i++) {
		memcpy(f->addr[i], t->addr[dir[i]], sizeof(f->addr[i]));
		f->port[i] = t->port[dir[i]];
		f->state[i] = fsm->state[dir[i]];
		f->pkts[i] = fsm->pkts[dir[i]];
		f->bytes[i] = fsm->bytes[dir[i]];
		f->retrans[i] = fsm->rtx[dir[i]];
	}
	f->conn_state = tcpstate_fsm_conn_state(fsm);
	f->close_reason = fsm->close_reason;
	f->closer = tcpstate_fsm_closer(fsm);
	tcpstate_fsm_history(fsm, f->history, sizeof(f->history));
	f->flags = tcpstate_fsm_flags(fsm);
	f->syn_retrans = fsm->syn_rtx;
	f->synack_retrans = fsm->synack_rtx;
	f->fin_retrans = fsm->fin_rtx;
	f->keepalives = fsm->keepalives;
	f->invalid = fsm->invalid;
	f->start_ns = tcpstate_fsm_time(fsm, TCPSTATE_TS_START);
	fill_rtt(f, fsm);
	fill_duration(f, fsm);
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_side(const struct ts_flow *x, const struct ts_flow *y, int side)
{
	int r = memcmp(x->addr[side], y->addr[side], sizeof(x->addr[side]));

	return r ? r : cmp_u64(x->port[side], y->port[side]);
}

/* family, client address and port, server address and port, start */
int ts_flow_cmp(const void *a, const void *b)
{
	const struct ts_flow *x = a, *y = b;
	int r;

	r = cmp_u64(x->family, y->family);
	if (!r)
		r = cmp_side(x, y, TS_CLIENT);
	if (!r)
		r = cmp_side(x, y, TS_SERVER);
	if (!r)
		r = cmp_u64(x->start_ns, y->start_ns);
	if (!r)
		r = cmp_u64(x->seq, y->seq);	/* qsort is not stable */
	return r;
}

void ts_flow_sort(struct ts_flow *flows, size_t n)
{
	if (n > 1)
		qsort(flows, n, sizeof(*flows), ts_flow_cmp);
}

/* ---- from netlink ---- */

static void get_addr(const struct nlattr *a, uint8_t *addr)
{
	size_t n = a ? mnl_attr_get_payload_len(a) : 0;

	memset(addr, 0, 16);
	if (n == 4 || n == 16)
		memcpy(addr, mnl_attr_get_payload(a), n);
}

static uint64_t get_rtt(const struct nlattr *a)
{
	return a ? mnl_attr_get_u32(a) : TS_NONE;
}

static void get_owner(struct ts_flow *f, int side, const struct nlattr *uid,
		      const struct nlattr *cgroup)
{
	if (!uid)
		return;
	f->owned |= 1U << side;
	f->uid[side] = mnl_attr_get_u32(uid);
	f->cgroup[side] = nl_u64(cgroup);
}

/* struct ts_flow from TCPSTATE_A_FLOW_* attributes. */
void ts_flow_from_attrs(struct ts_flow *f, const struct nlattr **tb)
{
	memset(f, 0, sizeof(*f));
	f->family = nl_u64(tb[TCPSTATE_A_FLOW_FAMILY]);
	get_addr(tb[TCPSTATE_A_FLOW_CLIENT_ADDR], f->addr[TS_CLIENT]);
	get_addr(tb[TCPSTATE_A_FLOW_SERVER_ADDR], f->addr[TS_SERVER]);
	f->port[TS_CLIENT] = ntohs(nl_u64(tb[TCPSTATE_A_FLOW_CLIENT_PORT]));
	f->port[TS_SERVER] = ntohs(nl_u64(tb[TCPSTATE_A_FLOW_SERVER_PORT]));
	f->state[TS_CLIENT] = nl_u64(tb[TCPSTATE_A_FLOW_CLIENT_STATE]);
	f->state[TS_SERVER] = nl_u64(tb[TCPSTATE_A_FLOW_SERVER_STATE]);
	f->conn_state = nl_u64(tb[TCPSTATE_A_FLOW_CONN_STATE]);
	f->close_reason = nl_u64(tb[TCPSTATE_A_FLOW_CLOSE_REASON]);
	f->closer = nl_u64(tb[TCPSTATE_A_FLOW_CLOSER]);
	if (tb[TCPSTATE_A_FLOW_HISTORY])
		snprintf(f->history, sizeof(f->history), "%s",
			 mnl_attr_get_str(tb[TCPSTATE_A_FLOW_HISTORY]));
	f->flags = nl_u64(tb[TCPSTATE_A_FLOW_FLAGS]);
	f->pkts[TS_CLIENT] = nl_u64(tb[TCPSTATE_A_FLOW_CLIENT_PKTS]);
	f->bytes[TS_CLIENT] = nl_u64(tb[TCPSTATE_A_FLOW_CLIENT_BYTES]);
	f->pkts[TS_SERVER] = nl_u64(tb[TCPSTATE_A_FLOW_SERVER_PKTS]);
	f->bytes[TS_SERVER] = nl_u64(tb[TCPSTATE_A_FLOW_SERVER_BYTES]);
	f->retrans[TS_CLIENT] = nl_u64(tb[TCPSTATE_A_FLOW_CLIENT_RETRANS]);
	f->retrans[TS_SERVER] = nl_u64(tb[TCPSTATE_A_FLOW_SERVER_RETRANS]);
	f->syn_retrans = nl_u64(tb[TCPSTATE_A_FLOW_SYN_RETRANS]);
	f->synack_retrans = nl_u64(tb[TCPSTATE_A_FLOW_SYNACK_RETRANS]);
	f->fin_retrans = nl_u64(tb[TCPSTATE_A_FLOW_FIN_RETRANS]);
	f->keepalives = nl_u64(tb[TCPSTATE_A_FLOW_KEEPALIVES]);
	f->invalid = nl_u64(tb[TCPSTATE_A_FLOW_INVALID]);
	f->start_ns = nl_u64(tb[TCPSTATE_A_FLOW_START_NS]);
	f->duration_ms = nl_u64(tb[TCPSTATE_A_FLOW_DURATION_MS]);
	f->rtt_syn_synack_us = get_rtt(tb[TCPSTATE_A_FLOW_RTT_SYN_SYNACK_US]);
	f->rtt_synack_ack_us = get_rtt(tb[TCPSTATE_A_FLOW_RTT_SYNACK_ACK_US]);
	f->live = true;
	f->stuck = nl_u64(tb[TCPSTATE_A_FLOW_STUCK]);
	get_owner(f, TS_CLIENT, tb[TCPSTATE_A_FLOW_CLIENT_UID],
		  tb[TCPSTATE_A_FLOW_CLIENT_CGROUP]);
	get_owner(f, TS_SERVER, tb[TCPSTATE_A_FLOW_SERVER_UID],
		  tb[TCPSTATE_A_FLOW_SERVER_CGROUP]);
}

/* ---- printing ---- */

static const char * const flag_names[] = {
	"midstream", "syn_data", "reused", "simopen", "handshake", "ended",
	NULL, NULL, "wscale", "sack", "timestamps",
};

const char *ts_family_name(int family)
{
	return family == AF_INET6 ? "inet6" : "inet";
}

/*
 * A table entry's endpoint (a listener's, a destination's): family,
 * address, port and whether it is the overflow entry (family 0) in JSON;
 * "ADDR:PORT" or "(table full)" in the text column col.
 */
void ts_print_entry_endpoint(struct ts_out *o, int family,
			     const uint8_t *addr, uint16_t port,
			     const char *col)
{
	char a[INET6_ADDRSTRLEN], ep[INET6_ADDRSTRLEN + 8];

	if (family) {
		inet_ntop(family, addr, a, sizeof(a));
		snprintf(ep, sizeof(ep), family == AF_INET6 ? "[%s]:%u" :
			 "%s:%u", a, port);
		out_str(o, OUT_ANY, "family", "Family", ts_family_name(family));
		out_str(o, OUT_JSON, "addr", NULL, a);
		out_u64(o, OUT_JSON, "port", NULL, port);
		out_bool(o, OUT_JSON, "overflow", NULL, false);
	} else {
		snprintf(ep, sizeof(ep), "(table full)");
		out_str(o, OUT_ANY, "family", "Family", "-");
		out_null(o, OUT_JSON, "addr", NULL);
		out_null(o, OUT_JSON, "port", NULL);
		out_bool(o, OUT_JSON, "overflow", NULL, true);
	}
	out_str(o, OUT_TEXT, NULL, col, ep);
}

static void print_endpoint(struct ts_out *o, const struct ts_flow *f,
			   int side, const char *akey, const char *pkey,
			   const char *col)
{
	char addr[INET6_ADDRSTRLEN], ep[INET6_ADDRSTRLEN + 8];

	if (!inet_ntop(f->family, f->addr[side], addr, sizeof(addr)))
		strcpy(addr, "?");
	out_str(o, OUT_JSON, akey, NULL, addr);
	out_u64(o, OUT_JSON, pkey, NULL, f->port[side]);
	snprintf(ep, sizeof(ep), f->family == AF_INET6 ? "[%s]:%u" : "%s:%u",
		 addr, f->port[side]);
	out_str(o, OUT_TEXT, NULL, col, ep);
}

static void print_rtt(struct ts_out *o, const struct ts_flow *f)
{
	uint64_t rtt[2] = { f->rtt_syn_synack_us, f->rtt_synack_ack_us };
	static const char * const key[2] = {
		"rtt_syn_synack_us", "rtt_synack_ack_us",
	};
	char part[2][24], buf[50];
	int i;

	for (i = 0; i < 2; i++) {
		if (rtt[i] == TS_NONE) {
			out_null(o, OUT_JSON, key[i], NULL);
			strcpy(part[i], "-");
		} else {
			out_u64(o, OUT_JSON, key[i], NULL, rtt[i]);
			snprintf(part[i], sizeof(part[i]), "%" PRIu64, rtt[i]);
		}
	}
	/* text: "SYN->SYN-ACK/SYN-ACK->ACK" in one cell */
	snprintf(buf, sizeof(buf), "%s/%s", part[0], part[1]);
	out_str(o, OUT_TEXT, NULL, "Rtt(us)", buf);
}

static void print_flags(struct ts_out *o, uint32_t flags)
{
	size_t i;

	out_array_begin(o, OUT_ANY, "flags", "Flags");
	for (i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if ((flags & (1U << i)) && flag_names[i])
			out_str(o, OUT_ANY, NULL, NULL, flag_names[i]);
	out_array_end(o, OUT_ANY, "Flags");
}

static void print_counters(struct ts_out *o, const struct ts_flow *f)
{
	out_u64(o, OUT_ANY, "client_pkts", "CliPkts", f->pkts[TS_CLIENT]);
	out_u64(o, OUT_ANY, "client_bytes", "CliBytes", f->bytes[TS_CLIENT]);
	out_u64(o, OUT_ANY, "server_pkts", "SrvPkts", f->pkts[TS_SERVER]);
	out_u64(o, OUT_ANY, "server_bytes", "SrvBytes", f->bytes[TS_SERVER]);
	out_u64(o, OUT_ANY, "client_retrans", "CliRtx", f->retrans[TS_CLIENT]);
	out_u64(o, OUT_ANY, "server_retrans", "SrvRtx", f->retrans[TS_SERVER]);
	out_u64(o, OUT_ANY, "syn_retrans", "SynRtx", f->syn_retrans);
	out_u64(o, OUT_ANY, "synack_retrans", "SynAckRtx", f->synack_retrans);
	out_u64(o, OUT_JSON, "fin_retrans", NULL, f->fin_retrans);
	out_u64(o, OUT_ANY, "keepalives", "Keepalive", f->keepalives);
	out_u64(o, OUT_ANY, "invalid", "Invalid", f->invalid);
}

const char *ts_side_name(unsigned int side)
{
	switch (side) {
	case TCPSTATE_SIDE_CLIENT:
		return "client";
	case TCPSTATE_SIDE_SERVER:
		return "server";
	default:
		return "none";
	}
}

/* A flow's keys and cells, in an object or row the caller opened. */
/* A local endpoint's owner, "uid:cgroup" in text. */
static void print_owner_json(struct ts_out *o, const struct ts_flow *f,
			     int side)
{
	static const char * const keys[2][3] = {
		{ "client_uid", "client_cgroup", "client_cgroup_id" },
		{ "server_uid", "server_cgroup", "server_cgroup_id" },
	};
	const char *path;

	if (!(f->owned & (1U << side))) {
		out_null(o, OUT_JSON, keys[side][0], NULL);
		out_null(o, OUT_JSON, keys[side][1], NULL);
		out_null(o, OUT_JSON, keys[side][2], NULL);
		return;
	}
	path = ts_cgroup_path(f->cgroup[side]);
	out_u64(o, OUT_JSON, keys[side][0], NULL, f->uid[side]);
	if (path)
		out_str(o, OUT_JSON, keys[side][1], NULL, path);
	else
		out_null(o, OUT_JSON, keys[side][1], NULL);
	out_u64(o, OUT_JSON, keys[side][2], NULL, f->cgroup[side]);
}

/*
 * Text: the owners of the local endpoints, "c=UID:CGROUP s=UID:CGROUP",
 * a cgroup gone since shown by its id; "-" where neither is local.
 */
static void print_owners(struct ts_out *o, const struct ts_flow *f)
{
	static const char tag[2] = { 'c', 's' };
	char buf[2][256], all[520];
	const char *path;
	int side, n = 0;

	all[0] = '\0';
	for (side = 0; side < 2; side++) {
		if (!(f->owned & (1U << side)))
			continue;
		path = ts_cgroup_path(f->cgroup[side]);
		if (path)
			snprintf(buf[side], sizeof(buf[side]), "%c=%u:%s",
				 tag[side], f->uid[side], path);
		else
			snprintf(buf[side], sizeof(buf[side]), "%c=%u:#%llu",
				 tag[side], f->uid[side],
				 (unsigned long long)f->cgroup[side]);
		n += snprintf(all + n, sizeof(all) - n, "%s%s", n ? " " : "",
			      buf[side]);
	}
	out_str(o, OUT_TEXT, NULL, "Owner", n ? all : "-");
	print_owner_json(o, f, 0);
	print_owner_json(o, f, 1);
}

void ts_print_flow_fields(struct ts_out *o, const struct ts_flow *f)
{
	out_str(o, OUT_ANY, "family", "Family", ts_family_name(f->family));
	print_endpoint(o, f, TS_CLIENT, "src", "sport", "Client");
	print_endpoint(o, f, TS_SERVER, "dst", "dport", "Server");
	out_str(o, OUT_ANY, "client_state", "ClientState",
		tcpstate_state_name(f->state[TS_CLIENT]));
	out_str(o, OUT_ANY, "server_state", "ServerState",
		tcpstate_state_name(f->state[TS_SERVER]));
	out_str(o, OUT_ANY, "conn_state", "Conn",
		tcpstate_conn_state_name(f->conn_state));
	out_str(o, OUT_ANY, "history", "History", f->history);
	print_counters(o, f);
	print_rtt(o, f);
	out_u64(o, OUT_ANY, "duration_ms", "Dur(ms)", f->duration_ms);
	out_str(o, OUT_ANY, "close_reason", "Close",
		tcpstate_close_reason_name(f->close_reason));
	out_str(o, OUT_JSON, "closer", NULL, ts_side_name(f->closer));
	out_u64(o, OUT_JSON, "start_ns", NULL, f->start_ns);
	out_bool(o, OUT_JSON, "midstream", NULL,
		 f->flags & TCPSTATE_F_MIDSTREAM);
	print_flags(o, f->flags);
	if (f->live) {
		print_owners(o, f);
		out_bool(o, OUT_JSON, "client_stuck", NULL,
			 f->stuck & (1U << TS_CLIENT));
		out_bool(o, OUT_JSON, "server_stuck", NULL,
			 f->stuck & (1U << TS_SERVER));
	}
}

void ts_print_flow(struct ts_out *o, const struct ts_flow *f)
{
	out_obj_begin(o, NULL);
	ts_print_flow_fields(o, f);
	out_obj_end(o);
}

/* Sort and print flows: 0, or -1 if the output could not be written. */
int ts_print_flows(FILE *f, struct ts_flow *flows, size_t n, bool json,
		   bool pretty)
{
	static const struct ts_flow blank = { .family = AF_INET };
	struct ts_out *o = out_new(f, json, pretty);
	size_t i;

	if (!o)
		return -1;
	ts_flow_sort(flows, n);
	out_list_begin(o);
	for (i = 0; i < n; i++)
		ts_print_flow(o, &flows[i]);
	if (!n && !out_is_json(o)) {
		/* an empty table still has its header */
		ts_print_flow(o, &blank);
		out_drop_rows(o);
	}
	out_list_end(o);
	return out_free(o);
}
