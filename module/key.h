/* SPDX-License-Identifier: GPL-2.0 */
/*
 * key.h: the plain values that name a flow and its endpoints: addresses,
 * the canonical flow key, a socket's owner. The addresses and the key are
 * plain C, as fsm.h: `tcpstate replay` keys its flows the same way.
 */
#ifndef _TCPSTATE_KEY_H
#define _TCPSTATE_KEY_H

#ifdef __KERNEL__
#include <asm/byteorder.h>
#include <linux/build_bug.h>
#include <linux/in6.h>
#include <linux/socket.h>
#include <linux/uidgid.h>
#else
#include <arpa/inet.h>
#include <linux/types.h>
#include <netinet/in.h>
#include <sys/socket.h>
#define __force
#endif

#include "fsm.h"

union tcpstate_addr {
	__be32 ip;
	struct in6_addr in6;
};

/*
 * A flow's key is canonical: the (address, port) pair that compares lower
 * is side 0, so both directions of a connection find the same flow.
 * Unused bytes are zero: the key is hashed and compared as bytes.
 */
struct tcpstate_key {
	union tcpstate_addr addr[2];
	__be16 port[2];
	u8 family;		/* AF_INET or AF_INET6 */
	u8 pad[3];
};

static_assert(sizeof(struct tcpstate_key) == 40, "tcpstate_key is 40 bytes");

static inline u32 tcpstate_key_ports(const struct tcpstate_key *k)
{
	return (__force u32)k->port[0] << 16 | (__force u16)k->port[1];
}

/* Word by word: cheaper than memcmp() for these fixed 40 bytes. */
static inline bool tcpstate_key_equal(const struct tcpstate_key *a,
				      const struct tcpstate_key *b)
{
	const u32 *x = (const u32 *)a, *y = (const u32 *)b;
	u32 diff;

	diff = (x[0] ^ y[0]) | (x[4] ^ y[4]) | (x[8] ^ y[8]) | (x[9] ^ y[9]);
	if (diff || a->family == AF_INET)
		return !diff;
	return !((x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) |
		 (x[5] ^ y[5]) | (x[6] ^ y[6]) | (x[7] ^ y[7]));
}

/*
 * Make a key canonical: the lower (address, port) becomes side 0. Filled
 * in as (source, destination), it returns the side the source is now.
 */
static inline unsigned int tcpstate_key_canon(struct tcpstate_key *key)
{
	unsigned int i, side;
	int cmp = 0;

	if (key->family == AF_INET) {
		u32 a = ntohl(key->addr[0].ip), b = ntohl(key->addr[1].ip);

		cmp = (int)(a > b) - (int)(a < b);
	} else {
		for (i = 0; i < 4 && !cmp; i++) {
			u32 a = ntohl(key->addr[0].in6.s6_addr32[i]);
			u32 b = ntohl(key->addr[1].in6.s6_addr32[i]);

			cmp = (int)(a > b) - (int)(a < b);
		}
	}
	if (!cmp)
		cmp = (int)ntohs(key->port[0]) - (int)ntohs(key->port[1]);
	side = cmp > 0;
	if (side) {
		union tcpstate_addr a = key->addr[0];
		__be16 p = key->port[0];

		key->addr[0] = key->addr[1];
		key->addr[1] = a;
		key->port[0] = key->port[1];
		key->port[1] = p;
	}
	return side;
}

#ifdef __KERNEL__

/*
 * Who owns a socket of this host: its uid (the kernel's, translated for
 * each reader) and its cgroup v2 id. `known` is 0 where no socket was seen.
 */
struct tcpstate_owner {
	u64 cgroup;
	kuid_t uid;
	u32 known;
};
#endif

#endif /* _TCPSTATE_KEY_H */
