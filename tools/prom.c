// SPDX-License-Identifier: GPL-2.0
/*
 * The listener and destination tables in the Prometheus text format, named
 * as node_exporter names things: one family per figure, each series
 * labelled by the entry's address and port. The listener table is bounded
 * by max_listeners and the destination table by max_destinations; the
 * overflow entry of each is labelled addr="overflow", port="0".
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/socket.h>

#include "dump.h"
#include "prom.h"
#include "tcpstate.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct prom_metric {
	int attr;
	const char *name;	/* after tcpstate_listener_ or _destination_ */
	const char *help;
	enum { GAUGE, COUNTER, LOCAL_GAUGE } kind;
	/* LOCAL_GAUGE: only where the socket is of this namespace */
};

static const struct prom_metric listener_metrics[] = {
	{ TCPSTATE_A_LISTENER_HALF_OPEN, "half_open",
	  "Connections half-open (SYN received, handshake not done)", GAUGE },
	{ TCPSTATE_A_LISTENER_HALF_OPEN_PEAK, "half_open_peak",
	  "Most connections half-open at once", GAUGE },
	{ TCPSTATE_A_LISTENER_SYNS, "syns_total", "SYNs received", COUNTER },
	{ TCPSTATE_A_LISTENER_SYNACKS, "synacks_total", "SYN-ACKs sent", COUNTER },
	{ TCPSTATE_A_LISTENER_SYNACK_RETRANS, "synack_retransmissions_total",
	  "SYN-ACKs sent again", COUNTER },
	{ TCPSTATE_A_LISTENER_HANDSHAKES, "handshakes_total",
	  "Three-way handshakes completed", COUNTER },
	{ TCPSTATE_A_LISTENER_EXPIRED, "half_open_expired_total",
	  "Half-open connections that timed out or were evicted", COUNTER },
	{ TCPSTATE_A_LISTENER_RESETS, "half_open_resets_total",
	  "Half-open connections ended by a reset", COUNTER },
	{ TCPSTATE_A_LISTENER_FLOOD, "flood",
	  "1 while the listener is flooded with SYNs", GAUGE },
	{ TCPSTATE_A_LISTENER_FLOODS, "floods_total",
	  "Times the flood flag rose", COUNTER },
	{ TCPSTATE_A_LISTENER_COOKIES_SENT, "syncookies_sent_total",
	  "SYN-ACKs sent with a SYN cookie", COUNTER },
	{ TCPSTATE_A_LISTENER_COOKIES_RECV, "syncookies_received_total",
	  "Handshakes completed with a SYN cookie", COUNTER },
	{ TCPSTATE_A_LISTENER_LISTEN_OVERFLOWS, "listen_overflows_total",
	  "Handshakes and SYNs refused because the accept queue was full",
	  COUNTER },
	{ TCPSTATE_A_LISTENER_STUCK, "stuck_total",
	  "Endpoints of its flows found stuck", COUNTER },
	{ TCPSTATE_A_LISTENER_ACCEPT_QUEUE, "accept_queue",
	  "Connections waiting in the accept queue", LOCAL_GAUGE },
	{ TCPSTATE_A_LISTENER_ACCEPT_QUEUE_MAX, "accept_queue_limit",
	  "The accept queue's limit (the listen backlog)", LOCAL_GAUGE },
	{ TCPSTATE_A_LISTENER_SYN_QUEUE, "syn_queue",
	  "Request sockets in the kernel's SYN queue", LOCAL_GAUGE },
};

static const struct prom_metric dest_metrics[] = {
	{ TCPSTATE_A_DEST_FLOWS, "flows",
	  "Local flows holding an ephemeral port towards the destination",
	  GAUGE },
	{ TCPSTATE_A_DEST_TIME_WAIT, "time_wait",
	  "Of those, flows in TIME_WAIT", GAUGE },
	{ TCPSTATE_A_DEST_PEAK, "flows_peak", "Most flows at once", GAUGE },
	{ TCPSTATE_A_DEST_WARN, "port_pressure",
	  "1 while the destination is under port pressure", GAUGE },
	{ TCPSTATE_A_DEST_WARNINGS, "port_pressure_warnings_total",
	  "Times the port-pressure warning rose", COUNTER },
};

static void prom_head(FILE *f, const char *group,
		      const struct prom_metric *m)
{
	fprintf(f, "# HELP tcpstate_%s_%s %s.\n# TYPE tcpstate_%s_%s %s\n",
		group, m->name, m->help, group, m->name,
		m->kind == COUNTER ? "counter" : "gauge");
}

/* `addr="...",port="..."` of an entry; family 0 is the overflow entry. */
static void prom_labels(char *buf, size_t size, int family,
			const uint8_t *addr, uint16_t port)
{
	char a[INET6_ADDRSTRLEN];

	if (!family || !inet_ntop(family, addr, a, sizeof(a)))
		snprintf(buf, size, "addr=\"overflow\",port=\"0\"");
	else
		snprintf(buf, size, "addr=\"%s\",port=\"%u\"", a, port);
}

/*
 * Bucket i of the module's histogram counts handshakes of [2^i, 2^(i+1))
 * microseconds (bucket 0 from 0, the last one without an upper bound).
 */
static void prom_handshake_hist(FILE *f, const struct ts_listeners *ls)
{
	char lb[96];
	uint64_t sum;
	size_t i, b;

	fprintf(f, "# HELP tcpstate_listener_handshake_seconds Time from the "
		"client's SYN to the handshake done.\n"
		"# TYPE tcpstate_listener_handshake_seconds histogram\n");
	for (i = 0; i < ls->n; i++) {
		const struct ts_listener *l = &ls->v[i];

		prom_labels(lb, sizeof(lb), l->family, l->addr, l->port);
		for (sum = 0, b = 0; b + 1 < TS_HS_HIST; b++) {
			sum += l->hist[b];
			fprintf(f, "tcpstate_listener_handshake_seconds_bucket"
				"{%s,le=\"%g\"} %" PRIu64 "\n", lb,
				(double)(1ULL << (b + 1)) / 1e6, sum);
		}
		sum += l->hist[TS_HS_HIST - 1];
		fprintf(f, "tcpstate_listener_handshake_seconds_bucket"
			"{%s,le=\"+Inf\"} %" PRIu64 "\n"
			"tcpstate_listener_handshake_seconds_sum{%s} %.6f\n"
			"tcpstate_listener_handshake_seconds_count{%s} %" PRIu64
			"\n", lb, sum, lb,
			(double)l->v[TCPSTATE_A_LISTENER_HANDSHAKE_US_SUM] / 1e6,
			lb, sum);
	}
}

void ts_prom_listeners(FILE *f, const struct ts_listeners *ls)
{
	const struct prom_metric *m;
	char lb[96];
	size_t i;

	for (m = listener_metrics; m < listener_metrics + N(listener_metrics);
	     m++) {
		prom_head(f, "listener", m);
		for (i = 0; i < ls->n; i++) {
			const struct ts_listener *l = &ls->v[i];

			if (m->kind == LOCAL_GAUGE && !l->local)
				continue;
			prom_labels(lb, sizeof(lb), l->family, l->addr,
				    l->port);
			fprintf(f, "tcpstate_listener_%s{%s} %" PRIu64 "\n",
				m->name, lb, l->v[m->attr]);
		}
	}
	prom_handshake_hist(f, ls);
}

void ts_prom_dests(FILE *f, const struct ts_dests *ds)
{
	const struct prom_metric *m;
	char lb[96];
	size_t i;

	for (m = dest_metrics; m < dest_metrics + N(dest_metrics); m++) {
		prom_head(f, "destination", m);
		for (i = 0; i < ds->n; i++) {
			const struct ts_dest *d = &ds->v[i];

			prom_labels(lb, sizeof(lb), d->family, d->addr,
				    d->port);
			fprintf(f, "tcpstate_destination_%s{%s} %" PRIu64 "\n",
				m->name, lb, d->v[m->attr]);
		}
	}
}
