#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The corners operators look at, against the kernel's own truth: an accept
# queue that overflows, SYN cookies, SYN-ACKs or final ACKs that never
# arrive. A segment sent again is evidence that an answer seen on the wire
# was not delivered: tcpstate's states, listener figures and counters must
# still be what `ss` and `nstat` say in the same namespace.
#
#   [ a: clients 10.0.1.1 fd00:1::1 ] <--veth--> [ b: server 10.0.1.2 fd00:1::2 ]
source "$(dirname "$0")/lib.sh"
SYNFLOOD="$SELFTESTS/../build/synflood"

# hosts: two_hosts, where no flow times out while the test looks (a
# slow kernel takes minutes over a test; a client stays ESTABLISHED for
# as long as its server holds it half-open, or longer).
hosts()
{
	local ns
	two_hosts
	for ns in "$a" "$b"; do
		config_set "$ns" timeout_syn_recv_ms 600000 \
			timeout_syn_sent_ms 600000 timeout_closed_ms 600000 \
			timeout_time_wait_ms 600000
	done
}

# listener_or_0 NS PORT NAME: listener_field, 0 when there is no line
# (nothing was ever half-open there).
listener_or_0()
{
	local v
	v=$(listener_field "$@")
	echo "${v:-0}"
}

# segs: every TCP segment a and b sent or received so far, by nstat.
segs()
{
	local ns
	for ns in "$a" "$b"; do
		ip netns exec "$ns" nstat -saz TcpInSegs TcpOutSegs TcpRetransSegs
	done
}

# snapshot: for every client socket in a to $SA:$SP, "PORT client-ss
# client-tcpstate server-ss server-tcpstate", then the listener's
# half_open and synack_rtx with `ss state syn-recv` and TcpExtTCPSynRetrans,
# all in SNAP, LISTENER. Succeeds only if no segment moved while it was taken. A
# server endpoint tcpstate shows as NONE holds no socket: CLOSED to ss.
snapshot()
{
	local before p
	before=$(segs)
	# reading the flows asks local servers' sockets what the wire cannot
	# show (a request dropped, a deferred accept)
	ip netns exec "$b" cat /proc/net/tcpstate/flows > /dev/null
	SNAP=
	for p in $(ip netns exec "$a" ss -Htan "dport = :$SP" |
		   awk '{ n = split($4, x, ":"); print x[n] }' | sort -n); do
		SNAP+="$p $(ss_state "$a" "$p" "$SA" "$SP")"
		SNAP+=" $(tcpstate_state "$a" "$CA" "$p" "$SA" "$SP")"
		SNAP+=" $(ss_state "$b" "$SP" "$CA" "$p")"
		SNAP+=" $(tcpstate_state "$b" "$SA" "$SP" "$CA" "$p" | sed 's/^NONE$/CLOSED/')"
		SNAP+=$'\n'
	done
	LISTENER="$(syn_recv_count "$b" "$SP") $(listener_or_0 "$b" "$SP" half_open)"
	LISTENER+=" $(nstat_abs "$b" TcpExtTCPSynRetrans) $(listener_or_0 "$b" "$SP" synack_rtx)"
	[ "$before" = "$(segs)" ]
}

# check_snapshot: a stable snapshot, and in it tcpstate equal to ss for
# every endpoint and to ss/nstat for the listener. Sets N_SYN_RECV.
check_snapshot()
{
	local p cs ct ss st
	busywait $((60000 * WAIT_SCALE)) snapshot || fail "no quiet moment"
	while read -r p cs ct ss st; do
		[ -n "$p" ] || continue
		assert_eq "client :$p (ss)" "$cs" "$ct"
		assert_eq "server, client :$p (ss)" "$ss" "$st"
	done <<< "$SNAP"
	set -- $LISTENER
	N_SYN_RECV=$1
	assert_eq "half_open (ss state syn-recv)" "$1" "$2"
	assert_eq "synack_rtx (nstat TcpExtTCPSynRetrans)" "$3" "$4"
}

# accept_queue_full FAMILY ABORT: a listen backlog of 4, syncookies off,
# nothing accepted. Four connections wait in the accept queue; four more
# become requests while their third ACKs are dropped at the server's input
# (after tcpstate's hook). Once those ACKs pass, the first fills the
# queue and the kernel drops the others (ListenOverflows), keeping their
# requests and sending their SYN-ACKs again; with tcp_abort_on_overflow
# it resets them instead.
accept_queue_full()
{
	local i
	addresses "$1"
	SP=8020
	hosts
	ip netns exec "$b" sysctl -qw net.ipv4.tcp_syncookies=0
	ip netns exec "$b" sysctl -qw net.ipv4.tcp_synack_retries=6
	ip netns exec "$b" sysctl -qw net.ipv4.tcp_abort_on_overflow="$2"
	ctl_start srv "$b"
	ctl_start cli "$a"
	ctl srv listen l "$SA" $SP 4
	for i in 1 2 3 4; do ctl cli connect c$i "$SA" $SP; done
	drop_acks "$b" $SP input
	ctl cli connect_nb_n r 4 "$SA" $SP
	wait_eq $((20000 * WAIT_SCALE)) 4 syn_recv_count "$b" $SP
	ip netns exec "$b" nft delete table inet t
	wait_ge $((30000 * WAIT_SCALE)) 1 nstat_abs "$b" TcpExtListenOverflows
	if [ "$2" = 1 ]; then
		wait_eq $((30000 * WAIT_SCALE)) 0 syn_recv_count "$b" $SP
	else
		# the overflowing requests' SYN-ACKs sent again after their ACK
		wait_ge $((30000 * WAIT_SCALE)) 1 syn_recv_count "$b" $SP
	fi
	check_snapshot
	diag "$N_SYN_RECV requests in SYN-RECV," \
		"ListenOverflows $(nstat_abs "$b" TcpExtListenOverflows)"
	[ "$2" = 1 ] || [ "$N_SYN_RECV" = 3 ] ||
		fail "$N_SYN_RECV requests in SYN-RECV, not 3"
	assert_eq "handshakes (nstat TcpPassiveOpens)" \
		"$(nstat_abs "$b" TcpPassiveOpens)" \
		"$(listener_field "$b" $SP handshakes)"
	[ "$2" = 1 ] || return 0
	[ "$(nstat_abs "$b" TcpOutRsts)" -ge 1 ] || fail "no RST for an overflow"
	assert_eq "listener resets (b's TcpOutRsts)" "$(nstat_abs "$b" TcpOutRsts)" \
		"$(listener_field "$b" $SP resets)"
}

test_accept_queue_full_v4() { accept_queue_full 4 0; }
test_accept_queue_full_v6() { accept_queue_full 6 0; }
test_accept_queue_abort_v4() { accept_queue_full 4 1; }

# The queue drains: the requests the kernel held complete at their next
# SYN-ACK, and once each server speaks tcpstate has them ESTABLISHED.
test_accept_queue_drains()
{
	local i
	accept_queue_full 4 0
	for i in $(seq 8); do ctl srv accept s$i l; done
	for i in $(seq 8); do ctl srv send s$i 1; done
	for i in 1 2 3 4; do ctl cli recv c$i 1; ctl cli recv r$i 1; done
	check_snapshot
	assert_eq "requests left" 0 "$N_SYN_RECV"
	assert_eq "handshakes (nstat TcpPassiveOpens)" \
		"$(nstat_abs "$b" TcpPassiveOpens)" \
		"$(listener_field "$b" $SP handshakes)"
}

# A TCP_DEFER_ACCEPT-like refusal seen from the wire: the server's input
# drops the final ACKs (after tcpstate's hook), so the server retransmits
# its SYN-ACK; once the ACKs pass, the client's data completes it.
test_final_ack_dropped()
{
	addresses 4
	SP=8021
	hosts
	ip netns exec "$b" sysctl -qw net.ipv4.tcp_synack_retries=6
	drop_acks "$b" $SP input
	ctl_start srv "$b"
	ctl_start cli "$a"
	ctl srv listen l "$SA" $SP
	ctl cli connect_nb_n c 3 "$SA" $SP
	wait_ge $((20000 * WAIT_SCALE)) 3 nstat_abs "$b" TcpExtTCPSynRetrans
	check_snapshot
	assert_eq "requests in SYN-RECV" 3 "$N_SYN_RECV"
	ip netns exec "$b" nft delete table inet t
	for i in 1 2 3; do ctl cli send c$i 10; done
	for i in 1 2 3; do ctl srv accept s$i l; ctl srv recv s$i 10; done
	check_snapshot
	assert_eq "requests left" 0 "$N_SYN_RECV"
}

# TCP_DEFER_ACCEPT: the server's kernel keeps the request and drops the
# bare third ACK (TcpExtTCPDeferAcceptDrop) until data comes; nothing on
# the wire says so, the request socket does.
test_defer_accept()
{
	addresses 4
	SP=8025
	hosts
	ctl_start srv "$b"
	ctl_start cli "$a"
	ctl srv listen_defer l "$SA" $SP 30
	ctl cli connect c "$SA" $SP
	wait_ge $((10000 * WAIT_SCALE)) 1 nstat_abs "$b" TcpExtTCPDeferAcceptDrop
	check_snapshot
	assert_eq "requests held (ss state syn-recv)" 1 "$N_SYN_RECV"
	ctl cli send c 10
	ctl srv accept s l
	ctl srv recv s 10
	check_snapshot
	assert_eq "requests left" 0 "$N_SYN_RECV"
	assert_eq "handshakes (nstat TcpPassiveOpens)" \
		"$(nstat_abs "$b" TcpPassiveOpens)" \
		"$(listener_field "$b" $SP handshakes)"
}

# SYN-ACKs dropped at the client's input (after tcpstate's hook): each
# SYN sent again says the client is still SYN_SENT.
test_synack_blackholed()
{
	addresses 4
	SP=8022
	hosts
	ip netns exec "$a" nft -f - <<-NFT
	table inet t {
		chain in {
			type filter hook input priority 0;
			tcp sport $SP tcp flags & (syn|ack) == syn|ack drop
		}
	}
	NFT
	ctl_start srv "$b"
	ctl_start cli "$a"
	ctl srv listen l "$SA" $SP
	ctl cli connect_nb c "$SA" $SP
	wait_ge $((20000 * WAIT_SCALE)) 1 nstat_abs "$a" TcpRetransSegs
	check_snapshot
	ip netns exec "$a" nft delete table inet t
	ctl srv accept s l
	check_snapshot
}

# tcp_syncookies=2: every SYN-ACK is a cookie; the server holds nothing
# until a third ACK carries the cookie back. One client's final ACKs are
# dropped as they leave it: its server stays without a socket.
test_syn_cookies_forced()
{
	addresses 4
	SP=8023
	hosts
	ip netns exec "$b" sysctl -qw net.ipv4.tcp_syncookies=2
	ctl_start srv "$b"
	ctl_start cli "$a"
	ctl srv listen l "$SA" $SP
	ctl cli connect c1 "$SA" $SP
	ctl srv accept s1 l
	drop_acks "$a" $SP
	ctl cli connect_nb c2 "$SA" $SP
	wait_eq $((20000 * WAIT_SCALE)) 2 nstat_abs "$b" TcpExtSyncookiesSent
	check_snapshot
	assert_eq "cookies validated (nstat TcpExtSyncookiesRecv)" 1 \
		"$(nstat_abs "$b" TcpExtSyncookiesRecv)"
	assert_eq "half-open" 0 "$N_SYN_RECV"
}

# A spoofed flood into a backlog of 8 with tcp_syncookies=1: the kernel
# holds a few requests, answers the rest with cookies. half_open is what
# it holds; the flows whose server holds nothing are the cookies it sent.
test_syn_cookies_flood()
{
	local n=200 cookies
	[ -x "$SYNFLOOD" ] || fail "$SYNFLOOD is not built"
	addresses 4
	SP=8024
	hosts
	ip netns exec "$b" sysctl -qw net.ipv4.tcp_syncookies=1
	# the SYN-ACKs go back to a, which is no 10.9/16 host and drops them
	ip -n "$a" route add 10.9.0.0/16 dev veth0
	ip -n "$b" route add 10.9.0.0/16 via 10.0.1.1
	ctl_start srv "$b"
	ctl srv listen l "$SA" $SP 8
	run ip netns exec "$a" "$SYNFLOOD" -n $n 10.9.0.0 "$SA" $SP
	wait_ge $((20000 * WAIT_SCALE)) 1 nstat_abs "$b" TcpExtSyncookiesSent
	check_snapshot
	cookies=$(ip netns exec "$b" awk -v p=$SP '$5 == p && $7 == "NONE" &&
		$9 ~ /^Sh/ { n++ } END { print n + 0 }' /proc/net/tcpstate/flows)
	# under the flood the kernel gives old requests fewer SYN-ACKs: some
	# may be gone already, without a word on the wire
	diag "$N_SYN_RECV requests held, $cookies cookies"
	assert_eq "flows answered with a cookie (nstat TcpExtSyncookiesSent)" \
		"$(nstat_abs "$b" TcpExtSyncookiesSent)" "$cookies"
	assert_eq "SYN_RECEIVED servers (ss state syn-recv)" "$N_SYN_RECV" \
		"$(ip netns exec "$b" awk -v p=$SP '$5 == p &&
			$7 == "SYN_RECEIVED" { n++ } END { print n + 0 }' \
			/proc/net/tcpstate/flows)"
}

TESTS=(
	accept_queue_full_ipv4 test_accept_queue_full_v4
	accept_queue_full_ipv6 test_accept_queue_full_v6
	accept_queue_abort_on_overflow test_accept_queue_abort_v4
	accept_queue_drains test_accept_queue_drains
	final_ack_dropped test_final_ack_dropped
	defer_accept test_defer_accept
	synack_blackholed test_synack_blackholed
	syn_cookies_forced test_syn_cookies_forced
	syn_cookies_flood test_syn_cookies_flood
)

ktap_select "$@"
kernel_clean || true
ktap_run
