// SPDX-License-Identifier: GPL-2.0
/*
 * hostile: send COUNT crafted TCP segments of one hostile KIND through a
 * raw socket, fast, for the wire selftests.
 *
 *   hostile [-6] [-R] [-w] -k KIND [-n COUNT] [-b BASE | -p SPORT] [-q SEQ]
 *           [-a ACK] SRC DST DPORT
 *
 * Without -p the source port counts up from BASE (default 20000), so every
 * segment is a 4-tuple of its own; with -p all go to one flow. Sequence numbers count
 * up from SEQ (default 0x10000000, step 7919). The TCP checksum is right
 * whenever there is a whole header to sum. With -R each segment is
 * followed by one the other way (DST:DPORT to SRC), whose numbers do not
 * agree with it: seq ACK + 0x4000, ack SEQ + 0x8000. With -w, once all
 * are sent, it listens until DST has been quiet for a second and counts
 * the SYN-ACKs DST:DPORT answered with, once per port, and the options
 * each carried: the options DST's TCP took from the SYNs. Kinds:
 *
 *   short      a 10-byte TCP header
 *   doff-low   data offset 0 to 4 (below the 20-byte minimum)
 *   doff-over  data offset 6 to 15, past the end of the packet
 *   opt-zero   SYN with an option of length 0
 *   opt-over   SYN with an option whose length runs past the header
 *   opt-eol    SYN with MSS and window scale, EOL, then SACK-permitted
 *              and timestamps, which come after the end of the list
 *   opt-full   SYN with 40 bytes of options: MSS, SACK-permitted,
 *              timestamps, NOPs, and window scale in the last 3 bytes
 *   opt-badlen SYN with a right MSS and timestamps of length 8, window
 *              scale of length 4, SACK-permitted of length 3 and SACK of
 *              length 7: each a length its kind never has
 *   tfo        SYN with a Fast Open cookie DST never issued and 100 bytes
 *              of data
 *   frag-first SYN in a first IP fragment (more fragments follow)
 *   frag-short a first IP fragment with only 8 bytes of the TCP header
 *   frag-later a non-first fragment of a TCP datagram
 *   frag-overlap  a SYN in a first fragment of 24 bytes, then a last
 *              fragment at offset 16 that overlaps its last 8 bytes
 *   frag-pair  a SYN with 20 bytes of data in two fragments that fit:
 *              24 bytes, then the last 16 at offset 24
 *   badsum     SYN with a wrong TCP checksum
 *   ext-trunc  (IPv6) an extension header chain cut off before its end
 *   ipopt      (IPv4) SYN behind IP options (NOP, router alert, EOL)
 *   synfin synrst null xmas   flag sets no stack sends
 *   rst synack ack syn        plain segments with those flags
 *   fin        FIN+ACK
 *   data       ACK+PSH with 100 bytes of data
 *
 * Prints "sent N" and, with -w, "answers N wscale N sack N ts N".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "csum.h"

enum kind {
	K_SHORT, K_DOFF_LOW, K_DOFF_OVER, K_OPT_ZERO, K_OPT_OVER,
	K_FRAG_FIRST, K_FRAG_LATER, K_SYNFIN, K_SYNRST, K_NULL, K_XMAS,
	K_RST, K_SYNACK, K_ACK, K_SYN, K_FRAG_SHORT, K_BADSUM, K_EXT_TRUNC,
	K_FIN, K_DATA, K_IPOPT, K_OPT_EOL, K_OPT_FULL, K_OPT_BADLEN, K_TFO,
	K_FRAG_OVERLAP, K_FRAG_PAIR,
};

static const char *const kind_names[] = {
	[K_SHORT] = "short", [K_DOFF_LOW] = "doff-low",
	[K_DOFF_OVER] = "doff-over", [K_OPT_ZERO] = "opt-zero",
	[K_OPT_OVER] = "opt-over", [K_FRAG_FIRST] = "frag-first",
	[K_FRAG_LATER] = "frag-later", [K_SYNFIN] = "synfin",
	[K_SYNRST] = "synrst", [K_NULL] = "null", [K_XMAS] = "xmas",
	[K_RST] = "rst", [K_SYNACK] = "synack", [K_ACK] = "ack",
	[K_SYN] = "syn", [K_FRAG_SHORT] = "frag-short", [K_BADSUM] = "badsum",
	[K_EXT_TRUNC] = "ext-trunc", [K_FIN] = "fin", [K_DATA] = "data",
	[K_IPOPT] = "ipopt", [K_OPT_EOL] = "opt-eol", [K_OPT_FULL] = "opt-full",
	[K_OPT_BADLEN] = "opt-badlen", [K_TFO] = "tfo",
	[K_FRAG_OVERLAP] = "frag-overlap", [K_FRAG_PAIR] = "frag-pair",
};

#define N_KINDS (sizeof(kind_names) / sizeof(kind_names[0]))

struct opts {
	int v6;
	int pairs;		/* -R: each segment, then one the other way */
	int rev;		/* building the other way's */
	int wait;		/* -w: count the SYN-ACKs that answer */
	int part;		/* building a datagram's second fragment */
	enum kind kind;
	unsigned long count;
	int sport;		/* -1: count up from base */
	unsigned long base;
	uint32_t seq, ack;
	uint16_t dport;
	struct in6_addr src6, dst6;
	struct in_addr src4, dst4;
};

static void usage(void)
{
	size_t i;

	fprintf(stderr, "usage: hostile [-6] [-R] [-w] -k KIND [-n COUNT] [-b BASE | -p SPORT] [-q SEQ] [-a ACK] SRC DST DPORT\nkinds:");
	for (i = 0; i < N_KINDS; i++)
		fprintf(stderr, " %s", kind_names[i]);
	fputc('\n', stderr);
	exit(2);
}

/*
 * The TCP part of segment i: returns its length. Flags, data offset and
 * options follow the kind; the header fields are in network order.
 */
static size_t build_tcp(const struct opts *o, unsigned long i, uint8_t *buf)
{
	struct tcphdr *th = (struct tcphdr *)buf;
	uint8_t *opt = buf + sizeof(*th);
	size_t len = sizeof(*th);

	uint16_t sport = o->sport >= 0 ? (unsigned long)o->sport :
			 1024 + (o->base - 1024 + i) % 64512;
	uint32_t seq = o->seq + (uint32_t)i * (o->sport >= 0 ? 1 : 7919);

	memset(buf, 0, 64);
	th->source = htons(o->rev ? o->dport : sport);
	th->dest = htons(o->rev ? sport : o->dport);
	th->seq = htonl(o->rev ? o->ack + 0x4000 : seq);
	th->ack_seq = htonl(o->rev ? seq + 0x8000 : o->ack);
	th->doff = 5;
	th->window = htons(64240);

	switch (o->kind) {
	case K_SHORT:
		th->syn = 1;
		return 10;
	case K_DOFF_LOW:
		th->syn = 1;
		th->doff = i % 5;
		break;
	case K_DOFF_OVER:
		th->syn = 1;
		th->doff = 6 + i % 10;
		break;
	case K_OPT_ZERO:
		th->syn = 1;
		th->doff = 6;
		opt[0] = 2;	/* MSS, length 0 */
		opt[1] = 0;
		len += 4;
		break;
	case K_OPT_OVER:
		th->syn = 1;
		th->doff = 6;
		opt[0] = 1;	/* NOP, then window scale of length 40 */
		opt[1] = 3;
		opt[2] = 40;
		len += 4;
		break;
	case K_OPT_EOL:
		th->syn = 1;
		th->doff = 11;
		memcpy(opt, "\x02\x04\x05\xb4\x01\x03\x03\x07\x00"
		       "\x04\x02\x08\x0a\x00\x00\x00\x01\x00\x00\x00\x00"
		       "\x00\x00\x00", 24);
		len += 24;
		break;
	case K_OPT_FULL:
		th->syn = 1;
		th->doff = 15;
		memcpy(opt, "\x02\x04\x05\xb4\x04\x02\x08\x0a\x00\x00\x00\x01"
		       "\x00\x00\x00\x00", 16);
		memset(opt + 16, TCPOPT_NOP, 21);
		memcpy(opt + 37, "\x03\x03\x07", 3);
		len += 40;
		break;
	case K_OPT_BADLEN:
		th->syn = 1;
		th->doff = 12;
		memcpy(opt, "\x02\x04\x05\xb4"			/* MSS */
		       "\x08\x08\x00\x00\x00\x01\x00\x00"	/* TS, 8 */
		       "\x03\x04\x07\x00"			/* WS, 4 */
		       "\x04\x03\x00"				/* SACK-perm, 3 */
		       "\x05\x07\x00\x00\x00\x01\x00"		/* SACK, 7 */
		       "\x00\x00", 28);
		len += 28;
		break;
	case K_TFO:
		th->syn = 1;
		th->doff = 9;
		/* MSS, then Fast Open (34) with an 8-byte cookie, NOP, NOP */
		memcpy(opt, "\x02\x04\x05\xb4\x22\x0a\xde\xad\xbe\xef\x0b\xad"
		       "\xca\xfe\x01\x01", 16);
		memset(opt + 16, 't', 100);
		len += 116;
		break;
	case K_FRAG_OVERLAP:
	case K_FRAG_PAIR:
		if (o->part) {
			memset(buf, 'x', 16);
			return 16;
		}
		th->syn = 1;
		memset(opt, 'o', 4);
		return len + 4;
	case K_FRAG_FIRST:
	case K_SYN:
	case K_BADSUM:
	case K_IPOPT:
		th->syn = 1;
		break;
	case K_FRAG_SHORT:
		th->syn = 1;
		return 8;
	case K_EXT_TRUNC:
		return 0;
	case K_FRAG_LATER:
		memset(buf, 'x', 64);
		return 64;
	case K_SYNFIN:
		th->syn = 1;
		th->fin = 1;
		break;
	case K_SYNRST:
		th->syn = 1;
		th->rst = 1;
		break;
	case K_NULL:
		break;
	case K_XMAS:
		th->fin = 1;
		th->psh = 1;
		th->urg = 1;
		break;
	case K_RST:
		th->rst = 1;
		break;
	case K_SYNACK:
		th->syn = 1;
		th->ack = 1;
		break;
	case K_ACK:
		th->ack = 1;
		break;
	case K_FIN:
		th->fin = 1;
		th->ack = 1;
		break;
	case K_DATA:
		th->ack = 1;
		th->psh = 1;
		memset(opt, 'd', 100);
		len += 100;
		break;
	}
	return len;
}

/* Kinds sent as two fragments of one datagram. */
static int two_parts(const struct opts *o)
{
	return o->kind == K_FRAG_OVERLAP || o->kind == K_FRAG_PAIR;
}

/* A fragment that does not start the datagram: no TCP header to sum. */
static int later_part(const struct opts *o)
{
	return o->kind == K_FRAG_LATER || (two_parts(o) && o->part);
}

/*
 * The TCP checksum of segment tcp (tlen bytes), over the pseudo-header
 * sum ph. A frag-pair segment continues in the second fragment with 16
 * bytes of 'x', which the sum covers too.
 */
static uint16_t tcp_sum(const struct opts *o, uint32_t ph, uint8_t *tcp,
			size_t tlen)
{
	uint8_t rest[16];
	uint32_t sum = csum_add(ph, tcp, tlen);

	if (o->kind == K_FRAG_PAIR) {
		memset(rest, 'x', sizeof(rest));
		sum = csum_add(sum, rest, sizeof(rest));
	}
	sum = csum_fold(sum);
	return o->kind == K_BADSUM ? sum ^ htons(0x1234) : sum;
}

/* What the pseudo-header gives as the TCP length of segment tcp. */
static size_t whole_len(const struct opts *o, size_t tlen)
{
	return tlen + (o->kind == K_FRAG_PAIR ? 16 : 0);
}

static size_t build_v4(const struct opts *o, unsigned long i, uint8_t *pkt)
{
	struct iphdr *ip = (struct iphdr *)pkt;
	size_t hlen = sizeof(*ip) + (o->kind == K_IPOPT ? 8 : 0);
	uint8_t *tcp = pkt + hlen;
	size_t tlen = build_tcp(o, i, tcp), wlen = whole_len(o, tlen);
	uint8_t ph[4] = { 0, IPPROTO_TCP, wlen >> 8, wlen & 0xff };
	uint32_t sum;

	memset(ip, 0, hlen);
	ip->version = 4;
	ip->ihl = hlen / 4;
	/* options: NOP, NOP, a router alert (4 bytes), EOL and padding */
	if (o->kind == K_IPOPT)
		memcpy(pkt + sizeof(*ip), "\x01\x01\x94\x04\x00\x00\x00\x00", 8);
	ip->tot_len = htons(hlen + tlen);
	ip->id = htons(1 + i % 65535);
	ip->ttl = 64;
	ip->protocol = IPPROTO_TCP;
	ip->saddr = o->rev ? o->dst4.s_addr : o->src4.s_addr;
	ip->daddr = o->rev ? o->src4.s_addr : o->dst4.s_addr;
	if (o->kind == K_FRAG_FIRST || o->kind == K_FRAG_SHORT ||
	    (two_parts(o) && !o->part))
		ip->frag_off = htons(IP_MF);
	else if (o->kind == K_FRAG_LATER)
		ip->frag_off = htons(100);	/* 800 bytes in, last */
	else if (o->kind == K_FRAG_OVERLAP)
		ip->frag_off = htons(2);	/* 16 bytes in, last */
	else if (o->kind == K_FRAG_PAIR)
		ip->frag_off = htons(3);	/* 24 bytes in, last */
	if (tlen >= sizeof(struct tcphdr) && !later_part(o)) {
		sum = csum_add(0, &ip->saddr, 8);
		sum = csum_add(sum, ph, 4);
		((struct tcphdr *)tcp)->check = tcp_sum(o, sum, tcp, tlen);
	}
	return hlen + tlen;
}

static size_t build_v6(const struct opts *o, unsigned long i, uint8_t *pkt)
{
	struct ip6_hdr *ip = (struct ip6_hdr *)pkt;
	struct ip6_frag *fh = (struct ip6_frag *)(pkt + sizeof(*ip));
	int frag = o->kind == K_FRAG_FIRST || o->kind == K_FRAG_LATER ||
		   o->kind == K_FRAG_SHORT || two_parts(o);
	uint8_t *tcp = pkt + sizeof(*ip) + (frag ? sizeof(*fh) : 0);
	size_t tlen = build_tcp(o, i, tcp);
	uint32_t len = htonl(whole_len(o, tlen)), sum;
	uint8_t nh[4] = { 0, 0, 0, IPPROTO_TCP };

	memset(ip, 0, sizeof(*ip));
	ip->ip6_flow = htonl(6u << 28);
	ip->ip6_plen = htons(tlen + (frag ? sizeof(*fh) : 0));
	ip->ip6_nxt = frag ? IPPROTO_FRAGMENT : IPPROTO_TCP;
	ip->ip6_hlim = 64;
	ip->ip6_src = o->rev ? o->dst6 : o->src6;
	ip->ip6_dst = o->rev ? o->src6 : o->dst6;
	if (frag) {
		memset(fh, 0, sizeof(*fh));
		fh->ip6f_nxt = IPPROTO_TCP;
		fh->ip6f_ident = htonl(1 + i);
		if (o->kind == K_FRAG_LATER)
			fh->ip6f_offlg = htons(100 << 3);	/* 800 bytes in */
		else if (later_part(o))
			fh->ip6f_offlg = htons(o->kind == K_FRAG_PAIR ? 24 : 16);
		else
			fh->ip6f_offlg = IP6F_MORE_FRAG;
	}
	if (o->kind == K_EXT_TRUNC) {
		/* hop-by-hop options announcing destination options next,
		 * and the packet ends there */
		ip->ip6_nxt = IPPROTO_HOPOPTS;
		ip->ip6_plen = htons(8);
		memset(tcp, 0, 8);
		tcp[0] = IPPROTO_DSTOPTS;
		tcp[2] = 1;	/* PadN of 4 bytes */
		tcp[3] = 4;
		return sizeof(*ip) + 8;
	}
	if (tlen >= sizeof(struct tcphdr) && !later_part(o)) {
		sum = csum_add(0, &ip->ip6_src, 32);
		sum = csum_add(sum, &len, 4);
		sum = csum_add(sum, nh, 4);
		((struct tcphdr *)tcp)->check = tcp_sum(o, sum, tcp, tlen);
	}
	return tcp - pkt + tlen;
}

static void parse_args(int argc, char *argv[], struct opts *o)
{
	int opt, bad;
	size_t k;

	memset(o, 0, sizeof(*o));
	o->kind = N_KINDS;
	o->count = 1000;
	o->sport = -1;
	o->base = 20000;
	o->seq = 0x10000000u;
	while ((opt = getopt(argc, argv, "6Rwk:n:b:p:q:a:")) != -1) {
		switch (opt) {
		case '6': o->v6 = 1; break;
		case 'R': o->pairs = 1; break;
		case 'w': o->wait = 1; break;
		case 'k':
			for (k = 0; k < N_KINDS; k++)
				if (!strcmp(optarg, kind_names[k]))
					o->kind = k;
			break;
		case 'n': o->count = strtoul(optarg, NULL, 0); break;
		case 'b': o->base = strtoul(optarg, NULL, 0); break;
		case 'p': o->sport = atoi(optarg) & 0xffff; break;
		case 'q': o->seq = strtoul(optarg, NULL, 0); break;
		case 'a': o->ack = strtoul(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (argc - optind != 3 || o->kind == N_KINDS)
		usage();
	o->dport = atoi(argv[optind + 2]);
	if (o->v6)
		bad = inet_pton(AF_INET6, argv[optind], &o->src6) != 1 ||
		      inet_pton(AF_INET6, argv[optind + 1], &o->dst6) != 1;
	else
		bad = inet_pton(AF_INET, argv[optind], &o->src4) != 1 ||
		      inet_pton(AF_INET, argv[optind + 1], &o->dst4) != 1;
	if (bad) {
		fprintf(stderr, "hostile: bad address\n");
		exit(2);
	}
}

struct answers {
	unsigned long n, wscale, sack, ts;
	uint8_t seen[65536 / 8];
};

/* The options of one SYN-ACK, parsed as the kernel's tcp_parse_options. */
static void count_options(const uint8_t *p, size_t len, struct answers *a)
{
	size_t i = 0;

	while (i < len && p[i] != TCPOPT_EOL) {
		if (p[i] == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len || p[i + 1] < 2 || i + p[i + 1] > len)
			return;
		if (p[i] == TCPOPT_WINDOW && p[i + 1] == TCPOLEN_WINDOW)
			a->wscale++;
		if (p[i] == TCPOPT_SACK_PERMITTED && p[i + 1] == TCPOLEN_SACK_PERMITTED)
			a->sack++;
		if (p[i] == TCPOPT_TIMESTAMP && p[i + 1] == TCPOLEN_TIMESTAMP)
			a->ts++;
		i += p[i + 1];
	}
}

/*
 * One packet a raw TCP socket received: an IPv4 datagram, or (IPv6) the
 * TCP segment alone with its source in *from. Counts it if it is a
 * SYN-ACK from DST:DPORT to a port not yet answered.
 */
static void count_answer(const struct opts *o, const uint8_t *p, size_t len,
			 const struct sockaddr_storage *from, struct answers *a)
{
	const struct tcphdr *th;
	size_t hlen = 0;
	uint16_t port;

	if (o->v6) {
		const struct sockaddr_in6 *f = (const struct sockaddr_in6 *)from;

		if (memcmp(&f->sin6_addr, &o->dst6, sizeof(o->dst6)))
			return;
	} else {
		const struct iphdr *ip = (const struct iphdr *)p;

		if (len < sizeof(*ip) || ip->saddr != o->dst4.s_addr)
			return;
		hlen = ip->ihl * 4;
	}
	if (len < hlen + sizeof(*th))
		return;
	th = (const struct tcphdr *)(p + hlen);
	if (ntohs(th->source) != o->dport || !th->syn || !th->ack ||
	    len < hlen + th->doff * 4)
		return;
	port = ntohs(th->dest);
	if (a->seen[port / 8] & (1 << port % 8))
		return;
	a->seen[port / 8] |= 1 << port % 8;
	a->n++;
	count_options(p + hlen + sizeof(*th), th->doff * 4 - sizeof(*th), a);
}

/* -w: the SYN-ACKs that arrive until DST is quiet for a second. */
static void await_answers(const struct opts *o, int fd)
{
	static struct answers a;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct sockaddr_storage from;
	uint8_t buf[2048];
	socklen_t flen;
	ssize_t n;

	while (poll(&pfd, 1, 1000) > 0) {
		flen = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
			     &flen);
		if (n > 0)
			count_answer(o, buf, n, &from, &a);
	}
	printf("answers %lu wscale %lu sack %lu ts %lu\n",
	       a.n, a.wscale, a.sack, a.ts);
}

/* A raw socket that receives a copy of every TCP segment to this host. */
static int answer_socket(const struct opts *o)
{
	int fd = socket(o->v6 ? AF_INET6 : AF_INET, SOCK_RAW, IPPROTO_TCP);
	int size = 8 << 20;

	if (fd < 0) {
		perror("hostile: answer socket");
		exit(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	return fd;
}

int main(int argc, char *argv[])
{
	struct sockaddr_storage dst = { 0 };
	unsigned long sent = 0, busy = 0;
	uint8_t pkt[320];
	socklen_t dlen;
	struct opts o;
	int fd, afd = -1;

	parse_args(argc, argv, &o);
	if (o.wait)
		afd = answer_socket(&o);
	fd = socket(o.v6 ? AF_INET6 : AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		perror("hostile: socket");
		return 1;
	}
	if (o.v6) {
		struct sockaddr_in6 *d = (struct sockaddr_in6 *)&dst;

		d->sin6_family = AF_INET6;
		d->sin6_addr = o.dst6;
		dlen = sizeof(*d);
	} else {
		struct sockaddr_in *d = (struct sockaddr_in *)&dst;

		d->sin_family = AF_INET;
		d->sin_addr = o.dst4;
		dlen = sizeof(*d);
	}

	while (sent < o.count) {
		size_t len = o.v6 ? build_v6(&o, sent, pkt) :
				    build_v4(&o, sent, pkt);

		/* the other way's goes out towards DST too: on one link, the
		 * header, not the route, says where it is going */
		if (sendto(fd, pkt, len, 0, (struct sockaddr *)&dst, dlen) < 0) {
			/* a full device queue: wait for room, lose nothing */
			if ((errno == ENOBUFS || errno == EAGAIN) && ++busy < 1000000) {
				usleep(100);
				continue;
			}
			perror("hostile: sendto");
			return 1;
		}
		if (two_parts(&o) && !o.part) {
			o.part = 1;
			continue;
		}
		o.part = 0;
		if (o.pairs && !o.rev) {
			o.rev = 1;
			continue;
		}
		o.rev = 0;
		sent++;
	}
	printf("sent %lu\n", sent);
	if (o.wait)
		await_answers(&o, afd);
	return 0;
}
