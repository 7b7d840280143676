// SPDX-License-Identifier: GPL-2.0
/*
 * Flows as Zeek's conn.log (the TSV writer's format): a header naming the
 * fields and their types, one line per flow, a #close trailer. Zeek's
 * standard fields come first, in Zeek's order, then tcpstate's own. What
 * tcpstate does not measure (missed_bytes, the IP-level byte counts,
 * tunnels, the service) is left unset ("-"), never guessed.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "flow.h"
#include "zeek.h"

static const struct {
	const char *name;
	const char *type;
} fields[] = {
	{ "ts", "time" },
	{ "uid", "string" },
	{ "id.orig_h", "addr" },
	{ "id.orig_p", "port" },
	{ "id.resp_h", "addr" },
	{ "id.resp_p", "port" },
	{ "proto", "enum" },
	{ "service", "string" },
	{ "duration", "interval" },
	{ "orig_bytes", "count" },
	{ "resp_bytes", "count" },
	{ "conn_state", "string" },
	{ "local_orig", "bool" },
	{ "local_resp", "bool" },
	{ "missed_bytes", "count" },
	{ "history", "string" },
	{ "orig_pkts", "count" },
	{ "orig_ip_bytes", "count" },
	{ "resp_pkts", "count" },
	{ "resp_ip_bytes", "count" },
	{ "tunnel_parents", "set[string]" },
	{ "tcpstate_client_state", "string" },
	{ "tcpstate_server_state", "string" },
	{ "tcpstate_close_reason", "string" },
	{ "tcpstate_orig_retrans", "count" },
	{ "tcpstate_resp_retrans", "count" },
	{ "tcpstate_rtt_syn_synack", "interval" },
	{ "tcpstate_rtt_synack_ack", "interval" },
};

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/* Zeek's header timestamps: local time, %Y-%m-%d-%H-%M-%S. */
static void zeek_stamp(FILE *f, const char *tag, time_t t)
{
	char buf[32];
	struct tm tm;

	if (!localtime_r(&t, &tm) ||
	    !strftime(buf, sizeof(buf), "%Y-%m-%d-%H-%M-%S", &tm))
		strcpy(buf, "-");
	fprintf(f, "#%s\t%s\n", tag, buf);
}

void ts_zeek_header(FILE *f, time_t now)
{
	size_t i;

	fputs("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n"
	      "#unset_field\t-\n#path\tconn\n", f);
	zeek_stamp(f, "open", now);
	fputs("#fields", f);
	for (i = 0; i < NFIELDS; i++)
		fprintf(f, "\t%s", fields[i].name);
	fputs("\n#types", f);
	for (i = 0; i < NFIELDS; i++)
		fprintf(f, "\t%s", fields[i].type);
	fputc('\n', f);
}

void ts_zeek_close(FILE *f, time_t now)
{
	zeek_stamp(f, "close", now);
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--) {
		h ^= *c++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/*
 * A connection uid in Zeek's form, "C" and 17 base-62 digits, from the
 * 4-tuple and the start: the same flow gets the same uid in every log.
 */
static void zeek_uid(char uid[19], const struct ts_flow *fl)
{
	static const char digits[] =
		"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	uint64_t h[2] = { 0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL };
	size_t i, k;

	for (k = 0; k < 2; k++) {
		h[k] = fnv1a(h[k], &fl->family, sizeof(fl->family));
		h[k] = fnv1a(h[k], fl->addr, sizeof(fl->addr));
		h[k] = fnv1a(h[k], fl->port, sizeof(fl->port));
		h[k] = fnv1a(h[k], &fl->start_ns, sizeof(fl->start_ns));
	}
	uid[0] = 'C';
	for (i = 1; i < 18; i++) {
		k = i < 10 ? 0 : 1;
		uid[i] = digits[h[k] % 62];
		h[k] /= 62;
	}
	uid[18] = '\0';
}

static void zeek_bool(FILE *f, int v)
{
	fputs(v < 0 ? "\t-" : v ? "\tT" : "\tF", f);
}

/* An interval of `us` microseconds, or unset. */
static void zeek_us(FILE *f, uint64_t us)
{
	if (us == TS_NONE)
		fputs("\t-", f);
	else
		fprintf(f, "\t%" PRIu64 ".%06" PRIu64, us / 1000000,
			us % 1000000);
}

void ts_zeek_flow(FILE *f, const struct ts_flow *fl, uint64_t start_ns,
		  int local_orig, int local_resp)
{
	char a[2][INET6_ADDRSTRLEN], uid[19];
	int s;

	for (s = 0; s < 2; s++)
		if (!inet_ntop(fl->family, fl->addr[s], a[s], sizeof(a[s])))
			strcpy(a[s], "-");
	zeek_uid(uid, fl);
	fprintf(f, "%" PRIu64 ".%06" PRIu64 "\t%s\t%s\t%u\t%s\t%u\ttcp\t-",
		start_ns / 1000000000, start_ns / 1000 % 1000000, uid, a[0],
		fl->port[TS_CLIENT], a[1], fl->port[TS_SERVER]);
	fprintf(f, "\t%" PRIu64 ".%03" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%s",
		fl->duration_ms / 1000, fl->duration_ms % 1000,
		fl->bytes[TS_CLIENT], fl->bytes[TS_SERVER],
		tcpstate_conn_state_name(fl->conn_state));
	zeek_bool(f, local_orig);
	zeek_bool(f, local_resp);
	fprintf(f, "\t-\t%s\t%" PRIu64 "\t-\t%" PRIu64 "\t-\t-",
		fl->history[0] ? fl->history : "-", fl->pkts[TS_CLIENT],
		fl->pkts[TS_SERVER]);
	fprintf(f, "\t%s\t%s\t%s\t%u\t%u",
		tcpstate_state_name(fl->state[TS_CLIENT]),
		tcpstate_state_name(fl->state[TS_SERVER]),
		tcpstate_close_reason_name(fl->close_reason),
		fl->retrans[TS_CLIENT], fl->retrans[TS_SERVER]);
	zeek_us(f, fl->rtt_syn_synack_us);
	zeek_us(f, fl->rtt_synack_ack_us);
	fputc('\n', f);
}
