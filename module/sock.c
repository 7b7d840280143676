// SPDX-License-Identifier: GPL-2.0
/*
 * sock.c: what the host's own sockets say about a flow, for what the wire
 * cannot tell. Read only, under RCU: off the packet path (the GC, a
 * dump), except the owner of a flow's first segment from a socket.
 */
#include <linux/cgroup.h>
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

/* Is the address one of this namespace's own? */
static bool tcpstate_addr_local(struct net *net, u8 family,
				const union tcpstate_addr *addr)
{
	if (family == AF_INET)
		return inet_addr_type(net, addr->ip) == RTN_LOCAL;
#if IS_ENABLED(CONFIG_IPV6)
	return ipv6_chk_addr(net, &addr->in6, NULL, 0);
#else
	return false;
#endif
}

/*
 * Did this request socket drop an ACK because the accept queue was full
 * (tcp_check_req() sets `acked`; so does TCP_DEFER_ACCEPT, no refusal)?
 */
bool tcpstate_sock_req_refused(const struct sock *sk)
{
	const struct request_sock *req = inet_reqsk(sk);
	const struct sock *l = req->rsk_listener;

	return inet_rsk(req)->acked &&
	       !READ_ONCE(inet_csk(l)->icsk_accept_queue.rskq_defer_accept);
}

/*
 * Who owns the socket that sent a segment (the egress hook's skb->sk): a
 * full socket itself, a request socket its listener (whose uid and cgroup
 * the accepted socket inherits). False for the kernel's own sockets,
 * TIME_WAIT ones and raw sockets, which own no endpoint.
 */
bool tcpstate_sock_owner(struct sock *sk, struct tcpstate_owner *o)
{
	sk = sk_to_full_sk(sk);
	if (!sk || !sk_fullsock(sk) || sk->sk_kern_sock ||
	    sk->sk_type != SOCK_STREAM || sk->sk_protocol != IPPROTO_TCP)
		return false;
	o->uid = sk->sk_uid;
#ifdef CONFIG_SOCK_CGROUP_DATA
	o->cgroup = cgroup_id(sock_cgroup_ptr(&sk->sk_cgrp_data));
#else
	o->cgroup = 0;
#endif
	o->known = 1;
	return true;
}

/*
 * The state of this host's socket for the flow's endpoint at key side
 * `side` (its address and port local, the other side's remote): a request
 * socket is SYN_RECEIVED, with TCPSTATE_SOCK_REFUSED if it dropped an ACK
 * for a full accept queue; CLOSED if the address is local and there is no
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
		if (sk->sk_state == TCP_NEW_SYN_RECV && tcpstate_sock_req_refused(sk))
			state |= TCPSTATE_SOCK_REFUSED;
		sock_gen_put(sk);
	} else if (tcpstate_addr_local(net, key->family, &key->addr[side])) {
		state = TCPSTATE_S_CLOSED;
	}
	rcu_read_unlock();
	return state;
}

/*
 * The queues of this host's listening socket for a listener: what
 * ss -lnt shows as Recv-Q (connections waiting for accept()) and Send-Q
 * (the listen() backlog), and the request sockets in its SYN queue.
 * False when the address is not this namespace's own or no socket
 * listens there. A listener found by address and port is the socket a SYN
 * from an unknown client would reach; of an SO_REUSEPORT group, one of
 * them. Listening sockets are freed after an RCU grace period
 * (SOCK_RCU_FREE): no reference is taken.
 */
bool tcpstate_sock_listener(struct net *net, const struct tcpstate_lkey *k,
			    struct tcpstate_sock_queue *q)
{
	struct inet_hashinfo *hinfo = net->ipv4.tcp_death_row.hashinfo;
	u16 hnum = ntohs(k->port);
	struct sock *sk;
	bool found = false;

	if (!tcpstate_addr_local(net, k->family, &k->addr))
		return false;
	rcu_read_lock();
	if (k->family == AF_INET)
		sk = __inet_lookup_listener(net, hinfo, NULL, 0, 0, 0,
					    k->addr.ip, hnum, 0, 0);
#if IS_ENABLED(CONFIG_IPV6)
	else
		sk = inet6_lookup_listener(net, hinfo, NULL, 0, &in6addr_any,
					   0, &k->addr.in6, hnum, 0, 0);
#else
	else
		sk = NULL;
#endif
	if (sk && READ_ONCE(sk->sk_state) == TCP_LISTEN) {
		q->accept = READ_ONCE(sk->sk_ack_backlog);
		q->accept_max = READ_ONCE(sk->sk_max_ack_backlog);
		q->syn = inet_csk_reqsk_queue_len(sk);
		if (!tcpstate_sock_owner(sk, &q->owner))
			q->owner.known = 0;
		found = true;
	}
	rcu_read_unlock();
	return found;
}
