// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate replay [-j] [-p] FILE.pcap: run the state machine of the module
 * (module/fsm.c, built in) over a capture and print the flows as
 * `tcpstate flows` does.
 *
 * Flows are keyed by their 4-tuple; direction 0 is the sender of the first
 * segment seen. A SYN that starts a new incarnation ends the old record,
 * which is kept for the output. Timeouts are the module's defaults, read
 * against the capture's clock: a flow idle past its deadline when its next
 * segment arrives, or when the capture ends, expires as the module's GC
 * would expire it. Every record, ended or not, is printed at the end.
 *
 * A summary of the packets read goes to stderr, so that -j output stays
 * one JSON array. Packets fall in exactly one of: tcp (tracked), non_tcp,
 * malformed (truncated or inconsistent headers; never read past the
 * captured bytes), fragments (IP fragments of TCP, first or not: a segment
 * seen in part is not tracked). A SYN whose options have a bad length is
 * tracked, as in the module, and counted in bad_options too.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "../module/key.h"
#include "flow.h"
#include "tcpstate.h"
#include "zeek.h"

#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86dd
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88a8
#define ETH_P_QINQ1	0x9100
#define IPPROTO_TCP_	6

enum verdict { P_TCP, P_NON_TCP, P_MALFORMED, P_FRAGMENT };

/* A packet's bytes: cap captured, wire on the wire (cap <= wire). */
struct bytes {
	const uint8_t *p;
	size_t cap;
	size_t wire;
};

struct packet {
	struct ts_tuple t;	/* [0] source, [1] destination */
	struct tcpstate_seg seg;
	bool bad_options;	/* a SYN option with a bad length */
};

struct rp_flow {
	struct rp_flow *next;
	uint32_t hash;
	uint64_t seq;
	struct tcpstate_key key;	/* canonical, as the module's */
	unsigned int dir0;		/* key side of the first sender */
	struct ts_tuple t;		/* as the first segment had it */
	struct tcpstate_fsm fsm;
};

struct rp_stats {
	uint64_t packets;
	uint64_t tcp;
	uint64_t non_tcp;
	uint64_t malformed;
	uint64_t fragments;
	uint64_t bad_options;
	uint64_t invalid;	/* segments the fsm found invalid */
	uint64_t reused;	/* new incarnations */
	uint64_t expired;
};

struct replay {
	const char *file;
	struct rp_flow **buckets;
	size_t nbuckets;
	size_t nflows;
	struct ts_flow *done;	/* ended records, then all */
	size_t ndone, done_size;
	uint64_t seq;
	uint64_t now;		/* latest timestamp of the capture */
	struct rp_stats st;
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* ---- parsing: every read is checked against cap ---- */

/* b: the TCP segment, b.wire its length by the IP header. */
static enum verdict parse_tcp(struct bytes b, struct packet *pk)
{
	struct tcpstate_seg *seg = &pk->seg;
	size_t hl;

	if (b.cap < 20)
		return P_MALFORMED;
	hl = (size_t)(b.p[12] >> 4) * 4;
	if (hl < 20 || hl > b.wire || hl > b.cap)
		return P_MALFORMED;
	pk->t.port[0] = get16(b.p);
	pk->t.port[1] = get16(b.p + 2);
	seg->seq = get32(b.p + 4);
	seg->ack = get32(b.p + 8);
	seg->flags = b.p[13];
	seg->win = get16(b.p + 14);
	seg->len = (uint32_t)(b.wire - hl);
	seg->pkts = 1;
	/* as the module: a SYN's bad option is counted, the SYN tracked */
	if ((seg->flags & TCPSTATE_TH_SYN) &&
	    !tcpstate_parse_options(b.p + 20, (unsigned int)(hl - 20), seg))
		pk->bad_options = true;
	return P_TCP;
}

static enum verdict parse_ipv4(struct bytes b, struct packet *pk)
{
	size_t ihl, tot;

	if (b.cap < 20 || b.p[0] >> 4 != 4)
		return P_MALFORMED;
	ihl = (size_t)(b.p[0] & 0xf) * 4;
	tot = get16(b.p + 2);
	/* a segmentation offload's capture leaves the total length 0 */
	if (!tot)
		tot = b.wire;
	if (ihl < 20 || ihl > b.cap || tot < ihl || tot > b.wire)
		return P_MALFORMED;
	if (b.p[9] != IPPROTO_TCP_)
		return P_NON_TCP;
	if (get16(b.p + 6) & 0x3fff)	/* more fragments, or an offset */
		return P_FRAGMENT;
	pk->t.family = AF_INET;
	memcpy(pk->t.addr[0], b.p + 12, 4);
	memcpy(pk->t.addr[1], b.p + 16, 4);
	b.cap = (tot < b.cap ? tot : b.cap) - ihl;	/* drop link padding */
	b.wire = tot - ihl;
	b.p += ihl;
	return parse_tcp(b, pk);
}

/* Skip IPv6 extension headers up to TCP; *off is where TCP starts. */
static enum verdict ipv6_skip(const uint8_t *p, size_t end, size_t *off)
{
	uint8_t nh = p[6];
	size_t len;

	for (;;) {
		switch (nh) {
		case IPPROTO_TCP_:
			return P_TCP;
		case 0:		/* hop-by-hop */
		case 43:	/* routing */
		case 60:	/* destination options */
		case 135:	/* mobility */
		case 139:	/* HIP */
		case 140:	/* shim6 */
		case 51:	/* AH: length in 4-octet units */
			if (end - *off < 2)
				return P_MALFORMED;
			len = nh == 51 ? ((size_t)p[*off + 1] + 2) * 4 :
					 ((size_t)p[*off + 1] + 1) * 8;
			break;
		case 44:	/* fragment */
			if (end - *off < 8)
				return P_MALFORMED;
			/* an offset, or more to come: not an atomic one */
			if (get16(p + *off + 2) & 0xfff9)
				return p[*off] == IPPROTO_TCP_ ? P_FRAGMENT :
								P_NON_TCP;
			len = 8;
			break;
		default:	/* ESP, no next header, UDP, ICMPv6, ... */
			return P_NON_TCP;
		}
		if (len > end - *off)
			return P_MALFORMED;
		nh = p[*off];
		*off += len;
	}
}

static enum verdict parse_ipv6(struct bytes b, struct packet *pk)
{
	size_t tot, end, off = 40;
	enum verdict v;

	if (b.cap < 40 || b.p[0] >> 4 != 6)
		return P_MALFORMED;
	tot = 40 + (size_t)get16(b.p + 4);
	if (tot == 40 || tot > b.wire)	/* jumbograms are not supported */
		return P_MALFORMED;
	end = tot < b.cap ? tot : b.cap;
	v = ipv6_skip(b.p, end, &off);
	if (v != P_TCP)
		return v;
	pk->t.family = AF_INET6;
	memcpy(pk->t.addr[0], b.p + 8, 16);
	memcpy(pk->t.addr[1], b.p + 24, 16);
	b.cap = end - off;
	b.wire = tot - off;
	b.p += off;
	return parse_tcp(b, pk);
}

/* The link-layer header: *proto gets the EtherType of what follows. */
static enum verdict parse_link(int dlt, struct bytes *b, uint16_t *proto)
{
	size_t off;

	switch (dlt) {
	case DLT_EN10MB:
		off = 14;
		break;
	case DLT_LINUX_SLL:
		off = 16;
		break;
	case DLT_LINUX_SLL2:
		off = 20;
		break;
	default:		/* raw IP: the version says which */
		if (!b->cap)
			return P_MALFORMED;
		*proto = b->p[0] >> 4 == 6 ? ETH_P_IPV6 : ETH_P_IP;
		if ((dlt == DLT_IPV4 && *proto != ETH_P_IP) ||
		    (dlt == DLT_IPV6 && *proto != ETH_P_IPV6))
			return P_MALFORMED;
		return P_TCP;
	}
	if (b->cap < off)
		return P_MALFORMED;
	*proto = get16(b->p + (dlt == DLT_EN10MB ? 12 :
			       dlt == DLT_LINUX_SLL ? 14 : 0));
	/* 802.1Q and 802.1ad tags, stacked or not */
	while (*proto == ETH_P_8021Q || *proto == ETH_P_8021AD ||
	       *proto == ETH_P_QINQ1) {
		if (b->cap - off < 4)
			return P_MALFORMED;
		*proto = get16(b->p + off + 2);
		off += 4;
	}
	b->p += off;
	b->cap -= off;
	b->wire -= off;
	return P_TCP;
}

static enum verdict parse_packet(int dlt, struct bytes b, struct packet *pk)
{
	uint16_t proto = 0;
	enum verdict v;

	memset(pk, 0, sizeof(*pk));
	v = parse_link(dlt, &b, &proto);
	if (v != P_TCP)
		return v;
	switch (proto) {
	case ETH_P_IP:
		return parse_ipv4(b, pk);
	case ETH_P_IPV6:
		return parse_ipv6(b, pk);
	default:
		return P_NON_TCP;
	}
}

static bool link_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return true;
	default:
		return false;
	}
}

/* ---- the flow table ---- */

/* The module's key of a segment's tuple; returns the side its source is. */
static unsigned int tuple_key(const struct ts_tuple *t, struct tcpstate_key *k)
{
	unsigned int i, len = t->family == AF_INET6 ? 16 : 4;

	memset(k, 0, sizeof(*k));
	k->family = (u8)t->family;
	for (i = 0; i < 2; i++) {
		memcpy(&k->addr[i], t->addr[i], len);
		k->port[i] = htons(t->port[i]);
	}
	return tcpstate_key_canon(k);
}

static uint32_t fnv1a(uint32_t h, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static struct rp_flow *flow_find(struct replay *r, const struct tcpstate_key *k,
				 uint32_t hash)
{
	struct rp_flow *fl;

	if (!r->nbuckets)
		return NULL;
	for (fl = r->buckets[hash & (r->nbuckets - 1)]; fl; fl = fl->next)
		if (fl->hash == hash && tcpstate_key_equal(&fl->key, k))
			return fl;
	return NULL;
}

static int table_grow(struct replay *r)
{
	size_t i, n = r->nbuckets ? r->nbuckets * 2 : 256;
	struct rp_flow **b = calloc(n, sizeof(*b));
	struct rp_flow *fl, *next;

	if (!b)
		return -ENOMEM;
	for (i = 0; i < r->nbuckets; i++) {
		for (fl = r->buckets[i]; fl; fl = next) {
			next = fl->next;
			fl->next = b[fl->hash & (n - 1)];
			b[fl->hash & (n - 1)] = fl;
		}
	}
	free(r->buckets);
	r->buckets = b;
	r->nbuckets = n;
	return 0;
}

static struct rp_flow *flow_add(struct replay *r, const struct ts_tuple *t,
				const struct tcpstate_key *k, uint32_t hash,
				uint64_t now)
{
	struct rp_flow *fl;

	if (r->nflows >= r->nbuckets && table_grow(r))
		return NULL;
	fl = calloc(1, sizeof(*fl));
	if (!fl)
		return NULL;
	fl->hash = hash;
	fl->key = *k;
	fl->t = *t;
	fl->seq = r->seq++;
	tcpstate_fsm_init(&fl->fsm, now);
	fl->next = r->buckets[hash & (r->nbuckets - 1)];
	r->buckets[hash & (r->nbuckets - 1)] = fl;
	r->nflows++;
	return fl;
}

static void flow_del(struct replay *r, struct rp_flow *fl)
{
	struct rp_flow **pp = &r->buckets[fl->hash & (r->nbuckets - 1)];

	while (*pp != fl)
		pp = &(*pp)->next;
	*pp = fl->next;
	r->nflows--;
	free(fl);
}

/* Keep a record for the output. */
static int flow_save(struct replay *r, const struct rp_flow *fl)
{
	struct ts_flow *f;

	if (r->ndone == r->done_size) {
		size_t n = r->done_size ? r->done_size * 2 : 64;

		f = realloc(r->done, n * sizeof(*f));
		if (!f)
			return -ENOMEM;
		r->done = f;
		r->done_size = n;
	}
	f = &r->done[r->ndone++];
	ts_flow_fill(f, &fl->fsm, &fl->t);
	f->seq = fl->seq;
	return 0;
}

static bool flow_expire(struct replay *r, struct rp_flow *fl, uint64_t now)
{
	struct tcpstate_result res;

	if (!tcpstate_fsm_expire(&fl->fsm, now, &tcpstate_timeouts_default,
				 &res))
		return false;
	r->st.expired++;
	return true;
}

static int replay_segment(struct replay *r, struct packet *pk)
{
	struct tcpstate_result res;
	struct tcpstate_key key;
	unsigned int side = tuple_key(&pk->t, &key);
	uint32_t hash = fnv1a(2166136261u, &key, sizeof(key));
	uint64_t now = pk->seg.tstamp;
	struct rp_flow *fl;

	fl = flow_find(r, &key, hash);
	if (fl && flow_expire(r, fl, now)) {
		/* the module's GC would have freed it before this segment */
		if (flow_save(r, fl))
			return -ENOMEM;
		flow_del(r, fl);
		fl = NULL;
	}
	if (!fl) {
		fl = flow_add(r, &pk->t, &key, hash, now);
		if (!fl)
			return -ENOMEM;
		fl->dir0 = side;
	}
	pk->seg.dir = side != fl->dir0;
	tcpstate_fsm_update(&fl->fsm, &pk->seg, &res);
	if (res.events & TCPSTATE_EV_NEW_INC) {
		if (flow_save(r, fl))
			return -ENOMEM;
		r->st.reused++;
		fl->seq = r->seq++;
		tcpstate_fsm_restart(&fl->fsm, &pk->seg, &res);
	}
	if (res.events & TCPSTATE_EV_INVALID)
		r->st.invalid++;
	return 0;
}

/* At the end of the capture: expire what has timed out, keep everything. */
static int replay_finish(struct replay *r)
{
	struct rp_flow *fl, *next;
	size_t i;
	int err = 0;

	for (i = 0; i < r->nbuckets; i++) {
		for (fl = r->buckets[i]; fl; fl = next) {
			next = fl->next;
			flow_expire(r, fl, r->now);
			if (!err && flow_save(r, fl))
				err = -ENOMEM;
			free(fl);
		}
		r->buckets[i] = NULL;
	}
	r->nflows = 0;
	return err;
}

static void replay_free(struct replay *r)
{
	replay_finish(r);
	free(r->buckets);
	free(r->done);
}

/* ---- the capture ---- */

static uint64_t pcap_ns(const struct pcap_pkthdr *h)
{
	/* opened with nanosecond precision: tv_usec holds nanoseconds */
	if (h->ts.tv_sec < 0)
		return 0;
	return (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec;
}

static int replay_packet(struct replay *r, int dlt,
			 const struct pcap_pkthdr *h, const uint8_t *data)
{
	struct bytes b = {
		.p = data,
		.cap = h->caplen,
		.wire = h->len > h->caplen ? h->len : h->caplen,
	};
	struct packet pk;
	enum verdict v;

	r->st.packets++;
#ifdef REPLAY_EXACT_BUFFERS
	/* tests: an exact-size copy lets ASan see a read past the capture */
	uint8_t *copy = malloc(b.cap ?: 1);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, data, b.cap);
	b.p = copy;
	v = parse_packet(dlt, b, &pk);
	free(copy);
#else
	v = parse_packet(dlt, b, &pk);
#endif
	switch (v) {
	case P_NON_TCP:
		r->st.non_tcp++;
		return 0;
	case P_MALFORMED:
		r->st.malformed++;
		return 0;
	case P_FRAGMENT:
		r->st.fragments++;
		return 0;
	case P_TCP:
		break;
	}
	r->st.tcp++;
	r->st.bad_options += pk.bad_options;
	pk.seg.tstamp = pcap_ns(h);
	if (pk.seg.tstamp > r->now)
		r->now = pk.seg.tstamp;
	return replay_segment(r, &pk);
}

static pcap_t *replay_open(const char *file)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	FILE *f = strcmp(file, "-") ? fopen(file, "rb") : stdin;
	pcap_t *p;

	if (!f) {
		fprintf(stderr, "%s: replay: %s: %s\n", prog, file,
			strerror(errno));
		return NULL;
	}
	p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO,
						     errbuf);
	if (!p) {
		fprintf(stderr, "%s: replay: %s: not a readable pcap capture: %s\n",
			prog, file, errbuf);
		if (f != stdin)
			fclose(f);
	}
	return p;
}

/*
 * Read every packet: 0 at the end of the file; 1 if the capture is cut
 * short or corrupt (what was read is still shown, the exit status is 1);
 * -1 if nothing can be shown.
 */
static int replay_read(struct replay *r, pcap_t *p)
{
	int dlt = pcap_datalink(p), ret;
	struct pcap_pkthdr *h;
	const uint8_t *data;

	if (!link_supported(dlt)) {
		fprintf(stderr, "%s: replay: %s: unsupported link type %d (%s); "
			"supported: EN10MB, LINUX_SLL, LINUX_SLL2, RAW, IPV4, IPV6\n",
			prog, r->file, dlt,
			pcap_datalink_val_to_name(dlt) ?: "unknown");
		return -1;
	}
	while ((ret = pcap_next_ex(p, &h, &data)) == 1) {
		if (replay_packet(r, dlt, h, data)) {
			fprintf(stderr, "%s: replay: %s: out of memory\n",
				prog, r->file);
			return -1;
		}
	}
	if (ret == PCAP_ERROR_BREAK)
		return 0;
	fprintf(stderr,
		"%s: replay: %s: capture truncated or corrupt after %" PRIu64 " packets: %s\n",
		prog, r->file, r->st.packets, pcap_geterr(p));
	return 1;
}

static void replay_summary(const struct replay *r)
{
	const struct rp_stats *s = &r->st;

	fprintf(stderr, "%s: replay: %s: packets %" PRIu64 " tcp %" PRIu64
		" non_tcp %" PRIu64 " malformed %" PRIu64 " fragments %" PRIu64
		" bad_options %" PRIu64 " invalid %" PRIu64 " flows %zu reused %"
		PRIu64 " expired %" PRIu64 "\n", prog, r->file, s->packets,
		s->tcp, s->non_tcp, s->malformed, s->fragments, s->bad_options,
		s->invalid, r->ndone, s->reused, s->expired);
}

static int replay_usage(FILE *f)
{
	fprintf(f, "Usage: %s replay [-j] [-p] [--format text|json|zeek] FILE.pcap\n"
		"  -j  JSON: one array of flows\n"
		"  -p  pretty-printed JSON (implies -j)\n"
		"  --format zeek  Zeek's conn.log (TSV), one line per flow\n"
		"FILE may be '-' for standard input.\n"
		"A summary of the packets read goes to stderr.\n", prog);
	return f == stdout ? EXIT_OK : EXIT_USAGE;
}

enum replay_format { RP_TEXT, RP_JSON, RP_ZEEK };

static int replay_format(const char *s, enum replay_format *fmt)
{
	if (!strcmp(s, "text"))
		*fmt = RP_TEXT;
	else if (!strcmp(s, "json"))
		*fmt = RP_JSON;
	else if (!strcmp(s, "zeek"))
		*fmt = RP_ZEEK;
	else
		return -1;
	return 0;
}

static int replay_print(struct replay *r, enum replay_format fmt,
			bool pretty)
{
	size_t i;

	if (fmt != RP_ZEEK)
		return ts_print_flows(stdout, r->done, r->ndone,
				      fmt == RP_JSON, pretty);
	ts_flow_sort(r->done, r->ndone);
	ts_zeek_header(stdout, time(NULL));
	for (i = 0; i < r->ndone; i++)
		ts_zeek_flow(stdout, &r->done[i], r->done[i].start_ns, -1, -1);
	ts_zeek_close(stdout, time(NULL));
	return fflush(stdout) || ferror(stdout) ? -1 : 0;
}

int cmd_replay(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum replay_format fmt = RP_TEXT;
	struct replay r = { 0 };
	bool json = false, pretty = false, fmt_set = false;
	int c, err, ret = EXIT_ERR;
	pcap_t *p;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jph", opts, NULL)) != -1) {
		if (out_option(c, &json, &pretty))
			continue;
		switch (c) {
		case 'h':
			return replay_usage(stdout);
		case 'F':
			fmt_set = true;
			if (replay_format(optarg, &fmt)) {
				fprintf(stderr, "%s: replay: unknown format "
					"'%s' (text, json or zeek)\n", prog,
					optarg);
				return replay_usage(stderr);
			}
			break;
		case ':':
			fprintf(stderr, "%s: replay: %s needs a value\n",
				prog, argv[optind - 1]);
			return replay_usage(stderr);
		default:
			if (optopt)
				fprintf(stderr, "%s: replay: unknown option "
					"'-%c'\n", prog, optopt);
			else
				fprintf(stderr, "%s: replay: unknown option "
					"'%s'\n", prog, argv[optind - 1]);
			return replay_usage(stderr);
		}
	}
	if (json || pretty) {
		if (fmt_set && fmt != RP_JSON) {
			fprintf(stderr, "%s: replay: -j and -p are JSON, not "
				"--format %s\n", prog, fmt == RP_ZEEK ? "zeek" :
				"text");
			return replay_usage(stderr);
		}
		fmt = RP_JSON;
	}
	if (argc - optind != 1) {
		fprintf(stderr, "%s: replay: %s\n", prog, argc == optind ?
			"no capture file given" : "only one capture file");
		return replay_usage(stderr);
	}
	r.file = argv[optind];
	p = replay_open(r.file);
	if (!p)
		return EXIT_ERR;
	err = replay_read(&r, p);
	pcap_close(p);
	if (err < 0)
		goto cleanup;
	if (replay_finish(&r)) {
		fprintf(stderr, "%s: replay: %s: out of memory\n", prog, r.file);
		goto cleanup;
	}
	replay_summary(&r);
	if (replay_print(&r, fmt, pretty)) {
		fprintf(stderr, "%s: replay: writing the flows: %s\n", prog,
			strerror(errno ?: EIO));
		goto cleanup;
	}
	ret = err ? EXIT_ERR : EXIT_OK;
cleanup:
	replay_free(&r);
	return ret;
}
