#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Bounded memory: with max_flows reached, a flood of spoofed SYNs evicts
# ended flows first, then the oldest half-open ones, and never an
# established flow, which keeps working; every eviction is counted.
#
#   [ a: client 10.0.1.1 ] <--veth--> [ b: server 10.0.1.2, max_flows 100 ]
source "$(dirname "$0")/lib.sh"
SYNFLOOD="$SELFTESTS/../build/synflood"
TCPGEN="$SELFTESTS/tcpgen.py"

# flows_with NS CONN_STATE: how many flows are in that connection state.
flows_with()
{
	proc_cols "$1" flows family conn_state="$2" | wc -l
}

test_eviction_order()
{
	local max=100 i
	[ -x "$SYNFLOOD" ] || fail "$SYNFLOOD is not built"
	defer reload_module
	reload_module max_flows=$max
	setup_ns a b
	veth_pair "$a" 10.0.1.1 "$b" 10.0.1.2
	unanswered "$a" "$b" 9100
	ctl_start srv "$b"
	ctl_start cli "$a"
	ctl srv listen l 10.0.1.2 9000
	for i in 1 2 3; do
		ctl cli connect c$i 10.0.1.2 9000
		ctl srv accept s$i l
	done
	ip netns exec "$b" "$TCPGEN" serve 0.0.0.0 9001 --count 0 &
	busywait 30000 listening "$b" 9001
	run ip netns exec "$a" "$TCPGEN" connect 10.0.1.2 9001 --count 5
	busywait 30000 wire_quiet "$a" "$b"
	assert_eq "ended flows (SF) before the flood" 5 "$(flows_with "$b" SF)"

	run ip netns exec "$a" "$SYNFLOOD" -n 1000 10.9.0.0 10.0.1.2 9100
	busywait 30000 wire_quiet "$a" "$b"
	assert_eq "flows in b (max_flows)" $max "$(tcpstate_stat "$b" flows)"
	assert_eq "established flows kept" 3 "$(flows_with "$b" S1)"
	assert_eq "ended flows evicted first" 0 "$(flows_with "$b" SF)"
	assert_eq "half-open flows left (the newest)" $((max - 3)) "$(flows_with "$b" S0)"
	assert_eq "flows evicted" $((3 + 5 + 1000 - max)) "$(tcpstate_stat "$b" flows_evicted)"
	assert_eq "flows not tracked" 0 "$(tcpstate_stat "$b" flows_not_tracked)"
	for i in 1 2 3; do
		ctl cli send c$i 2000
		ctl srv recv s$i 2000
	done
	busywait 30000 wire_quiet "$a" "$b"
	assert_eq "established flows still tracked" 3 "$(flows_with "$b" S1)"
	check_endpoint "$b" 10.0.1.2 9000 10.0.1.1 \
		"$(proc_cols "$b" flows cport server=10.0.1.2 sport=9000 | head -n 1)"
}

# Only established flows and no room: the new flow is not tracked.
test_table_full()
{
	local i
	defer reload_module
	reload_module max_flows=2
	setup_ns a b
	veth_pair "$a" 10.0.1.1 "$b" 10.0.1.2
	ctl_start srv "$b"
	ctl_start cli "$a"
	ctl srv listen l 10.0.1.2 9000
	for i in 1 2 3; do
		ctl cli connect c$i 10.0.1.2 9000
		ctl srv accept s$i l
	done
	busywait 30000 wire_quiet "$a" "$b"
	assert_eq "flows in b" 2 "$(tcpstate_stat "$b" flows)"
	assert_eq "established flows kept" 2 "$(flows_with "$b" S1)"
	assert_eq "table full" 1 "$([ "$(tcpstate_stat "$b" table_full)" -ge 1 ] && echo 1)"
	assert_eq "flows evicted" 0 "$(tcpstate_stat "$b" flows_evicted)"
	[ "$(tcpstate_stat "$b" flows_not_tracked)" -ge 1 ] || fail "nothing counted as not tracked"
}

TESTS=(
	eviction_order_under_flood test_eviction_order
	table_full_of_established test_table_full
)
ktap_select "$@"
kernel_clean || true
ktap_run
