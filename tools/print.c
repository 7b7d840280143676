// SPDX-License-Identifier: GPL-2.0
/*
 * One printing path, two renderings. The same calls either write JSON
 * (compact, or pretty with -p) or collect the cells of an aligned text
 * table that is written when the list ends, once every width is known.
 * A call names the views it is for: OUT_JSON values are keyed, OUT_TEXT
 * values are cells of the column `col`; a value may be both, or either
 * (an address:port cell beside separate address and port keys).
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cgroup.h"
#include "flow.h"

#define OUT_DEPTH	16

struct ts_col {
	char *name;
	bool right;		/* numbers are right-aligned */
	size_t width;
};

struct ts_out {
	FILE *f;
	bool json;
	bool pretty;
	bool nomem;
	int depth;
	bool first[OUT_DEPTH];	/* nothing written yet at this depth */

	/* text table: columns from the first row, then rows of cells */
	struct ts_col *cols;
	size_t ncols;
	char **cells;
	size_t ncells, cells_size;
	size_t rows;
	size_t col;		/* next cell of the current row */

	/* a text cell being built from the elements of an array */
	bool in_array;
	char *acc;
	size_t acc_len;
};

static void *grow(struct ts_out *o, void *p, size_t *size, size_t elem)
{
	size_t n = *size ? *size * 2 : 16;
	void *q = realloc(p, n * elem);

	if (!q) {
		o->nomem = true;
		return NULL;
	}
	*size = n;
	return q;
}

/* ---- JSON ---- */

/* Length of a valid UTF-8 sequence (RFC 3629) at p, else 0. */
static size_t utf8_len(const unsigned char *p)
{
	size_t n, i;
	uint32_t c;

	if (p[0] < 0xc2 || p[0] > 0xf4)
		return 0;
	n = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : 2;
	c = p[0] & (0x3f >> (n - 1));
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)	/* stops at the NUL too */
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return n;
}

static void json_string(FILE *f, const char *s)
{
	const unsigned char *p;
	size_t n;

	putc('"', f);
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			n = *p >= 0x80 ? utf8_len(p) : 0;
			if (n) {
				fwrite(p, 1, n, f);
				p += n - 1;
			} else if (*p < 0x20 || *p >= 0x7f) {
				/* not UTF-8: as Latin-1, still valid JSON */
				fprintf(f, "\\u%04x", *p);
			} else {
				putc(*p, f);
			}
		}
	}
	putc('"', f);
}

static void json_indent(struct ts_out *o)
{
	int i;

	putc('\n', o->f);
	for (i = 0; i < o->depth; i++)
		fputs("  ", o->f);
}

/* Separator, indentation and key before a value. */
static void json_key(struct ts_out *o, const char *key)
{
	if (!o->first[o->depth])
		putc(',', o->f);
	o->first[o->depth] = false;
	if (o->pretty && o->depth)
		json_indent(o);
	if (key) {
		json_string(o->f, key);
		fputs(o->pretty ? ": " : ":", o->f);
	}
}

static void json_open(struct ts_out *o, const char *key, char c)
{
	json_key(o, key);
	putc(c, o->f);
	if (o->depth < OUT_DEPTH - 1)
		o->depth++;
	o->first[o->depth] = true;
}

static void json_close(struct ts_out *o, char c)
{
	bool empty = o->first[o->depth];

	if (o->depth)
		o->depth--;
	if (o->pretty && !empty)
		json_indent(o);
	putc(c, o->f);
	if (!o->depth)
		putc('\n', o->f);
}

/* ---- text ---- */

static bool text_wants(const struct ts_out *o, int where, const char *col)
{
	return !o->json && (where & OUT_TEXT) && (col || o->in_array);
}

static void text_append(struct ts_out *o, const char *s)
{
	size_t n = strlen(s), sep = o->acc_len ? 1 : 0;
	char *p = realloc(o->acc, o->acc_len + sep + n + 1);

	if (!p) {
		o->nomem = true;
		return;
	}
	if (sep)
		p[o->acc_len] = ',';
	memcpy(p + o->acc_len + sep, s, n + 1);
	o->acc = p;
	o->acc_len += sep + n;
}

static bool text_column(struct ts_out *o, const char *col, bool right)
{
	struct ts_col *c;

	if (o->rows)
		return o->col < o->ncols;	/* rows have the first's columns */
	c = realloc(o->cols, (o->ncols + 1) * sizeof(*c));
	if (!c) {
		o->nomem = true;
		return false;
	}
	o->cols = c;
	c += o->ncols;
	c->name = strdup(col);
	c->right = right;
	c->width = c->name ? strlen(c->name) : 0;
	if (!c->name)
		o->nomem = true;
	o->ncols++;
	return true;
}

static void text_cell(struct ts_out *o, const char *col, const char *s,
		      bool right)
{
	char *cell;

	if (o->in_array) {
		text_append(o, s);
		return;
	}
	if (!text_column(o, col, right))
		return;
	if (o->ncells == o->cells_size) {
		char **p = grow(o, o->cells, &o->cells_size, sizeof(*p));

		if (!p)
			return;
		o->cells = p;
	}
	cell = strdup(*s ? s : "-");	/* no empty cells: columns stay columns */
	if (!cell) {
		o->nomem = true;
		return;
	}
	if (strlen(cell) > o->cols[o->col].width)
		o->cols[o->col].width = strlen(cell);
	o->cells[o->ncells++] = cell;
	o->col++;
}

static void text_row(struct ts_out *o, char * const *cells)
{
	const struct ts_col *c;
	size_t i;
	int w;

	for (i = 0; i < o->ncols; i++) {
		c = &o->cols[i];
		w = (int)c->width;
		if (i + 1 == o->ncols && !c->right)
			w = 0;		/* no trailing blanks */
		fprintf(o->f, "%s%*s", i ? "  " : "", c->right ? w : -w,
			cells[i]);
	}
	putc('\n', o->f);
}

static void text_flush(struct ts_out *o)
{
	char **names;
	size_t i;

	if (!o->ncols)
		return;
	names = calloc(o->ncols, sizeof(*names));
	if (!names) {
		o->nomem = true;
		return;
	}
	for (i = 0; i < o->ncols; i++)
		names[i] = o->cols[i].name;
	text_row(o, names);
	free(names);
	for (i = 0; i + o->ncols <= o->ncells; i += o->ncols)
		text_row(o, o->cells + i);
}

static void text_clear(struct ts_out *o)
{
	size_t i;

	for (i = 0; i < o->ncells; i++)
		free(o->cells[i]);
	o->ncells = 0;
	o->rows = 0;
	o->col = 0;
}

/* ---- the writer ---- */

/* -j (JSON) and -p (pretty JSON), which every listing takes: was c one? */
bool out_option(int c, bool *json, bool *pretty)
{
	if (c == 'j')
		*json = true;
	else if (c == 'p')
		*pretty = true;
	else
		return false;
	return true;
}

struct ts_out *out_new(FILE *f, bool json, bool pretty)
{
	struct ts_out *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->f = f;
	o->json = json || pretty;
	o->pretty = pretty;
	o->first[0] = true;
	return o;
}

/* Frees the writer; -1 if any output was lost (no memory, write error). */
int out_free(struct ts_out *o)
{
	size_t i;
	int ret;

	ret = o->nomem || fflush(o->f) || ferror(o->f) ? -1 : 0;
	text_clear(o);
	for (i = 0; i < o->ncols; i++)
		free(o->cols[i].name);
	free(o->cols);
	free(o->cells);
	free(o->acc);
	free(o);
	return ret;
}

bool out_is_json(const struct ts_out *o)
{
	return o->json;
}

void out_list_begin(struct ts_out *o)
{
	if (o->json)
		json_open(o, NULL, '[');
}

void out_list_end(struct ts_out *o)
{
	if (o->json)
		json_close(o, ']');
	else
		text_flush(o);
}

/* A JSON object; in text, a row of the table. */
void out_obj_begin(struct ts_out *o, const char *key)
{
	if (o->json)
		json_open(o, key, '{');
	else
		o->col = 0;
}

void out_obj_end(struct ts_out *o)
{
	if (o->json) {
		json_close(o, '}');
		return;
	}
	/* a short row (a bug in the caller) is padded, never misaligned */
	while (o->rows && o->col < o->ncols && !o->nomem)
		text_cell(o, NULL, "-", false);
	o->rows++;
}

/* Leave the columns, forget the rows: a header for an empty table. */
void out_drop_rows(struct ts_out *o)
{
	if (!o->json)
		text_clear(o);
}

/* A JSON array; in text, its elements joined by commas in one cell. */
void out_array_begin(struct ts_out *o, int where, const char *key,
		     const char *col)
{
	if (o->json && (where & OUT_JSON)) {
		json_open(o, key, '[');
	} else if (text_wants(o, where, col)) {
		o->acc_len = 0;
		if (o->acc)
			o->acc[0] = '\0';
		o->in_array = true;
	}
}

void out_array_end(struct ts_out *o, int where, const char *col)
{
	if (o->json && (where & OUT_JSON)) {
		json_close(o, ']');
	} else if (!o->json && o->in_array) {
		o->in_array = false;
		text_cell(o, col, o->acc_len ? o->acc : "", false);
	}
}

void out_str(struct ts_out *o, int where, const char *key, const char *col,
	     const char *val)
{
	if (o->json && (where & OUT_JSON)) {
		json_key(o, key);
		json_string(o->f, val);
	} else if (text_wants(o, where, col)) {
		text_cell(o, col, val, false);
	}
}

void out_u64(struct ts_out *o, int where, const char *key, const char *col,
	     uint64_t val)
{
	char buf[24];

	if (o->json && (where & OUT_JSON)) {
		json_key(o, key);
		fprintf(o->f, "%" PRIu64, val);
	} else if (text_wants(o, where, col)) {
		snprintf(buf, sizeof(buf), "%" PRIu64, val);
		text_cell(o, col, buf, true);
	}
}

void out_bool(struct ts_out *o, int where, const char *key, const char *col,
	      bool val)
{
	if (o->json && (where & OUT_JSON)) {
		json_key(o, key);
		fputs(val ? "true" : "false", o->f);
	} else if (text_wants(o, where, col)) {
		text_cell(o, col, val ? "yes" : "no", false);
	}
}

void out_null(struct ts_out *o, int where, const char *key, const char *col)
{
	if (o->json && (where & OUT_JSON)) {
		json_key(o, key);
		fputs("null", o->f);
	} else if (text_wants(o, where, col)) {
		text_cell(o, col, "-", true);
	}
}

/* ---- flows ---- */

static const char * const flag_names[] = {
	"midstream", "syn_data", "reused", "simopen", "handshake", "ended",
	NULL, NULL, "wscale", "sack", "timestamps",
};

const char *ts_family_name(int family)
{
	return family == AF_INET6 ? "inet6" : "inet";
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
