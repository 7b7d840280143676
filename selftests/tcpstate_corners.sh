#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The corners operators look at, against the kernel's own truth: an accept
# queue that overflows, SYN cookies, SYN-ACKs or final ACKs that never
# arrive, a byte sent again, loss both ways through a router. A segment
# sent again is evidence that an answer seen on the wire was not
# delivered: tcpstate's states, listener figures and counters must still
# be what `ss` and `nstat` say in the same namespace (the router's: on the
# hosts at either end).
#
#   [ a: clients 10.0.1.1 fd00:1::1 ] <--veth--> [ b: server 10.0.1.2 fd00:1::2 ]
#   [ a 10.0.1.1 ] <--> [ r: router ] <--> [ b 10.0.2.1 ]  (router_topology)
source "$(dirname "$0")/lib.sh"
SYNFLOOD="$SELFTESTS/../build/synflood"
TCPGEN="$SELFTESTS/tcpgen.py"

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

# ss_in SS-LINES LPORT RADDR RPORT: ss_state on lines ss -Htan printed.
ss_in()
{
	local s
	s=$(awk -v l="$2" -v r="$3" -v q="$4" '{
		n = split($4, x, ":"); m = split($5, y, ":")
		p = $5; sub(/:[0-9]+$/, "", p); gsub(/[][]/, "", p)
		if (x[n] == l && y[m] == q && p == r) { print $1; exit } }' <<< "$1")
	case "$s" in
	ESTAB) echo ESTABLISHED ;;
	SYN-RECV) echo SYN_RECEIVED ;;
	""|UNCONN|CLOSE) echo CLOSED ;;
	*) echo "$s" | tr - _ ;;
	esac
}

# flows_in FLOWS LADDR LPORT RADDR RPORT: tcpstate_state on the text of
# /proc/net/tcpstate/flows.
flows_in()
{
	local s
	s=$( (table_cols client_state client="$2" cport="$3" server="$4" sport="$5" \
		<<< "$1"
	      table_cols server_state client="$4" cport="$5" server="$2" sport="$3" \
		<<< "$1") | head -n 1)
	echo "${s:-ABSENT}"
}

# snapshot: for every client socket in a to $SA:$SP, "PORT client-ss
# client-tcpstate server-ss server-tcpstate", then the listener's
# half_open and synack_rtx with `ss state syn-recv` and TcpExtTCPSynRetrans,
# listen_overflows with TcpExtListenOverflows, and its socket's queues
# with `ss -lnt` (Recv-Q, Send-Q) and `ss state syn-recv`,
# all in SNAP, LISTENER; SERVERS has "STATE HISTORY-START" for each flow's
# server endpoint at $SP. Each source is read once, so a loaded machine
# still finds a quiet moment. Succeeds only if no segment moved while it
# was taken. A server endpoint tcpstate shows as NONE holds no socket:
# CLOSED to ss.
snapshot()
{
	local before p ssa ssb fla flb lis nst
	before=$(segs)
	# reading the flows asks local servers' sockets what the wire cannot
	# show (a request dropped, a deferred accept)
	flb=$(ip netns exec "$b" cat /proc/net/tcpstate/flows)
	fla=$(ip netns exec "$a" cat /proc/net/tcpstate/flows)
	ssa=$(ip netns exec "$a" ss -Htan state all "dport = :$SP")
	ssb=$(ip netns exec "$b" ss -Htan state all "sport = :$SP")
	lis=$(ip netns exec "$b" cat /proc/net/tcpstate/listeners)
	nst=$(ip netns exec "$b" nstat -saz TcpExtTCPSynRetrans \
	      TcpExtListenOverflows)
	[ "$before" = "$(segs)" ] || return 1
	SERVERS=$(table_cols "server_state history" sport="$SP" <<< "$flb" |
		  awk '{ print $1, substr($2, 1, 2) }')
	SNAP=
	for p in $(awk '{ n = split($4, x, ":"); print x[n] }' <<< "$ssa" |
		   sort -n); do
		SNAP+="$p $(ss_in "$ssa" "$p" "$SA" "$SP")"
		SNAP+=" $(flows_in "$fla" "$CA" "$p" "$SA" "$SP")"
		SNAP+=" $(ss_in "$ssb" "$SP" "$CA" "$p")"
		SNAP+=" $(flows_in "$flb" "$SA" "$SP" "$CA" "$p" | sed 's/^NONE$/CLOSED/')"
		SNAP+=$'\n'
	done
	lis=$(table_cols "half_open synack_rtx listen_overflows accept_queue \
		accept_queue_max syn_queue" port="$SP" <<< "$lis")
	set -- ${lis:-0 0 0 - - -} \
		$(awk '$1 == "TcpExtTCPSynRetrans" { r = $2 }
		$1 == "TcpExtListenOverflows" { o = $2 }
		END { print r, o }' <<< "$nst") \
		$(awk '$1 == "LISTEN" { print $2, $3; f = 1 }
		END { if (!f) print "- -" }' <<< "$ssb")
	LISTENER="$(grep -c '^SYN-RECV' <<< "$ssb") $1 $7 $2 $8 $3 $9 $4"
	LISTENER+=" ${10} $5 $6"
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
	assert_eq "listen_overflows (nstat TcpExtListenOverflows)" "$5" "$6"
	assert_eq "accept_queue (ss -lnt Recv-Q)" "$7" "$8"
	assert_eq "accept_queue_max (ss -lnt Send-Q)" "$9" "${10}"
	# the SYN queue of the socket, where it still listens
	[ "$7" = - ] || assert_eq "syn_queue (ss state syn-recv)" "$1" "${11}"
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

test_accept_queue_full_v6() { accept_queue_full 6 0; }
test_accept_queue_abort_v4() { accept_queue_full 4 1; }

# The queue full (IPv4), then drained by accept(): the requests the
# kernel held complete at their clients' next segment, and once each
# server speaks tcpstate has them ESTABLISHED.
test_accept_queue_full_then_drains()
{
	local i
	accept_queue_full 4 0
	for i in $(seq 5); do ctl srv accept s$i l; done
	for i in 1 2 3 4; do ctl cli send r$i 1; done
	for i in 6 7 8; do ctl srv accept s$i l; done
	for i in $(seq 8); do ctl srv send s$i 1; done
	for i in 1 2 3 4; do ctl cli recv c$i 1; ctl cli recv r$i 1; done
	check_snapshot
	assert_eq "requests left" 0 "$N_SYN_RECV"
	assert_eq "handshakes (nstat TcpPassiveOpens)" \
		"$(nstat_abs "$b" TcpPassiveOpens)" \
		"$(listener_field "$b" $SP handshakes)"
}

# syn_sent_count NS PORT: connections of NS still trying to reach PORT.
syn_sent_count()
{
	ip netns exec "$1" ss -Htan state syn-sent "dport = :$2" | wc -l
}

# syns_dropped CLIENT_NS SERVER_NS: waits for the client to give up
# connecting to $SP and prints the server's ListenOverflows then. How many
# SYNs that took is the kernel's: tcp_syn_retries, plus
# tcp_syn_linear_timeouts where the kernel has them (6.5+), at 1 s, then
# doubling intervals.
syns_dropped()
{
	local n

	wait_eq $((30000 * WAIT_SCALE)) 0 syn_sent_count "$1" $SP
	n=$(nstat_abs "$2" TcpExtListenOverflows)
	[ "$n" -ge 3 ] || fail "only $n SYNs dropped (ListenOverflows)"
	echo "$n"
}

# A full accept queue drops new SYNs (tcp_conn_request()), each one a
# ListenOverflows: the client's SYN again proves the one before it was
# dropped, and its giving up (the flow's timeout) the last one. The
# listener's queues are the socket's: two connections waiting on a
# backlog of 1, then none once accepted.
test_accept_queue_full_syns_dropped()
{
	local overflows

	addresses 4
	SP=8028
	hosts
	config_set "$b" timeout_syn_sent_ms 3000
	ip netns exec "$a" sysctl -qw net.ipv4.tcp_syn_retries=2
	ctl_start srv "$b"
	ctl_start cli "$a"
	ctl srv listen l "$SA" $SP 1
	ctl cli connect c1 "$SA" $SP
	ctl cli connect c2 "$SA" $SP
	ctl cli connect_nb c3 "$SA" $SP
	overflows=$(syns_dropped "$a" "$b") || exit 1
	wait_eq $((30000 * WAIT_SCALE)) "$overflows" \
		listener_field "$b" $SP listen_overflows
	check_snapshot
	assert_eq "accept queue (ss -lnt Recv-Q)" 2 \
		"$(listener_field "$b" $SP accept_queue)"
	prom_agrees "$b"
	health_has "$b" "accept_queue_full $SA:$SP" ||
		fail "health: the full accept queue not reported"
	ctl srv accept s1 l
	ctl srv accept s2 l
	check_snapshot
	assert_eq "accept queue once accepted" 0 \
		"$(listener_field "$b" $SP accept_queue)"
	! health_has "$b" "accept_queue_full $SA:$SP" ||
		fail "health: an accept queue reported full once empty"
}

# health_has NS "KIND WHAT": `health -j` in NS has that warning.
health_has()
{
	ip netns exec "$1" "$SELFTESTS/../tools/tcpstate" health -j |
		python3 -c 'import json, sys
print("\n".join(w["kind"] + " " + w["what"] for w in json.load(sys.stdin)))' |
		grep -qx "$2"
}

# The same seen from a router in the middle: no socket to ask, the SYNs
# sent again and the client's giving up prove each drop.
test_accept_queue_full_from_a_router()
{
	local r overflows
	setup_ns a r b
	router_topology "$a" "$r" "$b"
	SP=8029
	config_set "$r" timeout_syn_sent_ms 3000
	config_set "$b" timeout_syn_sent_ms 3000
	ip netns exec "$a" sysctl -qw net.ipv4.tcp_syn_retries=2
	ctl_start srv "$b"
	ctl_start cli "$a"
	ctl srv listen l 10.0.2.1 $SP 1
	ctl cli connect c1 10.0.2.1 $SP
	ctl cli connect c2 10.0.2.1 $SP
	ctl cli connect_nb c3 10.0.2.1 $SP
	overflows=$(syns_dropped "$a" "$b") || exit 1
	wait_eq $((30000 * WAIT_SCALE)) "$overflows" \
		listener_field "$r" $SP listen_overflows
	assert_eq "router: no queues for a listener elsewhere" - \
		"$(listener_field "$r" $SP accept_queue)"
	wait_eq $((30000 * WAIT_SCALE)) "$overflows" \
		listener_field "$b" $SP listen_overflows
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

# check_cookies: b's listener on $SP counts the cookies b's kernel sent
# and took back, and every handshake, as nstat does.
check_cookies()
{
	assert_eq "listener cookies_sent (nstat TcpExtSyncookiesSent)" \
		"$(nstat_abs "$b" TcpExtSyncookiesSent)" \
		"$(listener_or_0 "$b" $SP cookies_sent)"
	assert_eq "listener cookies_recv (nstat TcpExtSyncookiesRecv)" \
		"$(nstat_abs "$b" TcpExtSyncookiesRecv)" \
		"$(listener_or_0 "$b" $SP cookies_recv)"
	assert_eq "listener handshakes (nstat TcpPassiveOpens)" \
		"$(nstat_abs "$b" TcpPassiveOpens)" \
		"$(listener_or_0 "$b" $SP handshakes)"
	prom_agrees "$b"
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
	check_cookies
}

# A spoofed flood into a backlog of 8 with tcp_syncookies=1: the kernel
# holds a few requests, answers the rest with cookies. half_open is what
# it holds; the flows whose server holds nothing are the cookies it sent.
test_syn_cookies_flood()
{
	local n=200 cookies i
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
	cookies=$(grep -c '^NONE Sh' <<< "$SERVERS" || true)
	# under the flood the kernel gives old requests fewer SYN-ACKs: some
	# may be gone already, without a word on the wire
	diag "$N_SYN_RECV requests held, $cookies cookies"
	assert_eq "flows answered with a cookie (nstat TcpExtSyncookiesSent)" \
		"$(nstat_abs "$b" TcpExtSyncookiesSent)" "$cookies"
	assert_eq "SYN_RECEIVED servers (ss state syn-recv)" "$N_SYN_RECV" \
		"$(grep -c '^SYN_RECEIVED ' <<< "$SERVERS" || true)"
	# real clients meanwhile: a cookie each while the queue is full
	ctl_start cli "$a"
	for i in 1 2 3; do ctl cli connect c$i "$SA" $SP; done
	for i in 1 2 3; do ctl srv accept s$i l; done
	busywait $((30000 * WAIT_SCALE)) wire_quiet "$a" "$b"
	diag "$(nstat_abs "$b" TcpExtSyncookiesRecv) clients came back with a cookie"
	check_cookies
}

# all_acked NS PORT: no socket of NS to PORT has data in flight (ss -i).
all_acked()
{
	! ip netns exec "$1" ss -Htin "dport = :$2" | grep -q 'unacked:'
}

# rtx_both: a's and b's TcpRetransSegs, summed.
rtx_both()
{
	echo $(($(nstat_abs "$a" TcpRetransSegs) + $(nstat_abs "$b" TcpRetransSegs)))
}

# One byte below snd_nxt is a keepalive only once the peer acked all:
# while it is unacked, the same segment is that byte sent again. The
# server's ACKs are dropped as they leave it (before tcpstate's hook), so
# the client sends its one byte again and again (TcpRetransSegs); then,
# everything acked, its keepalives change nothing.
test_last_byte_again()
{
	local ns
	addresses 4
	SP=8026
	hosts
	ctl_start srv "$b"
	ctl_start cli "$a"
	ctl srv listen l "$SA" $SP
	ctl cli connect c "$SA" $SP
	ctl srv accept s l
	ctl cli port c
	drop_acks "$b" "$CTL_REPLY"
	ctl cli send c 1
	wait_ge $((20000 * WAIT_SCALE)) 2 nstat_abs "$a" TcpRetransSegs
	ip netns exec "$b" nft delete table inet t
	busywait $((30000 * WAIT_SCALE)) all_acked "$a" $SP
	for ns in "$a" "$b"; do
		assert_eq "$ns retransmissions (nstat TcpRetransSegs)" \
			"$(rtx_both)" "$(tcpstate_stat "$ns" retransmissions)"
		assert_eq "$ns keepalives" 0 "$(tcpstate_stat "$ns" keepalives)"
	done
	ctl cli keepalive c 1
	wait_ge $((20000 * WAIT_SCALE)) 2 tcpstate_stat "$b" keepalives
	for ns in "$a" "$b"; do
		assert_eq "$ns retransmissions, keepalives sent" "$(rtx_both)" \
			"$(tcpstate_stat "$ns" retransmissions)"
	done
}

# conns_over NS1 NS2 PORT: no connection to PORT left but in TIME-WAIT,
# on either host.
conns_over()
{
	! ip netns exec "$1" ss -Htan state all "dport = :$3" |
		grep -qv '^TIME-WAIT' &&
	! ip netns exec "$2" ss -Htan state all "sport = :$3" |
		grep -v '^LISTEN' | grep -qv '^TIME-WAIT'
}

# router_loss FAMILY GSO: 5% loss both ways at a router (netem on both
# its egresses), GSO on or off at both ends. The router sees every
# segment a and b send, before its qdiscs drop some: its retransmissions
# are a's and b's TcpRetransSegs (a GSO packet sent again counts each
# segment), and once every connection is over, each endpoint it shows is
# what ss shows on that endpoint's host.
router_loss()
{
	local r ca sa p dev ssa ssb flr
	setup_ns a r b
	router_topology "$a" "$r" "$b"
	if [ "$1" = 6 ]; then ca=fd00:1::1 sa=fd00:2::1; else ca=10.0.1.1 sa=10.0.2.1; fi
	SP=8027
	for dev in veth1 veth2; do
		ip netns exec "$r" tc qdisc add dev $dev root netem loss 5% \
			2> /dev/null || skip "no netem qdisc"
	done
	if [ "$2" = off ]; then
		run ip -n "$a" link set dev veth0 gso_max_segs 1
		run ip -n "$b" link set dev veth3 gso_max_segs 1
	fi
	config_set "$r" timeout_time_wait_ms 600000 timeout_closed_ms 600000 \
		timeout_fin_wait_ms 600000 timeout_close_wait_ms 600000
	ip netns exec "$b" "$TCPGEN" serve "$sa" $SP --count 0 &
	busywait 30000 listening "$b" $SP
	# each echo fits the client's receive buffer: no side waits on the
	# other for longer than the loss makes it
	run ip netns exec "$a" "$TCPGEN" connect "$sa" $SP --count 8 --bytes 100000
	busywait $((120000 * WAIT_SCALE)) conns_over "$a" "$b" $SP
	busywait $((30000 * WAIT_SCALE)) wire_quiet "$a" "$b"
	diag "a retransmitted $(nstat_abs "$a" TcpRetransSegs)," \
		"b $(nstat_abs "$b" TcpRetransSegs)"
	[ "$(nstat_abs "$a" TcpRetransSegs)" -gt 0 ] &&
		[ "$(nstat_abs "$b" TcpRetransSegs)" -gt 0 ] ||
		fail "no loss both ways: the test proves nothing"
	assert_eq "router: retransmissions (TcpRetransSegs of a and b)" \
		"$(rtx_both)" "$(tcpstate_stat "$r" retransmissions)"
	assert_eq "router: a listener elsewhere has no queues" - \
		"$(listener_field "$r" $SP accept_queue)"
	# one reading of each source: a TIME_WAIT that ends meanwhile in a or
	# b is still in the router's (its timeouts are ten minutes)
	ssa=$(ip netns exec "$a" ss -Htan state all "dport = :$SP")
	ssb=$(ip netns exec "$b" ss -Htan state all "sport = :$SP")
	flr=$(ip netns exec "$r" cat /proc/net/tcpstate/flows)
	for p in $(awk '{ n = split($4, x, ":"); print x[n] }' <<< "$ssa"); do
		assert_eq "router: client :$p (ss in a)" \
			"$(ss_in "$ssa" "$p" "$sa" $SP)" \
			"$(flows_in "$flr" "$ca" "$p" "$sa" $SP)"
		assert_eq "router: server, client :$p (ss in b)" \
			"$(ss_in "$ssb" $SP "$ca" "$p")" \
			"$(flows_in "$flr" "$sa" $SP "$ca" "$p")"
	done
}

test_router_loss_gso_v6() { router_loss 6 on; }
test_router_loss_no_gso_v4() { router_loss 4 off; }

TESTS=(
	accept_queue_full_ipv4_then_drains test_accept_queue_full_then_drains
	accept_queue_full_ipv6 test_accept_queue_full_v6
	accept_queue_abort_on_overflow test_accept_queue_abort_v4
	accept_queue_full_syns_dropped test_accept_queue_full_syns_dropped
	accept_queue_full_from_a_router test_accept_queue_full_from_a_router
	final_ack_dropped test_final_ack_dropped
	defer_accept test_defer_accept
	synack_blackholed test_synack_blackholed
	syn_cookies_forced test_syn_cookies_forced
	syn_cookies_flood test_syn_cookies_flood
	last_byte_again_not_keepalive test_last_byte_again
	router_loss_both_ways_gso_ipv6 test_router_loss_gso_v6
	router_loss_both_ways_no_gso_ipv4 test_router_loss_no_gso_v4
)

ktap_select "$@"
kernel_clean || true
ktap_run
