// SPDX-License-Identifier: GPL-2.0
/*
 * synflood: send crafted TCP SYNs from many spoofed sources, fast.
 *
 *   synflood [-6] [-n COUNT] [-s SECONDS] [-p SPORT] SRC_BASE DST DPORT
 *
 * Source addresses count up from SRC_BASE (the low 16 bits of IPv4, the
 * low 32 of IPv6), so every SYN opens a new half-open flow. Stops after
 * COUNT SYNs or SECONDS, prints "sent N in T s (R/s)".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "csum.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr, "usage: synflood [-6] [-n COUNT] [-s SECONDS] [-p SPORT] SRC_BASE DST DPORT\n");
	exit(2);
}

struct pkt6 {
	struct ip6_hdr ip;
	struct tcphdr tcp;
};

struct pkt4 {
	struct iphdr ip;
	struct tcphdr tcp;
};

_Static_assert(sizeof(struct pkt6) == 60, "no padding");
_Static_assert(sizeof(struct pkt4) == 40, "no padding");

static void fill_tcp(struct tcphdr *th, uint16_t sport, uint16_t dport,
		     uint32_t seq)
{
	memset(th, 0, sizeof(*th));
	th->source = htons(sport);
	th->dest = htons(dport);
	th->seq = htonl(seq);
	th->doff = 5;
	th->syn = 1;
	th->window = htons(64240);
}

int main(int argc, char *argv[])
{
	unsigned long count = 1000, sent = 0, refused = 0;
	int last_errno = 0;
	double secs = 0, t0;
	int v6 = 0, opt, fd, sport = 40000;
	struct sockaddr_storage dst = { 0 };
	struct in6_addr src6, dst6;
	struct in_addr src4, dst4;
	uint16_t dport;

	while ((opt = getopt(argc, argv, "6n:s:p:")) != -1) {
		switch (opt) {
		case '6': v6 = 1; break;
		case 'n': count = strtoul(optarg, NULL, 0); break;
		case 's': secs = atof(optarg); break;
		case 'p': sport = atoi(optarg); break;
		default: usage();
		}
	}
	if (argc - optind != 3)
		usage();
	dport = atoi(argv[optind + 2]);
	if (v6 ? inet_pton(AF_INET6, argv[optind], &src6) != 1 ||
		 inet_pton(AF_INET6, argv[optind + 1], &dst6) != 1 :
		 inet_pton(AF_INET, argv[optind], &src4) != 1 ||
		 inet_pton(AF_INET, argv[optind + 1], &dst4) != 1) {
		fprintf(stderr, "synflood: bad address\n");
		return 2;
	}

	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		perror("synflood: socket");
		return 1;
	}
	if (v6) {
		struct sockaddr_in6 *d = (struct sockaddr_in6 *)&dst;

		d->sin6_family = AF_INET6;
		d->sin6_addr = dst6;
	} else {
		struct sockaddr_in *d = (struct sockaddr_in *)&dst;

		d->sin_family = AF_INET;
		d->sin_addr = dst4;
	}

	t0 = now();
	while (sent < count && (!secs || (sent % 256) || now() - t0 < secs)) {
		uint32_t sum, seq = 0x10000000u + sent * 7919u;
		ssize_t ret;

		if (v6) {
			struct pkt6 p;
			uint32_t low = ntohl(src6.s6_addr32[3]) + sent;
			uint32_t len = htonl(sizeof(p.tcp));
			uint8_t nh[4] = { 0, 0, 0, IPPROTO_TCP };

			memset(&p, 0, sizeof(p));
			p.ip.ip6_flow = htonl(6u << 28);
			p.ip.ip6_plen = htons(sizeof(p.tcp));
			p.ip.ip6_nxt = IPPROTO_TCP;
			p.ip.ip6_hlim = 64;
			p.ip.ip6_src = src6;
			p.ip.ip6_src.s6_addr32[3] = htonl(low);
			p.ip.ip6_dst = dst6;
			fill_tcp(&p.tcp, sport, dport, seq);
			sum = csum_add(0, &p.ip.ip6_src, 32);
			sum = csum_add(sum, &len, 4);
			sum = csum_add(sum, nh, 4);
			sum = csum_add(sum, &p.tcp, sizeof(p.tcp));
			p.tcp.check = csum_fold(sum);
			ret = sendto(fd, &p, sizeof(p), 0,
				     (struct sockaddr *)&dst, sizeof(struct sockaddr_in6));
		} else {
			struct pkt4 p;
			uint8_t ph[4] = { 0, IPPROTO_TCP, 0, sizeof(p.tcp) };

			memset(&p, 0, sizeof(p));
			p.ip.version = 4;
			p.ip.ihl = 5;
			p.ip.tot_len = htons(sizeof(p));
			p.ip.ttl = 64;
			p.ip.protocol = IPPROTO_TCP;
			p.ip.saddr = htonl(ntohl(src4.s_addr) + (sent & 0xffff));
			p.ip.daddr = dst4.s_addr;
			fill_tcp(&p.tcp, sport + (sent >> 16), dport, seq);
			sum = csum_add(0, &p.ip.saddr, 8);
			sum = csum_add(sum, ph, 4);
			sum = csum_add(sum, &p.tcp, sizeof(p.tcp));
			p.tcp.check = csum_fold(sum);
			ret = sendto(fd, &p, sizeof(p), 0,
				     (struct sockaddr *)&dst, sizeof(struct sockaddr_in));
		}
		if (ret < 0) {
			/* a full queue, or a netfilter verdict: try again */
			if (errno == ENOBUFS || errno == EAGAIN || errno == EPERM) {
				refused++;
				last_errno = errno;
				continue;
			}
			perror("synflood: sendto");
			return 1;
		}
		sent++;
	}
	t0 = now() - t0;
	printf("sent %lu in %.3f s (%.0f/s), %lu refused%s%s\n", sent, t0,
	       t0 > 0 ? sent / t0 : 0, refused, refused ? ": " : "",
	       refused ? strerror(last_errno) : "");
	return 0;
}
