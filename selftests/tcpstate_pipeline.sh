#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The pipeline end to end: the module loads and unloads, and every TCP
# segment is counted exactly once per namespace, checked against the
# kernel's own SNMP counters (nstat) of the same namespace.
#
#   loopback:   [ ns: client <-> lo <-> server ]
#   two hosts:  [ ns a: veth0 10.0.1.1 ] <---> [ ns b: veth1 10.0.1.2 ]
#   forwarded:  [ a ] 10.0.1.0/24 [ r: ip_forward ] 10.0.2.0/24 [ b ]
#
# Run inside the selftest VM (selftests/vm/run.sh) with tcpstate.ko loaded.
source "$(dirname "$0")/lib.sh"
TCPGEN="$(dirname "$0")/tcpgen.py"

quiet()
{
	[ -z "$(ip netns exec "$1" ss -Htan state all exclude listening \
		exclude time-wait)" ]
}

# Segments the kernel's TCP sent (first transmissions and retransmissions).
sent()
{
	echo $(($(nstat_abs "$1" TcpOutSegs) + $(nstat_abs "$1" TcpRetransSegs)))
}

connected()
{
	[ -n "$(ip netns exec "$1" ss -Htn state established "dport = :$2")" ]
}

test_module_loaded()
{
	local ns
	run grep -q '^tcpstate ' /proc/modules
	run test -r /proc/net/tcpstate/stats
	setup_ns ns
	assert_eq "segments in a new namespace" 0 "$(tcpstate_stat "$ns" segments)"
	assert_eq "stats mode" "-r--r--r--" \
		"$(stat -c %A /proc/net/tcpstate/stats)"
}

# loopback ADDR FAMILY: a segment over lo is one segment, not two.
loopback()
{
	local addr=$1 fam=$2 other=$3 ns out segs in
	setup_ns ns
	run ip netns exec "$ns" "$TCPGEN" pairs "$addr" 5000 --count 20 --bytes 200000
	busywait 30000 quiet "$ns"
	out=$(sent "$ns")
	segs=$(tcpstate_stat "$ns" segments)
	[ "$out" -ge 200 ] || fail "only $out segments: the traffic did not run"
	assert_eq "segments (TcpOutSegs + TcpRetransSegs)" "$out" "$segs"
	# Over lo what is sent is received. Where the kernel's own receive
	# counter agrees with its send counters (6.1), it must agree with
	# ours; 6.12's TcpInSegs on lo falls short of its TcpOutSegs.
	in=$(nstat_abs "$ns" TcpInSegs)
	if [ "$in" = "$out" ]; then
		assert_eq "segments (TcpInSegs)" "$in" "$segs"
	else
		echo "  TcpInSegs $in disagrees with TcpOutSegs + TcpRetransSegs $out"
	fi
	assert_eq "segments_$fam" "$segs" "$(tcpstate_stat "$ns" "segments_$fam")"
	assert_eq "segments_$other" 0 "$(tcpstate_stat "$ns" "segments_$other")"
	assert_eq "segments_in (lo ingress is not counted again)" 0 \
		"$(tcpstate_stat "$ns" segments_in)"
	assert_eq "malformed" 0 "$(tcpstate_stat "$ns" malformed)"
}

test_loopback_ipv4()
{
	loopback 127.0.0.1 ipv4 ipv6
}

test_loopback_ipv6()
{
	loopback ::1 ipv6 ipv4
}

# check_host NS PEER: NS counts what it sends and what it receives, once.
# TcpInSegs counts skbs (a GSO skb over veth is one), so what NS received
# is checked against what its only peer sent.
check_host()
{
	local ns=$1 peer=$2
	assert_eq "$ns segments_out (its TcpOutSegs + TcpRetransSegs)" \
		"$(sent "$ns")" "$(tcpstate_stat "$ns" segments_out)"
	assert_eq "$ns segments_in (the peer's TcpOutSegs + TcpRetransSegs)" \
		"$(sent "$peer")" "$(tcpstate_stat "$ns" segments_in)"
	assert_eq "$ns segments = in + out" \
		$(($(sent "$ns") + $(sent "$peer"))) \
		"$(tcpstate_stat "$ns" segments)"
}

test_two_namespaces()
{
	local a b
	setup_ns a b
	veth_pair "$a" 10.0.1.1 "$b" 10.0.1.2 fd00:1::1 fd00:1::2
	ip netns exec "$b" "$TCPGEN" serve 0.0.0.0 5001 --count 0 &
	ip netns exec "$b" "$TCPGEN" serve :: 5002 --count 0 &
	busywait 30000 listening "$b" 5001
	busywait 30000 listening "$b" 5002
	run ip netns exec "$a" "$TCPGEN" connect 10.0.1.2 5001 --count 10 --bytes 100000
	run ip netns exec "$a" "$TCPGEN" connect fd00:1::2 5002 --count 10 --bytes 100000
	busywait 30000 quiet "$a"
	busywait 30000 quiet "$b"
	check_host "$a" "$b"
	check_host "$b" "$a"
	[ "$(tcpstate_stat "$a" segments_ipv6)" -gt 0 ] || fail "no IPv6 counted"
}

# Loss on a's egress with GSO on: the kernel retransmits segments, often
# several in one GSO skb, and counts each (TcpRetransSegs); tcpstate in
# a, which sees a's skbs before the loss and all of b's, counts the same.
test_loss_with_gso()
{
	local a b rtx
	setup_ns a b
	veth_pair "$a" 10.0.1.1 "$b" 10.0.1.2
	ip netns exec "$a" tc qdisc add dev veth0 root netem loss 5% 2> /dev/null ||
		skip "no netem qdisc"
	ip netns exec "$b" "$TCPGEN" serve 10.0.1.2 5004 --count 0 &
	busywait 30000 listening "$b" 5004
	run ip netns exec "$a" "$TCPGEN" connect 10.0.1.2 5004 --count 4 --bytes 1000000
	busywait 60000 quiet "$a"
	busywait 60000 quiet "$b"
	rtx=$(nstat_abs "$a" TcpRetransSegs)
	diag "a retransmitted $rtx segments, b $(nstat_abs "$b" TcpRetransSegs)"
	[ "$rtx" -gt 0 ] || fail "no loss: the test proves nothing"
	# a sees both ends' retransmissions (b's when a's ACKs were lost)
	rtx=$((rtx + $(nstat_abs "$b" TcpRetransSegs)))
	assert_eq "retransmissions in a (TcpRetransSegs of a and b)" "$rtx" \
		"$(tcpstate_stat "$a" retransmissions)"
}

test_forwarded_once()
{
	local a r b total
	setup_ns a r b
	router_topology "$a" "$r" "$b"

	ip netns exec "$b" "$TCPGEN" serve :: 5003 --count 0 &
	busywait 30000 listening "$b" 5003
	run ip netns exec "$a" "$TCPGEN" connect 10.0.2.1 5003 --count 10 --bytes 50000
	run ip netns exec "$a" "$TCPGEN" connect fd00:2::1 5003 --count 10 --bytes 50000
	busywait 30000 quiet "$a"
	busywait 30000 quiet "$b"

	total=$(($(sent "$a") + $(sent "$b")))
	assert_eq "router: segments = sent by a + sent by b" "$total" \
		"$(tcpstate_stat "$r" segments)"
	assert_eq "router: segments_out (forwarded are not counted again)" 0 \
		"$(tcpstate_stat "$r" segments_out)"
	assert_eq "router: own TCP segments" 0 "$(sent "$r")"
	[ "$(tcpstate_stat "$r" segments_ipv6)" -gt 0 ] || fail "no IPv6 forwarded"
}

test_unload_under_traffic()
{
	local a b pid n=0
	checktool iperf3
	setup_ns a b
	veth_pair "$a" 10.0.1.1 "$b" 10.0.1.2
	ip netns exec "$b" iperf3 -s -1 -p 5201 > /dev/null &
	busywait 30000 listening "$b" 5201
	# long enough to be seen connected, even on the slow debug kernel
	ip netns exec "$a" iperf3 -c 10.0.1.2 -p 5201 -t $((4 * WAIT_SCALE)) \
		> /dev/null &
	pid=$!
	busywait 30000 connected "$a" 5201
	while kill -0 "$pid" 2>/dev/null && [ $n -lt 20 ]; do
		rmmod tcpstate
		insmod "$MODULE"
		n=$((n + 1))
	done
	run wait "$pid"
	echo "  reloaded $n times during the transfer"
	[ $n -ge 1 ] || fail "the transfer ended before any reload"
	run grep -q '^tcpstate ' /proc/modules
	kernel_clean
}

test_unload_with_namespaces()
{
	local a
	setup_ns a
	ip netns exec "$a" "$TCPGEN" pairs 127.0.0.1 5004 --count 2 --bytes 1000
	run rmmod tcpstate
	run test ! -e /proc/net/tcpstate
	run test ! -e "/proc/$(ip netns pids "$a" | head -n 1)/net/tcpstate" || true
	run insmod "$MODULE"
	assert_eq "counters start again from zero" 0 "$(tcpstate_stat "$a" segments)"
	kernel_clean
}

ktap_plan 8
kernel_clean || true
run_test module_loaded test_module_loaded
run_test loopback_ipv4_counted_once test_loopback_ipv4
run_test loopback_ipv6_counted_once test_loopback_ipv6
run_test two_namespaces_ipv4_ipv6 test_two_namespaces
run_test loss_with_gso_counted_per_segment test_loss_with_gso
run_test forwarded_counted_once test_forwarded_once
run_test unload_under_traffic test_unload_under_traffic
run_test unload_with_live_namespaces test_unload_with_namespaces
ktap_finish
