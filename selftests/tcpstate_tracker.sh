#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The flow tracker against the kernel's own truth: at every quiet point the
# state tcpstate gives each local endpoint is the state `ss` gives its
# socket in the same namespace, and the counters agree with `nstat`.
#
#   [ a: client 10.0.1.1 fd00:1::1 ] <--veth--> [ b: server 10.0.1.2 fd00:1::2 ]
#   forwarded:  [ a ] <--> [ r: ip_forward ] <--> [ b: 10.0.2.1 fd00:2::1 ]
source "$(dirname "$0")/lib.sh"
SYNFLOOD="$SELFTESTS/../build/synflood"
TCPGEN="$SELFTESTS/tcpgen.py"

# snmp NS FIELD: a Tcp: field of /proc/net/snmp (gauges nstat leaves out).
snmp()
{
	ip netns exec "$1" awk -v k="$2" '/^Tcp:/ {
		if (!n) { for (i = 1; i <= NF; i++) c[$i] = i; n = 1 }
		else print $c[k] }' /proc/net/snmp
}

# Both local endpoints of client port $CP to server port $SP, as ss says.
check_both()
{
	busywait 30000 wire_quiet "$a" "$b"
	check_endpoint "$a" "$CA" "$CP" "$SA" "$SP"
	check_endpoint "$b" "$SA" "$SP" "$CA" "$CP"
}

# established FAMILY PORT: client c and server s connected, CP and SP set.
established()
{
	addresses "$1"
	SP=$2
	ctl_start srv "$b"
	ctl_start cli "$a"
	ctl srv listen l "$SA" "$SP"
	ctl cli connect c "$SA" "$SP"
	ctl srv accept s l
	ctl cli port c
	CP=$CTL_REPLY
}

handshake()
{
	two_hosts
	established "$1" 8001
	check_both
	assert_eq "client state" ESTABLISHED "$(tcpstate_state "$a" "$CA" "$CP" "$SA" "$SP")"
	assert_eq "conn_state" S1 "$(flow_field "$a" "$CA" "$CP" "$SA" "$SP" conn_state)"
	assert_eq "server view conn_state" S1 "$(flow_field "$b" "$CA" "$CP" "$SA" "$SP" conn_state)"
}

test_handshake_v4() { handshake 4; }
test_handshake_v6() { handshake 6; }

# The client closes first; the server keeps sending for a while.
client_close()
{
	local i tw
	two_hosts
	# a slow kernel may take longer than CLOSE_WAIT lasts idle (60 s), or
	# than b's record of the ended flow lasts before it is read (a's
	# TIME_WAIT is compared with ss: it keeps the kernel's 2*MSL)
	config_set "$a" timeout_close_wait_ms 600000 timeout_fin_wait_ms 600000
	config_set "$b" timeout_close_wait_ms 600000 timeout_fin_wait_ms 600000
	keep_ended_flows "$b"
	established "$1" 8002
	ctl cli send c 5000
	ctl srv recv s 5000
	ctl cli shutdown c
	check_both
	assert_eq "client after its FIN is acked" FIN_WAIT_2 \
		"$(tcpstate_state "$a" "$CA" "$CP" "$SA" "$SP")"
	for i in 1 2 3; do
		ctl srv send s 20000
		ctl cli recv c 20000
		check_both
	done
	assert_eq "server bytes during half-close" 60000 \
		"$(flow_field "$a" "$CA" "$CP" "$SA" "$SP" s_bytes)"
	ctl srv close s
	check_both
	assert_eq "client" TIME_WAIT "$(tcpstate_state "$a" "$CA" "$CP" "$SA" "$SP")"
	assert_eq "conn_state" SF "$(flow_field "$b" "$CA" "$CP" "$SA" "$SP" conn_state)"
	# on a slow kernel 2*MSL may end between the two reads: they agree
	# once both moved
	busywait 30000 tw_agree "$a" ||
		fail "TIME_WAIT endpoints: ss $(ss_time_wait "$a"), tcpstate $(tcpstate_stat "$a" endpoints_time_wait)"
	diag "TIME_WAIT endpoints: $(ss_time_wait "$a")"
}

ss_time_wait() { ip netns exec "$1" ss -Htan state time-wait | wc -l; }

# tw_agree NS: tcpstate's TIME_WAIT endpoints are ss's.
tw_agree()
{
	[ "$(ss_time_wait "$1")" = "$(tcpstate_stat "$1" endpoints_time_wait)" ]
}

test_client_close_v4() { client_close 4; }
test_client_close_v6() { client_close 6; }

test_server_close()
{
	two_hosts
	config_set "$a" timeout_close_wait_ms 600000 timeout_fin_wait_ms 600000
	config_set "$b" timeout_close_wait_ms 600000 timeout_fin_wait_ms 600000
	keep_ended_flows "$a"
	established 4 8003
	ctl srv shutdown s
	check_both
	assert_eq "server" FIN_WAIT_2 "$(tcpstate_state "$b" "$SA" "$SP" "$CA" "$CP")"
	ctl cli send c 3000
	ctl srv recv s 3000
	ctl cli close c
	check_both
	assert_eq "server" TIME_WAIT "$(tcpstate_state "$b" "$SA" "$SP" "$CA" "$CP")"
	assert_eq "conn_state" SF "$(flow_field "$a" "$CA" "$CP" "$SA" "$SP" conn_state)"
}

# The client's last ACK is dropped before it leaves: the server sits in
# LAST_ACK, retransmitting its FIN, until the drop is lifted.
# The kernel ends the client's TIME_WAIT 60 s after the first FIN, while
# tcpstate keeps an endpoint's state as long as its flow lives: on a slow
# kernel (the debug kernel) the retransmitted FIN can come after that, and
# then only the server is compared at the end.
test_last_ack()
{
	local fin
	two_hosts
	# The checks after the close may come later than CLOSED lasts, and on
	# a slow kernel the close may come later than CLOSE_WAIT lasts (60 s
	# from the FIN): the flow would expire and the server's FIN start a
	# new one, its client in CLOSE_WAIT (what one debug-kernel run with
	# three other VMs beside it reported).
	keep_ended_flows "$a" "$b"
	config_set "$a" timeout_close_wait_ms 600000 timeout_fin_wait_ms 600000
	config_set "$b" timeout_close_wait_ms 600000 timeout_fin_wait_ms 600000
	established 4 8004
	ctl cli shutdown c
	check_both
	drop_acks "$a" 8004
	# The closed server socket is an orphan: by default it gives up after
	# 8 retransmissions of its FIN (some 100 s) and vanishes without a
	# word on the wire. On a slow kernel the checks below can outlast
	# that, so it must keep trying until an ACK gets through.
	ip netns exec "$b" sysctl -qw net.ipv4.tcp_orphan_retries=15
	fin=$SECONDS
	ctl srv close s
	check_both
	assert_eq "server" LAST_ACK "$(tcpstate_state "$b" "$SA" "$SP" "$CA" "$CP")"
	assert_eq "client" TIME_WAIT "$(tcpstate_state "$a" "$CA" "$CP" "$SA" "$SP")"
	ip netns exec "$a" nft delete table inet t
	# Backoff doubles the gap: the next FIN comes within twice the time
	# since the first.
	wait_eq $((20000 + 2000 * (SECONDS - fin))) CLOSED \
		ss_state "$b" "$SP" "$CA" "$CP"
	assert_eq "server sockets that gave up (nstat TcpExtTCPAbortOnTimeout)" \
		0 "$(nstat_abs "$b" TcpExtTCPAbortOnTimeout)"
	busywait 30000 wire_quiet "$a" "$b"
	if [ $((SECONDS - fin)) -lt 50 ]; then
		check_endpoint "$a" "$CA" "$CP" "$SA" "$SP"
	else
		echo "  $((SECONDS - fin)) s since the FIN: client not compared"
	fi
	check_endpoint "$b" "$SA" "$SP" "$CA" "$CP"
	assert_eq "server after the retransmitted FIN is acked" CLOSED \
		"$(tcpstate_state "$b" "$SA" "$SP" "$CA" "$CP")"
}

refused()
{
	local fail
	two_hosts
	keep_ended_flows "$a" "$b"
	addresses "$1"
	ip netns exec "$a" "$TCPGEN" connect "$SA" 8005 2>/dev/null && fail "port 8005 answered"
	busywait 30000 wire_quiet "$a" "$b"
	fail=$(proc_cols "$a" flows "client_state server_state conn_state" sport=8005)
	assert_eq "client, server, conn_state" "CLOSED CLOSED REJ" "$fail"
	assert_eq "RSTs sent by b (nstat TcpOutRsts)" "$(nstat_abs "$b" TcpOutRsts)" \
		"$(tcpstate_stat "$b" rsts_out)"
}

test_refused_v4() { refused 4; }
test_refused_v6() { refused 6; }

# A SYN dropped by the server's input filter: S0, then half-open expiry.
test_syn_dropped()
{
	defer reload_module
	# SYN retransmissions come 1, 2, 4, 8, 16, 32 s apart. With 8 s the
	# flow outlives the gaps up to 4 s: it is there for 15 s after the
	# connect, time enough for the checks below. A debug kernel
	# (WAIT_SCALE 6) takes longer over them, and its 48 s outlive every gap.
	reload_module timeout_syn_sent_ms=$((8000 * WAIT_SCALE)) gc_interval_ms=200
	two_hosts
	addresses 4
	ip netns exec "$b" nft -f - <<-NFT
	table inet t {
		chain in {
			type filter hook input priority 0;
			tcp dport 8006 drop
		}
	}
	NFT
	ctl_start cli "$a"
	ctl cli connect_nb c "$SA" 8006
	ctl cli port c
	CP=$CTL_REPLY SP=8006
	wait_eq 10000 SYN_SENT ss_state "$a" "$CP" "$SA" 8006
	check_endpoint "$a" "$CA" "$CP" "$SA" "$SP"
	assert_eq "conn_state" S0 "$(flow_field "$a" "$CA" "$CP" "$SA" "$SP" conn_state)"
	ctl cli close c
	wait_eq 20000 ABSENT tcpstate_state "$a" "$CA" "$CP" "$SA" "$SP"
	[ "$(tcpstate_stat "$a" flows_expired)" -ge 1 ] || fail "no expiry counted"
}

linger_abort()
{
	local line
	two_hosts
	keep_ended_flows "$a" "$b"
	established "$1" 8007
	ctl cli send c 1000
	ctl srv recv s 1000
	ctl cli abort c
	check_both
	line=$(flow_line "$b" "$CA" "$CP" "$SA" "$SP" "conn_state close_reason")
	echo "  $line"
	assert_eq "conn_state, close_reason" "c RSTO rst_client" "$line"
	assert_eq "RSTs sent by a (nstat TcpOutRsts)" "$(nstat_abs "$a" TcpOutRsts)" \
		"$(tcpstate_stat "$a" rsts_out)"
}

test_abort_v4() { linger_abort 4; }
test_abort_v6() { linger_abort 6; }

# synack_rtx_stable NS: nstat and tcpstate read with no retransmission
# in between; the values land in RTX_NSTAT and RTX_TCPSTATE.
synack_rtx_stable()
{
	RTX_NSTAT=$(nstat_abs "$1" TcpExtTCPSynRetrans)
	RTX_TCPSTATE=$(listener_field "$1" 8008 synack_rtx)
	[ "$RTX_NSTAT" = "$(nstat_abs "$1" TcpExtTCPSynRetrans)" ]
}

# health_kinds NS: "KIND WHAT COOKIES_SENT" of each warning of `health`.
health_kinds()
{
	ip netns exec "$1" "$SELFTESTS/../tools/tcpstate" health -j |
		python3 -c 'import json, sys
for w in json.load(sys.stdin):
    print(w["kind"], w["what"], w.get("cookies_sent", "-"))'
}

# The client's final ACKs are dropped as they leave it: the server holds
# N handshakes half-open, retransmitting SYN-ACKs, until the drop is lifted.
test_half_open()
{
	local i n=8
	defer reload_module
	reload_module flood_half_open=6 flood_syn_rate=0
	two_hosts
	ip netns exec "$b" sysctl -qw net.ipv4.tcp_syncookies=0
	# retransmit SYN-ACKs for a minute: the test decides when they complete
	ip netns exec "$b" sysctl -qw net.ipv4.tcp_synack_retries=6
	drop_acks "$a" 8008
	ctl_start srv "$b"
	ctl_start cli "$a"
	ctl srv listen l 10.0.1.2 8008 64
	ctl cli connect_nb_n c $n 10.0.1.2 8008
	wait_eq 10000 $n syn_recv_count "$b" 8008
	busywait 30000 wire_quiet "$a" "$b"
	assert_eq "half_open (ss state syn-recv)" "$(syn_recv_count "$b" 8008)" \
		"$(listener_field "$b" 8008 half_open)"
	assert_eq "flood flag at $n half-open (threshold 6)" 1 \
		"$(listener_field "$b" 8008 flood)"
	health_kinds "$b" | grep -qx "syn_flood 10.0.1.2:8008 0" ||
		fail "health: no SYN flood without cookies at 10.0.1.2:8008"
	wait_ge 20000 $n nstat_abs "$b" TcpExtTCPSynRetrans
	# both read between two retransmission rounds
	busywait 20000 synack_rtx_stable "$b"
	assert_eq "SYN-ACK retransmissions (nstat TcpExtTCPSynRetrans)" \
		"$RTX_NSTAT" "$RTX_TCPSTATE"
	ip netns exec "$a" nft delete table inet t
	# the client's first data segment carries the ACK the server missed
	for i in $(seq $n); do ctl cli send c$i 1; done
	wait_eq 30000 0 syn_recv_count "$b" 8008
	busywait 30000 wire_quiet "$a" "$b"
	assert_eq "half_open once the ACKs pass" 0 "$(listener_field "$b" 8008 half_open)"
	assert_eq "handshakes (nstat TcpPassiveOpens)" "$(nstat_abs "$b" TcpPassiveOpens)" \
		"$(listener_field "$b" 8008 handshakes)"
	assert_eq "half_open_peak" $n "$(listener_field "$b" 8008 half_open_peak)"
	wait_eq 5000 0 listener_field "$b" 8008 flood
	assert_eq "times the flood flag rose" 1 "$(listener_field "$b" 8008 floods)"
	! health_kinds "$b" | grep -q syn_flood || fail "health: a flood after it"
}

# opened NS: connections NS opened that did not fail (the client's view).
# The server's TcpPassiveOpens is no exact oracle: when the final ACK and
# the first data segment race on two CPUs, both create a child socket and
# both are counted, though one is thrown away (and may send a stray RST).
opened()
{
	echo $(($(nstat_abs "$1" TcpActiveOpens) - $(nstat_abs "$1" TcpAttemptFails)))
}

# local_estab NS: endpoints in NS that are ESTABLISHED or CLOSE_WAIT and
# local (the client here is always in a, the server in b).
local_estab()
{
	local col=6
	[ "$1" = "$b" ] && col=7
	ip netns exec "$1" awk -v c=$col 'NR > 1 && ($c == "ESTABLISHED" ||
		$c == "CLOSE_WAIT") { n++ } END { print n + 0 }' \
		/proc/net/tcpstate/flows
}

# Opens, resets and established sockets, as nstat counts them.
test_nstat_counters()
{
	local ns
	two_hosts
	ip netns exec "$b" "$TCPGEN" serve :: 8009 --count 0 &
	busywait 30000 listening "$b" 8009
	run ip netns exec "$a" "$TCPGEN" connect 10.0.1.2 8009 --count 20 --bytes 3000
	run ip netns exec "$a" "$TCPGEN" connect fd00:1::2 8009 --count 10 --bytes 3000
	ip netns exec "$a" "$TCPGEN" connect 10.0.1.2 8010 2>/dev/null || true
	established 4 8011
	busywait 30000 wire_quiet "$a" "$b"
	assert_eq "a: flows_created (TcpActiveOpens)" "$(nstat_abs "$a" TcpActiveOpens)" \
		"$(tcpstate_stat "$a" flows_created)"
	assert_eq "b: handshakes (connections a opened)" "$(opened "$a")" \
		"$(tcpstate_stat "$b" handshakes)"
	for ns in "$a" "$b"; do
		assert_eq "$ns rsts_out (TcpOutRsts)" "$(nstat_abs "$ns" TcpOutRsts)" \
			"$(tcpstate_stat "$ns" rsts_out)"
		assert_eq "$ns established + close-wait endpoints (TcpCurrEstab)" \
			"$(snmp "$ns" CurrEstab)" \
			"$(local_estab "$ns")"
	done
}

# A router between a and b tracks each forwarded flow once, with both
# endpoints remote: its per-flow packet counts add up to what a and b sent.
test_forwarded()
{
	local r pkts sent
	setup_ns a r b
	router_topology "$a" "$r" "$b"
	ip netns exec "$b" "$TCPGEN" serve :: 8012 --count 0 &
	busywait 30000 listening "$b" 8012
	run ip netns exec "$a" "$TCPGEN" connect 10.0.2.1 8012 --count 8 --bytes 20000
	run ip netns exec "$a" "$TCPGEN" connect fd00:2::1 8012 --count 8 --bytes 20000
	busywait 30000 wire_quiet "$a" "$b"
	assert_eq "router flows (connections made)" 16 "$(tcpstate_stat "$r" flows_created)"
	assert_eq "router handshakes" 16 "$(tcpstate_stat "$r" handshakes)"
	assert_eq "router flows ended" 16 "$(tcpstate_stat "$r" flows_ended)"
	pkts=$(proc_cols "$r" flows "c_pkts s_pkts" |
		awk '{ n += $1 + $2 } END { print n }')
	sent=$(($(nstat_abs "$a" TcpOutSegs) + $(nstat_abs "$a" TcpRetransSegs) +
		$(nstat_abs "$b" TcpOutSegs) + $(nstat_abs "$b" TcpRetransSegs)))
	assert_eq "router per-flow packets (a and b sent)" "$sent" "$pkts"
	assert_eq "router: states of every flow" "16 TIME_WAIT CLOSED SF" \
		"$(proc_cols "$r" flows "client_state server_state conn_state" |
		   sort | uniq -c | awk '{ $1 = $1; print }')"
}

tw_count()
{
	ip netns exec "$1" ss -Htan state time-wait | wc -l
}

# TIME_WAIT ends after 2*MSL for the kernel (60 s, fixed) and for tcpstate.
test_time_wait_expiry()
{
	local tw start elapsed
	defer reload_module
	reload_module gc_interval_ms=200
	two_hosts
	ip netns exec "$b" "$TCPGEN" serve 0.0.0.0 8013 --count 0 &
	busywait 30000 listening "$b" 8013
	run ip netns exec "$a" "$TCPGEN" connect 10.0.1.2 8013 --count 5
	start=$(date +%s%3N)
	busywait 30000 wire_quiet "$a" "$b"
	tw=$(ip netns exec "$a" ss -Htan state time-wait | wc -l)
	assert_eq "TIME_WAIT (ss)" 5 "$tw"
	assert_eq "TIME_WAIT (tcpstate)" "$tw" "$(tcpstate_stat "$a" endpoints_time_wait)"
	wait_eq 70000 0 tcpstate_stat "$a" endpoints_time_wait
	elapsed=$(($(date +%s%3N) - start))
	echo "  tcpstate's TIME_WAIT ended $elapsed ms after the last close"
	[ "$elapsed" -ge 60000 ] || fail "TIME_WAIT ended before 2*MSL"
	# The kernel's 60 s timer sits in a timer-wheel level with 16 s slack.
	wait_eq 30000 0 tw_count "$a"
	assert_eq "flows left" 0 "$(tcpstate_stat "$a" flows)"
}

# 10 000 short connections: every handshake and every close counted.
test_short_connections()
{
	local n=10000
	two_hosts
	# a new namespace keeps few TIME_WAIT sockets; past that the kernel
	# closes them at once, which no observer of the wire can tell
	ip netns exec "$a" sysctl -qw net.ipv4.tcp_max_tw_buckets=65536
	ip netns exec "$b" "$TCPGEN" serve 0.0.0.0 8014 --count 0 &
	busywait 30000 listening "$b" 8014
	run ip netns exec "$a" "$TCPGEN" connect 10.0.1.2 8014 --count $n --bytes 10 --parallel 4
	busywait 20000 wire_quiet "$a" "$b"
	assert_eq "a: TcpActiveOpens" $n "$(nstat_abs "$a" TcpActiveOpens)"
	assert_eq "a: handshakes" $n "$(tcpstate_stat "$a" handshakes)"
	assert_eq "b: handshakes (connections a opened)" "$(opened "$a")" \
		"$(tcpstate_stat "$b" handshakes)"
	echo "  b: TcpPassiveOpens $(nstat_abs "$b" TcpPassiveOpens)"
	assert_eq "a: flows ended" $n "$(tcpstate_stat "$a" flows_ended)"
	assert_eq "b: flows ended" $n "$(tcpstate_stat "$b" flows_ended)"
	# (TIME_WAIT counts are compared in time_wait_expiry_2msl: past 60 s
	# the kernel's timer slack and tcpstate's exact 2*MSL differ)
}

# 100 000 half-open flows from spoofed SYNs; /proc lists every one without
# stalling the machine (the runner fails on a soft lockup or an RCU stall).
# A flow may be listed twice while the table is resized (grown to fit
# these flows in the background), never left out.
test_dump_100k()
{
	local n=100000 lines
	[ -x "$SYNFLOOD" ] || fail "$SYNFLOOD is not built"
	two_hosts
	# unanswered SYNs stay half-open (S0) for the whole test
	unanswered "$a" "$b" 8015
	# Half-open flows end after timeout_syn_sent_ms (120 s); a slow
	# kernel takes longer than that to send them all.
	config_set "$b" timeout_syn_sent_ms 3600000
	# tcpstate must hold a flow for each SYN that reached IP
	syn_flood_counted "$a" "$b" 8015 $n
	n=$(counted "$b")
	assert_eq "flows in b" "$n" "$(tcpstate_stat "$b" flows)"
	lines=$(ip netns exec "$b" cat /proc/net/tcpstate/flows | tail -n +2 | wc -l)
	assert_eq "distinct flows in /proc/net/tcpstate/flows" $n \
		"$(proc_cols "$b" flows "client cport server sport" | sort -u | wc -l)"
	echo "  lines: $lines (a flow listed twice means the table was resized meanwhile)"
	[ "$lines" -ge $n ] || fail "flows left out"
	kernel_clean
}

# A GC run visits 16 384 flows, or an eighth of a bigger table; the next
# run carries on where it stopped and, past the end, starts a new pass.
# 20 000 half-open flows, held, then all due at once: every one expires,
# in slices, and only those.
test_gc_slices()
{
	local n=20000
	[ -x "$SYNFLOOD" ] || fail "$SYNFLOOD is not built"
	defer reload_module
	reload_module gc_interval_ms=100
	two_hosts
	unanswered "$a" "$b" 8020
	config_set "$b" timeout_syn_sent_ms 3600000
	syn_flood_counted "$a" "$b" 8020 $n
	n=$(counted "$b")
	assert_eq "flows in b" "$n" "$(tcpstate_stat "$b" flows)"
	assert_eq "flows expired in b while held" 0 \
		"$(tcpstate_stat "$b" flows_expired)"
	config_set "$b" timeout_syn_sent_ms 1
	wait_eq 120000 0 tcpstate_stat "$b" flows
	assert_eq "flows expired in b" "$n" "$(tcpstate_stat "$b" flows_expired)"
	kernel_clean
}

# Deleting namespaces and unloading with live flows frees every object.
test_teardown()
{
	local i
	two_hosts
	ctl_start srv "$b"
	ctl_start cli "$a"
	ctl srv listen l 10.0.1.2 8016
	for i in 1 2 3; do ctl cli connect c$i 10.0.1.2 8016; done
	ip -n "$a" route add 10.9.0.0/16 dev veth0
	run ip netns exec "$a" "$SYNFLOOD" -n 2000 10.9.0.0 10.0.1.2 8017
	wait_ge 10000 2003 tcpstate_stat "$b" flows
	cleanup_ns
	setup_ns c
	echo "  flow objects after deleting the namespaces: $(tcpstate_object flow_objects)"
	wait_eq 60000 0 tcpstate_object flow_objects
	ip netns exec "$c" "$TCPGEN" pairs 127.0.0.1 8018 --count 3
	[ "$(tcpstate_object flow_objects)" -gt 0 ] || fail "no flows in c"
	ip netns exec "$c" "$TCPGEN" pairs 127.0.0.1 8019 --count 200 &
	wait_ge 10000 10 tcpstate_stat "$c" flows
	run rmmod tcpstate
	wait
	kernel_clean
	run insmod "$MODULE"
}

# stats for anyone; flows and listeners for CAP_NET_ADMIN in the
# namespace's user namespace, checked when they are opened.
test_proc_permissions()
{
	local f err
	setup_ns a
	ip netns exec "$a" setpriv --reuid=65534 --regid=65534 --clear-groups \
		cat /proc/net/tcpstate/stats > /dev/null
	for f in flows listeners; do
		err=$(ip netns exec "$a" setpriv --reuid=65534 --regid=65534 \
			--clear-groups --inh-caps=-all cat "/proc/net/tcpstate/$f" 2>&1) &&
			fail "nobody read the $f"
		echo "  nobody, $f: $err"
		grep -q "Operation not permitted" <<< "$err"
		ip netns exec "$a" cat "/proc/net/tcpstate/$f" > /dev/null
	done
}

TESTS=(
	handshake_ipv4 test_handshake_v4
	handshake_ipv6 test_handshake_v6
	client_close_half_close_ipv4 test_client_close_v4
	client_close_half_close_ipv6 test_client_close_v6
	server_close_first test_server_close
	last_ack_until_final_ack test_last_ack
	refused_rej_ipv4 test_refused_v4
	refused_rej_ipv6 test_refused_v6
	syn_dropped_s0_expiry test_syn_dropped
	linger0_abort_ipv4 test_abort_v4
	linger0_abort_ipv6 test_abort_v6
	half_open_listener_flood test_half_open
	nstat_counters test_nstat_counters
	forwarded_flows_once test_forwarded
	short_connections_10000 test_short_connections
	dump_100k_flows test_dump_100k
	gc_in_slices test_gc_slices
	teardown_with_live_flows test_teardown
	proc_permissions test_proc_permissions
	time_wait_expiry_2msl test_time_wait_expiry
)

# Arguments pick tests by name (all of them by default).
ktap_select "$@"
kernel_clean || true
ktap_run
