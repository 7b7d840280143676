// SPDX-License-Identifier: GPL-2.0
/*
 * sock.c: what the host's own sockets say about a flow, for what the wire
 * cannot tell. Read only, off the packet path (the GC, a dump), under RCU.
 */
#include <linux/ipv6.h>
#include <net/addrconf.h>
#include <net/inet_hashtables.h>
#include <net/route.h>
#include <net/inet6_hashtables.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "core.h"

/* RFC 793 states by the kernel's TCP_* socket states. */
static const u8 tcpstate_sock_states[TCP_MAX_STATES] = {
	[TCP_ESTABLISHED]	= TCPSTATE_S_ESTABLISHED,
	[TCP_SYN_SENT]		= TCPSTATE_S_SYN_SENT,
	[TCP_SYN_RECV]		= TCPSTATE_S_SYN_RECEIVED,
	[TCP_FIN_WAIT1]		= TCPSTATE_S_FIN_WAIT_1,
	[TCP_FIN_WAIT2]		= TCPSTATE_S_FIN_WAIT_2,
	[TCP_TIME_WAIT]		= TCPSTATE_S_TIME_WAIT,
	[TCP_CLOSE]		= TCPSTATE_S_CLOSED,
	[TCP_CLOSE_WAIT]	= TCPSTATE_S_CLOSE_WAIT,
	[TCP_LAST_ACK]		= TCPSTATE_S_LAST_ACK,
	[TCP_LISTEN]		= TCPSTATE_S_LISTEN,
	[TCP_CLOSING]		= TCPSTATE_S_CLOSING,
	[TCP_NEW_SYN_RECV]	= TCPSTATE_S_SYN_RECEIVED,
};

/* Is the address at key side `side` one of this namespace's own? */
static bool tcpstate_addr_local(struct net *net, const struct tcpstate_key *key,
				unsigned int side)
{
	if (key->family == AF_INET)
		return inet_addr_type(net, key->addr[side].ip) == RTN_LOCAL;
#if IS_ENABLED(CONFIG_IPV6)
	return ipv6_chk_addr(net, &key->addr[side].in6, NULL, 0);
#else
	return false;
#endif
}

/*
 * The state of this host's socket for the flow's endpoint at key side
 * `side` (its address and port local, the other side's remote): a request
 * socket is SYN_RECEIVED; CLOSED if the address is local and there is no
 * socket; NONE if the address is not this host's.
 */
u8 tcpstate_sock_state(struct net *net, const struct tcpstate_key *key,
		       unsigned int side)
{
	struct inet_hashinfo *hinfo = net->ipv4.tcp_death_row.hashinfo;
	unsigned int r = side ^ 1;
	u16 hnum = ntohs(key->port[side]);
	struct sock *sk;
	u8 state = TCPSTATE_S_NONE;

	rcu_read_lock();
	if (key->family == AF_INET)
		sk = __inet_lookup_established(net, hinfo, key->addr[r].ip,
					       key->port[r], key->addr[side].ip,
					       hnum, 0, 0);
#if IS_ENABLED(CONFIG_IPV6)
	else
		sk = __inet6_lookup_established(net, hinfo, &key->addr[r].in6,
						key->port[r],
						&key->addr[side].in6, hnum,
						0, 0);
#else
	else
		sk = NULL;
#endif
	if (sk) {
		if (sk->sk_state < TCP_MAX_STATES)
			state = tcpstate_sock_states[sk->sk_state];
		sock_gen_put(sk);
	} else if (tcpstate_addr_local(net, key, side)) {
		state = TCPSTATE_S_CLOSED;
	}
	rcu_read_unlock();
	return state;
}
