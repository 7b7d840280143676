#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Faults and load: the module unloaded and reloaded under traffic and a SYN
# flood, namespaces dying with live flows, a tiny table under a flood,
# failed allocations, a flush, and random netlink input. After each: no
# kernel report, and (run_test) no flow or listener object left over.
#
#   [ a: 10.0.1.1 ] <--veth--> [ b: 10.0.1.2 ]
source "$(dirname "$0")/lib.sh"
BUILD=$(cd "$SELFTESTS/.." && pwd)/build
SYNFLOOD=$BUILD/synflood
NSCHURN=$BUILD/nschurn

pair()
{
	setup_ns a b
	veth_pair "$a" 10.0.1.1 "$b" 10.0.1.2
	ip -n "$a" route add 10.64.0.0/10 dev veth0
	ip -n "$b" route add default via 10.0.1.1
}

# bg NAME COMMAND...: run COMMAND in the background until the test ends.
bg()
{
	local name=$1
	shift
	"$@" > /dev/null 2>&1 &
	eval "BG_$name=$!"
	defer "kill $! 2>/dev/null; wait $! 2>/dev/null"
}

test_reload_under_flood()
{
	local i
	pair
	# Hold netfilter's hook static keys on with an empty nftables table,
	# as any server with rules does. With no other hook anywhere, every
	# load and unload flips them and patches kernel text while the other
	# CPU runs through it; under TCG that once ended in "Oops: int3" in
	# ip_rcv on 6.12, outside tcpstate's code.
	ip netns exec "$b" nft -f - <<-NFT
	table inet keys {
		chain pre { type filter hook prerouting priority 0; }
		chain post { type filter hook postrouting priority 0; }
	}
	NFT
	ip netns exec "$b" iperf3 -s -D -B 10.0.1.2 > /dev/null
	busywait 30000 listening "$b" 5201
	# 50 reloads take 16 minutes on the debug kernel: outlast them
	bg bulk ip netns exec "$a" iperf3 -c 10.0.1.2 -t $((600 * WAIT_SCALE))
	bg flood ip netns exec "$a" "$SYNFLOOD" -n 100000000 10.64.0.0 10.0.1.2 5201
	wait_ge 30000 1000 tcpstate_stat "$b" flows_created
	for i in $(seq 50); do
		rmmod tcpstate
		insmod "$MODULE"
		[ -r /proc/net/tcpstate/stats ] || fail "reload $i: no stats"
	done
	echo "  50 reloads done"
	# the last incarnation sees the flood and the bulk flow mid-stream
	wait_ge 30000 100 tcpstate_stat "$b" flows_created
	wait_ge 30000 1 tcpstate_stat "$b" flows_midstream
	kill -0 "$BG_bulk" || fail "the transfer died"
	kill -0 "$BG_flood" || fail "the flood died"
	kernel_clean
}

namespaces_at_most()
{
	[ "$(tcpstate_object namespaces)" -le "$1" ]
}

test_netns_churn()
{
	local out flows before
	checktool "$NSCHURN"
	before=$(tcpstate_object namespaces)
	out=$("$NSCHURN" -n 200 -c 8)
	echo "  $out"
	flows=$(awk '{ print $4 }' <<< "$out")
	# every namespace held the flows of its 8 connections when it died
	[ "$flows" -ge $((200 * 8)) ] || fail "only $flows flows at exit"
	# all 200 namespaces are gone, and everything they held with them
	busywait 60000 namespaces_at_most "$before"
	echo "  namespaces: $before before, $(tcpstate_object namespaces) after"
	# one read of the objects file: two reads would race idle listeners
	# of the surviving namespaces ageing out in between
	busywait 30000 objects_in_tables ||
		fail "objects outside tables: $(tr '\n' ' ' < "$TCPSTATE_OBJECTS")"
	kernel_clean
}

test_tiny_table_under_flood()
{
	local max=64 i peak=0 n port
	pair
	ip netns exec "$b" tcpstate config set max_flows $max
	ctl_start srv "$b"
	ctl_start cli "$a"
	ctl srv listen l 10.0.1.2 7000
	for i in 1 2 3 4 5; do
		ctl cli connect "c$i" 10.0.1.2 7000
		ctl srv accept "s$i" l
	done
	bg flood ip netns exec "$a" "$SYNFLOOD" -n 20000 10.64.0.0 10.0.1.2 7000
	while kill -0 "$BG_flood" 2> /dev/null; do
		n=$(tcpstate_stat "$b" flows)
		[ "$n" -gt "$peak" ] && peak=$n
		sleep 0.1
	done
	echo "  peak flows in b during the flood: $peak"
	[ "$peak" -le $max ] || fail "b held $peak flows, max_flows is $max"
	wait_ge 30000 10000 tcpstate_stat "$b" flows_evicted
	echo "  evicted $(tcpstate_stat "$b" flows_evicted)," \
	     "created $(tcpstate_stat "$b" flows_created)"
	busywait 10000 balanced "$b"
	# the established connections were never evicted and still work
	for i in 1 2 3 4 5; do
		ctl cli port "c$i"
		port=$CTL_REPLY
		check_endpoint "$b" 10.0.1.2 7000 10.0.1.1 "$port"
		ctl cli send "c$i" 2000
		ctl srv recv "s$i" 2000
	done
	proc_cols "$b" flows "client_state server_state conn_state" | sort | uniq -c
	assert_eq "flows established on both sides in b" 5 \
		"$(proc_cols "$b" flows family client_state=ESTABLISHED \
		   server_state=ESTABLISHED | wc -l)"
	kernel_clean
}

test_alloc_failure()
{
	local failed ok ns n i
	pair
	fail_function tcpstate_flow_alloc 3
	# -t 10: the server's child waits for sh's "hi" after the client's FIN
	ip netns exec "$b" socat -t 10 -T 30 TCP-LISTEN:7000,fork,reuseaddr SYSTEM:'echo hi' &
	defer "kill $! 2>/dev/null"
	busywait 30000 listening "$b" 7000
	# -t 10: a client waits for "hi" after sending its FIN (not 0.5 s)
	for i in $(seq 30); do
		ip netns exec "$a" socat -t 10 -T 10 - TCP:10.0.1.2:7000 < /dev/null | grep -q hi ||
			fail "connection $i failed"
	done
	# the failures fall on a, b or both, as the global count wraps
	failed=0
	for ns in "$a" "$b"; do
		n=$(tcpstate_stat "$ns" alloc_failed)
		echo "  allocations failed in $ns: $n"
		failed=$((failed + n))
		[ "$(tcpstate_stat "$ns" flows_not_tracked)" -ge "$n" ] ||
			fail "failed allocations not counted as untracked flows"
		busywait 10000 balanced "$ns"
	done
	[ "$failed" -gt 0 ] || fail "no allocation failed"
	# clients' kernel agrees all 30 opened
	assert_eq "TcpActiveOpens in a" 30 "$(nstat_abs "$a" TcpActiveOpens)"
	# with the fault off, a new connection is tracked again
	fail_function_off
	ok=$(tcpstate_stat "$b" handshakes)
	ip netns exec "$a" socat -t 10 -T 10 - TCP:10.0.1.2:7000 < /dev/null | grep -q hi
	wait_eq 30000 $((ok + 1)) tcpstate_stat "$b" handshakes
	kernel_clean
}

test_flush_empties_slab()
{
	pair
	# however slow the loop, no flow expires before all 20 are counted
	keep_ended_flows "$a" "$b"
	ip netns exec "$b" socat -t 10 -T 30 TCP-LISTEN:7000,fork,reuseaddr SYSTEM:'echo hi' &
	defer "kill $! 2>/dev/null"
	busywait 30000 listening "$b" 7000
	for i in $(seq 20); do
		ip netns exec "$a" socat -t 10 -T 10 - TCP:10.0.1.2:7000 < /dev/null > /dev/null
	done
	wait_ge 30000 20 tcpstate_stat "$b" flows
	run ip netns exec "$a" tcpstate flush
	run ip netns exec "$b" tcpstate flush
	assert_eq "flows in a" 0 "$(tcpstate_stat "$a" flows)"
	assert_eq "flows in b" 0 "$(tcpstate_stat "$b" flows)"
	# the flushed flows' objects are freed once RCU lets them
	busywait 30000 objects_in_tables
	kernel_clean
}

test_netlink_fuzz()
{
	local seed=${NL_FUZZ_SEED:-$RANDOM}
	setup_ns f
	echo "  seed $seed (NL_FUZZ_SEED=$seed reproduces it)"
	run ip netns exec "$f" python3 "$SELFTESTS/nl_fuzz.py" 20 "$seed"
	# unprivileged: the admin ops must refuse, the rest must cope
	run ip netns exec "$f" setpriv --reuid=65534 --regid=65534 --clear-groups \
		python3 "$SELFTESTS/nl_fuzz.py" 10 $((seed + 1))
	run tcpstate stats > /dev/null
	kernel_clean
}

TESTS=(
	reload_50_under_traffic_and_flood test_reload_under_flood
	netns_200_cycles_with_live_flows test_netns_churn
	tiny_table_under_flood test_tiny_table_under_flood
	alloc_failure_untracked_and_counted test_alloc_failure
	flush_empties_the_slab test_flush_empties_slab
	netlink_fuzz test_netlink_fuzz
)
ktap_select "$@"
kernel_clean || true
ktap_run
