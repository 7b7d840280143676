#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A shared, hostile host: readers of every kind racing flush, expiry,
# eviction, resizes, namespace death and unload; an unprivileged user with
# namespaces of their own (unshare -Urn) who must not raise limits, see
# other namespaces or exhaust the host; forged segments and listeners that
# must not pin anything; module parameters held to netlink's bounds; every
# allocation failing through the kernel's fault injection.
#
#   [ a: 10.0.1.1 ] <--veth--> [ b: 10.0.1.2 ], 10.9.0.0/16 routed to b
source "$(dirname "$0")/lib.sh"
TCPSTATE="$SELFTESTS/../tools/tcpstate"
SYNFLOOD="$SELFTESTS/../build/synflood"
HOSTILE="$SELFTESTS/../build/hostile"
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)

ts() { local ns=$1; shift; ip netns exec "$ns" "$TCPSTATE" "$@"; }

two_hosts()
{
	setup_ns a b
	veth_pair "$a" 10.0.1.1 "$b" 10.0.1.2
}

# routed: 10.9.0.0/16 (spoofed sources) lies beyond a, as b sees it.
routed()
{
	ip -n "$a" route add 10.9.0.0/16 dev veth0
	ip -n "$b" route add 10.9.0.0/16 dev veth1
}

# flows_of NS: "inet CLIENT CPORT SERVER SPORT" for each flow of NS.
flows_of()
{
	proc_cols "$1" flows "client cport server sport" | sed 's/^/inet /'
}

# Flow get, flow and listener dumps, flush, procfs read 7 bytes at a time
# and an events subscriber, all at once in b, while a flood makes flows
# that expire after 1 ms (the GC runs every 10 ms) and grows and shrinks
# the table; every reply must be the flow asked for, every line whole.
test_readers_race_writers()
{
	local secs=$((15 * WAIT_SCALE)) tuples pids=() p
	defer reload_module
	reload_module gc_interval_ms=10
	two_hosts
	unanswered "$a" "$b" 8600
	run ip netns exec "$a" "$SYNFLOOD" -n 4000 10.9.0.0 10.0.1.2 8600
	tuples=$(mktemp)
	defer "rm -f $tuples"
	# the flood makes the same 4-tuples again and again: gets that hit
	# flows being freed
	flows_of "$b" | head -n 500 > "$tuples"
	[ "$(wc -l < "$tuples")" -eq 500 ] || fail "no tuples to get"
	# flows live 200 ms, in a table too small for the flood
	run ts "$b" config set timeout_syn_sent_ms 200 max_flows 3000
	ip netns exec "$a" "$SYNFLOOD" -s "$secs" -n 100000000 10.9.0.0 10.0.1.2 8600 &
	pids+=($!)
	ip netns exec "$b" "$TCPSTATE" monitor > /dev/null &
	local mon=$!
	for p in "get $secs" "dump $secs" "listeners $secs" "flush $secs" \
		 "proc $secs" "proc $secs"; do
		# shellcheck disable=SC2086
		ip netns exec "$b" python3 "$SELFTESTS/nl_race.py" $p < "$tuples" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do
		wait "$p" || fail "a reader or writer failed (pid $p)"
	done
	kill "$mon" 2> /dev/null || true
	kernel_clean
	diag "flows created in b: $(tcpstate_stat "$b" flows_created)," \
	     "flushed $(tcpstate_stat "$b" flows_flushed)," \
	     "expired $(tcpstate_stat "$b" flows_expired)," \
	     "evicted $(tcpstate_stat "$b" flows_evicted)"
	# every flow made is still there or was flushed, expired or evicted
	busywait 10000 balanced "$b"
}

# The same readers while the namespace dies, then while the module goes.
test_readers_race_teardown()
{
	local secs=$((10 * WAIT_SCALE)) p pids=() mons=() flood
	two_hosts
	unanswered "$a" "$b" 8601
	# it fails when b's end of the link goes with b: not waited for
	ip netns exec "$a" "$SYNFLOOD" -s "$secs" -n 100000000 10.9.0.0 10.0.1.2 8601 > /dev/null 2>&1 &
	flood=$!
	defer "kill $flood 2> /dev/null"
	wait_ge 10000 100 tcpstate_stat "$b" flows
	for p in "dump $secs" "listeners $secs" "proc $secs"; do
		# shellcheck disable=SC2086
		ip netns exec "$b" python3 "$SELFTESTS/nl_race.py" $p < /dev/null &
		pids+=($!)
	done
	ip netns exec "$b" "$TCPSTATE" monitor > /dev/null &
	mons+=($!)
	# all four inside before the name goes; the namespace dies with them
	busywait 30000 pids_in "$b" 4
	ip netns del "$b"
	for p in "dump $secs" "listeners $secs" "proc $secs"; do
		# shellcheck disable=SC2086
		python3 "$SELFTESTS/nl_race.py" $p < /dev/null &
		pids+=($!)
	done
	"$TCPSTATE" monitor > /dev/null &
	mons+=($!)
	# a dump in progress holds the module: unload between two
	busywait 30000 rmmod tcpstate
	run insmod "$MODULE"
	# a monitor may have ended already: its socket overflowed
	kill "${mons[@]}" 2> /dev/null || true
	for p in "${pids[@]}"; do
		wait "$p" || fail "a reader failed (pid $p)"
	done
	kernel_clean
}

pids_in()
{
	[ "$(ip netns pids "$1" | wc -l)" -ge "$2" ]
}

# A flush of 30 000 flows or more leaves none, whatever the walk meets.
test_flush_36k()
{
	local n
	two_hosts
	routed
	run ts "$b" config set timeout_syn_sent_ms 3600000 timeout_closed_ms 3600000
	run ip netns exec "$a" "$SYNFLOOD" -n 36000 10.9.0.0 10.0.1.2 8602
	busywait $((60000 * WAIT_SCALE)) wire_quiet "$b"
	n=$(tcpstate_stat "$b" flows)
	diag "$n flows in b before the flush"
	# a starved debug kernel's veth may drop some of the flood
	[ "$n" -ge 20000 ] || fail "only $n flows"
	ts "$b" flush
	assert_eq "flows in b after one flush" 0 "$(tcpstate_stat "$b" flows)"
	assert_eq "flows flushed" "$n" "$(tcpstate_stat "$b" flows_flushed)"
	assert_eq "proc lines" 1 "$(ip netns exec "$b" wc -l < /proc/net/tcpstate/flows)"
}

# s0_flows NS PORT: half-open (S0) flows to PORT in NS, by procfs.
s0_flows()
{
	ip netns exec "$1" awk -v p="$2" '$5 == p && $8 == "S0"' \
		/proc/net/tcpstate/flows | wc -l
}

# 100 000 flows that stay, while real connections are made and expire
# all the while: a dump (netlink and procfs) lists each one that stays.
test_dump_100k_under_churn()
{
	local n=100000 churn out
	two_hosts
	# the flood's SYNs, dropped in b after tcpstate saw them, stay
	# half-open an hour; every ended connection goes after 1 ms
	unanswered "$a" "$b" 8620
	run ts "$b" config set timeout_syn_sent_ms 3600000 timeout_closed_ms 1 \
		timeout_time_wait_ms 1
	syn_flood_counted "$a" "$b" 8620 $n
	wait_eq 30000 "$(s0_flows "$b" 8620)" tcpstate_stat "$b" flows
	n=$(tcpstate_stat "$b" flows)
	[ "$n" -ge 50000 ] || fail "only $n half-open flows"
	ip netns exec "$b" python3 "$SELFTESTS/tcpgen.py" serve 10.0.1.2 8621 --count 0 &
	busywait 30000 listening "$b" 8621
	ip netns exec "$a" python3 "$SELFTESTS/tcpgen.py" connect 10.0.1.2 8621 \
		--count 1000000 --parallel 1 > /dev/null 2>&1 &
	churn=$!
	defer "kill $churn 2> /dev/null"
	wait_ge 30000 100 tcpstate_stat "$b" flows_expired
	out=$(ts "$b" flows -j dport :8620 | python3 -c 'import json, sys
print(len({(f["src"], f["sport"]) for f in json.load(sys.stdin)}))')
	assert_eq "distinct flows in the netlink dump" "$n" "$out"
	out=$(proc_cols "$b" flows "client cport" sport=8620 | sort -u | wc -l)
	assert_eq "distinct flows in procfs" "$n" "$out"
	diag "$(tcpstate_stat "$b" flows_expired) flows expired during the dumps"
}

# After a flood and its expiry every object is freed: the namespace holds
# none and the host's count is back where it was.
test_memory_back_to_baseline()
{
	local base lbase n
	base=$(tcpstate_object flow_objects)
	lbase=$(tcpstate_object listener_objects)
	two_hosts
	unanswered "$a" "$b" 8622
	run ts "$a" config set timeout_syn_sent_ms 2000
	run ts "$b" config set timeout_syn_sent_ms 2000
	run ip netns exec "$a" "$SYNFLOOD" -n 20000 10.9.0.0 10.0.1.2 8622
	[ "$(tcpstate_object flow_objects)" -gt "$base" ] || fail "no flow allocated"
	wait_eq $((60000 * WAIT_SCALE)) 0 tcpstate_stat "$a" flows
	wait_eq $((60000 * WAIT_SCALE)) 0 tcpstate_stat "$b" flows
	wait_eq 30000 "$base" tcpstate_object flow_objects
	# no listener object was made (idle ones elsewhere may age out)
	n=$(tcpstate_object listener_objects)
	[ "$n" -le "$lbase" ] || fail "listener objects: $lbase before, $n after"
}

# as_user CMD...: CMD as nobody in a user and network namespace of its own.
as_user()
{
	"${NOBODY[@]}" unshare -Urn "$@"
}

# What an unprivileged user may do with a namespace of their own.
test_user_namespace()
{
	local out
	checktool unshare
	as_user true || skip "unprivileged user namespaces are off"
	# its own stats and flows, readable as nf_conntrack's are
	out=$(as_user sh -c "ip link set lo up &&
		python3 $SELFTESTS/tcpgen.py pairs 127.0.0.1 8603 --count 2 &&
		cat /proc/net/tcpstate/stats /proc/net/tcpstate/flows &&
		$TCPSTATE listeners > /dev/null && echo listeners-ok")
	echo "$out"
	grep -q "^flows_created 2$" <<< "$out" || fail "its own flows not counted"
	[ "$(grep -c " 127.0.0.1 8603 " <<< "$out")" -eq 2 ] ||
		fail "its own flows not listed"
	grep -q "^listeners-ok$" <<< "$out" || fail "listeners not readable"
	# nothing of other namespaces
	! grep -qE "^(namespaces|flows_all_namespaces|listeners_all_namespaces|flow_objects|listener_objects) " <<< "$out" ||
		fail "figures of other namespaces visible"
	# limits: lower yes, raise no
	out=$(as_user "$TCPSTATE" config set max_flows 300000 2>&1) &&
		fail "a user namespace raised max_flows"
	echo "$out"
	grep -q "initial user namespace" <<< "$out"
	out=$(as_user "$TCPSTATE" config set max_listeners 2000000 2>&1) &&
		fail "max_listeners 2000000 accepted"
	as_user sh -c "$TCPSTATE config set max_flows 100 max_listeners 10 &&
		$TCPSTATE config set max_flows 200" 2>&1 &&
		fail "raised its own lowered max_flows"
	run as_user "$TCPSTATE" config set max_flows 100 max_listeners 10 timeout_established_ms 999999999
	# the host's namespace is out of reach
	two_hosts
	ip netns exec "$a" python3 "$SELFTESTS/tcpgen.py" pairs 127.0.0.1 8604 --count 1
	local before
	before=$(tcpstate_stat "$a" flows)
	as_user "$TCPSTATE" flush > /dev/null
	assert_eq "a's flows after a user's flush" "$before" "$(tcpstate_stat "$a" flows)"
	assert_eq "init max_flows" 262144 "$(tcpstate config | awk '$1 == "max_flows" { print $2 }')"
}

# A user's events carry only the flows of their own namespace: another
# namespace's connections happen while the user's monitor listens, then
# the user's own one.
test_user_events()
{
	local dir out pid
	as_user true || skip "unprivileged user namespaces are off"
	two_hosts
	dir=$(mktemp -d)
	chmod 777 "$dir"
	defer "rm -rf $dir"
	as_user sh -c "ip link set lo up
		$TCPSTATE monitor > $dir/out 2> $dir/err & mon=\$!
		until grep -q listening $dir/err; do sleep 0.05; done
		touch $dir/ready
		until [ -e $dir/go ]; do sleep 0.05; done
		python3 $SELFTESTS/tcpgen.py pairs 127.0.0.1 8605 --count 1
		until grep -q ':8605' $dir/out; do sleep 0.05; done
		kill \$mon" &
	pid=$!
	busywait 30000 test -e "$dir/ready"
	ip netns exec "$a" python3 "$SELFTESTS/tcpgen.py" pairs 127.0.0.1 8606 --count 3
	touch "$dir/go"
	busywait 30000 grep -q ":8605" "$dir/out"
	wait "$pid"
	out=$(cat "$dir/out")
	echo "$out" | head -n 20
	! grep -q ":8606" <<< "$out" || fail "another namespace's events seen"
}

# Namespaces other than the initial one share max_flows_shared.
test_shared_bound()
{
	local ns total=0 n
	defer reload_module
	reload_module max_flows_shared=1000
	setup_ns s1 s2 s3 s4
	for ns in "$s1" "$s2" "$s3" "$s4"; do
		ip netns exec "$ns" "$TCPSTATE" config set max_flows 600 \
			timeout_syn_sent_ms 3600000 timeout_closed_ms 3600000 > /dev/null
		ip -n "$ns" route add 10.9.0.0/16 dev lo
		ip netns exec "$ns" "$SYNFLOOD" -n 700 10.9.0.0 127.0.0.1 8607 > /dev/null
	done
	for ns in "$s1" "$s2" "$s3" "$s4"; do
		n=$(tcpstate_stat "$ns" flows)
		echo "  $ns: $n flows, $(tcpstate_stat "$ns" flows_not_tracked) not tracked"
		total=$((total + n))
	done
	assert_eq "flows in the four namespaces" 1000 "$total"
	assert_eq "flows_shared" 1000 "$(tcpstate_object flows_shared)"
	[ "$(tcpstate_stat "$s4" flows_not_tracked)" -gt 0 ] ||
		fail "the last namespace's untracked flows not counted"
	# the initial namespace is not held to it
	ip route add 10.9.0.0/16 dev lo
	defer "ip route del 10.9.0.0/16 dev lo"
	"$SYNFLOOD" -n 200 10.9.0.0 127.0.0.1 8607 > /dev/null
	[ "$(awk '$1 == "flows" { print $2 }' /proc/net/tcpstate/stats)" -ge 200 ] ||
		fail "the initial namespace was held to the shared bound"
	run tcpstate flush
	cleanup_ns
	wait_eq 30000 0 tcpstate_object flows_shared
}

# Two spoofed packets per 4-tuple, one each way, with numbers that do not
# agree, between addresses not b's (b routes them nowhere and answers
# nothing, as a router it is not): mid-stream flows that are not trusted,
# so a full table evicts them for a real connection.
test_spoofed_pairs_evictable()
{
	two_hosts
	ip -n "$a" route add 10.8.0.0/16 via 10.0.1.2
	run ts "$b" config set max_flows 64
	run ip netns exec "$a" "$HOSTILE" -R -k ack -n 128 -b 30000 -q 1000 \
		-a 5000 10.9.1.1 10.8.0.1 80
	wait_ge 30000 64 tcpstate_stat "$b" flows
	ip netns exec "$b" python3 "$SELFTESTS/tcpgen.py" serve 10.0.1.2 8608 --count 1 &
	busywait 30000 listening "$b" 8608
	ip netns exec "$a" python3 "$SELFTESTS/tcpgen.py" connect 10.0.1.2 8608 --count 1
	wait
	[ "$(ts "$b" flows dport :8608 | tail -n +2 | wc -l)" -eq 1 ] ||
		fail "the real connection was not tracked"
	[ "$(tcpstate_stat "$b" flows_evicted)" -gt 0 ] || fail "nothing evicted"
}

# SYN-ACKs that answer no SYN make no listener entry; the real one does.
test_unsolicited_synacks()
{
	two_hosts
	run ts "$b" config set max_listeners 16
	run ip netns exec "$a" "$HOSTILE" -k synack -n 5000 -b 1024 10.0.1.1 10.0.1.2 9
	assert_eq "listeners in b" 0 "$(tcpstate_stat "$b" listeners)"
	assert_eq "listeners in a" 0 "$(tcpstate_stat "$a" listeners)"
	ip netns exec "$b" python3 "$SELFTESTS/tcpgen.py" serve 10.0.1.2 8609 --count 1 &
	busywait 30000 listening "$b" 8609
	ip netns exec "$a" python3 "$SELFTESTS/tcpgen.py" connect 10.0.1.2 8609 --count 1
	wait
	ts "$b" listeners | grep -q "10.0.1.2:8609 " || fail "the real listener has no row"
}

# half_open stays exact when its entry could not be had and the limit
# rises meanwhile: each flow leaves the entry it was counted on.
test_half_open_exact()
{
	local l pids=()
	two_hosts
	routed
	# b forgets each request once its SYN-ACKs ran out (and tcpstate, which
	# asks b's sockets, sees it): after 15 s (SYN-ACKs at 0, 1, 3 and 7 s),
	# or 31 s where the kernel is slow; the counting below must be done
	# by then, also on a loaded host. tcpstate's own timeout outlasts the
	# longest gap between two SYN-ACKs.
	run ts "$b" config set max_listeners 1 \
		timeout_syn_recv_ms $((16000 * WAIT_SCALE))
	# the SYN-ACKs go to a, which drops them: on b's own link, the failed
	# ARP would answer with host unreachable, which drops the requests
	ip -n "$b" route replace 10.9.0.0/16 via 10.0.1.1
	ip netns exec "$b" sysctl -qw net.ipv4.tcp_syncookies=0 \
		net.ipv4.tcp_synack_retries=$((WAIT_SCALE > 1 ? 4 : 3))
	ip netns exec "$b" python3 "$SELFTESTS/tcpgen.py" serve 10.0.1.2 8610 &
	pids+=($!)
	ip netns exec "$b" python3 "$SELFTESTS/tcpgen.py" serve 10.0.1.2 8611 &
	pids+=($!)
	defer "kill ${pids[*]} 2> /dev/null"
	busywait 30000 listening "$b" 8611
	# SYNs from addresses that never answer: half-open at both ports,
	# the second port's in the overflow entry
	run ip netns exec "$a" "$SYNFLOOD" -n 20 10.9.0.0 10.0.1.2 8610
	run ip netns exec "$a" "$SYNFLOOD" -n 20 10.9.1.0 10.0.1.2 8611
	wait_eq 30000 40 ts_half_open_sum "$b"
	run ts "$b" config set max_listeners 100
	run ip netns exec "$a" "$SYNFLOOD" -n 5 10.9.2.0 10.0.1.2 8611
	wait_eq 30000 45 ts_half_open_sum "$b"
	ts "$b" listeners
	# every half-open flow expires: every entry goes back to 0
	wait_eq $((60000 * WAIT_SCALE)) 0 ts_half_open_sum "$b"
	ts "$b" listeners
	for l in $(ts "$b" listeners -j | python3 -c 'import json, sys
print(" ".join(str(x["half_open"]) for x in json.load(sys.stdin)))'); do
		[ "$l" -lt 1000000 ] || fail "half_open wrapped: $l"
	done
}

ts_half_open_sum()
{
	ts "$1" listeners -j | python3 -c 'import json, sys
print(sum(x["half_open"] for x in json.load(sys.stdin)))'
}

# Module parameters are held to the bounds netlink enforces.
test_params_bounded()
{
	local p out
	rmmod tcpstate
	defer "lsmod | grep -q '^tcpstate ' || insmod $MODULE"
	for p in max_flows=0 max_flows=16777217 max_listeners=0 \
		 max_listeners=1048577 gc_interval_ms=0 gc_interval_ms=3600000 \
		 timeout_established_ms=2592000001 flood_syn_rate=16777217 \
		 max_flows_shared=0 stuck_close_wait_ms=2592000001; do
		out=$(insmod "$MODULE" "$p" 2>&1) && { rmmod tcpstate; fail "insmod $p loaded"; }
		echo "  $p: $out"
	done
	dmesg | tail -n 20 | grep -q "gc_interval_ms=3600000 is out of range" ||
		fail "no message for gc_interval_ms"
	# fault injection is the kernel's, not a parameter of the module
	run insmod "$MODULE"
	[ ! -e /sys/module/tcpstate/parameters/fail_alloc_every ] ||
		fail "fail_alloc_every exists"
	run rmmod tcpstate
	run insmod "$MODULE" max_flows=16777216 max_listeners=1048576 gc_interval_ms=10
	run rmmod tcpstate
	run insmod "$MODULE" stuck_close_wait_ms=0 stuck_last_ack_ms=2592000000
	assert_eq "stuck_close_wait_ms=0 (off)" 0 \
		"$("$TCPSTATE" config get -j | python3 -c \
		   'import json, sys; print(json.load(sys.stdin)["stuck_close_wait_ms"])')"
	run rmmod tcpstate
	run insmod "$MODULE"
}

# A namespace's flows are charged to its creator's memory cgroup, and its
# limit is the namespace's limit: no more flows than it pays for.
test_memcg_charged()
{
	local cg=/sys/fs/cgroup/tcpstate-$$ ns=memcg-$$ before after n
	[ -r /sys/fs/cgroup/cgroup.controllers ] ||
		mount -t cgroup2 none /sys/fs/cgroup 2> /dev/null ||
		skip "no cgroup2"
	grep -qw memory /sys/fs/cgroup/cgroup.controllers || skip "no memory controller"
	echo +memory > /sys/fs/cgroup/cgroup.subtree_control
	mkdir "$cg"
	defer "ip netns del $ns 2> /dev/null; rmdir $cg"
	# the namespace is created by a task in the cgroup
	sh -c "echo \$\$ > $cg/cgroup.procs && exec ip netns add $ns"
	ip -n "$ns" link set lo up
	ip -n "$ns" route add 10.9.0.0/16 dev lo
	# the flows the flood makes stay while the test counts them
	ts "$ns" config set timeout_syn_sent_ms 3600000 timeout_closed_ms 3600000 \
		> /dev/null
	before=$(awk '$1 == "slab_unreclaimable" { print $2 }' "$cg/memory.stat")
	ip netns exec "$ns" "$SYNFLOOD" -n 5000 10.9.0.0 127.0.0.1 8612 > /dev/null
	n=$(tcpstate_stat "$ns" flows)
	after=$(awk '$1 == "slab_unreclaimable" { print $2 }' "$cg/memory.stat")
	diag "$n flows in the namespace, its cgroup's slab grew by $((after - before)) bytes"
	[ "$n" -ge 4000 ] || fail "only $n flows"
	[ $((after - before)) -ge $((n * 150)) ] || fail "flows not charged to the cgroup"
	# at its limit, allocations fail there and are counted
	echo $(($(cat "$cg/memory.current") + 65536)) > "$cg/memory.max"
	ip netns exec "$ns" "$SYNFLOOD" -n 5000 10.9.100.0 127.0.0.1 8612 > /dev/null
	diag "at the limit: alloc_failed $(tcpstate_stat "$ns" alloc_failed)"
	[ "$(tcpstate_stat "$ns" alloc_failed)" -gt 0 ] || fail "no allocation failed at the limit"
	run ip netns exec "$ns" "$TCPSTATE" flush
}

# Every allocation the module makes, failing through fail_function: the
# failure is counted, nothing leaks (run_test's check), the host goes on.
test_faults_listener_alloc()
{
	two_hosts
	fail_function tcpstate_listener_alloc 1
	to_overflow_row 8613
}

# An owner that cannot be recorded: the flow is tracked all the same, with
# no owner, and the failure counted.
test_faults_owner_alloc()
{
	local n
	two_hosts
	fail_function tcpstate_flow_ext_alloc 1
	ip netns exec "$b" python3 "$SELFTESTS/tcpgen.py" serve 10.0.1.2 8614 --count 3 &
	busywait 30000 listening "$b" 8614
	ip netns exec "$a" python3 "$SELFTESTS/tcpgen.py" connect 10.0.1.2 8614 --count 3
	wait
	assert_eq "handshakes" 3 "$(tcpstate_stat "$b" handshakes)"
	for ns in "$a" "$b"; do
		n=$(tcpstate_stat "$ns" alloc_failed)
		[ "$n" -ge 3 ] || fail "$ns: $n failures counted"
		assert_eq "$ns: owners" "None None None" "$(ts "$ns" flows -j |
			python3 -c 'import json, sys
print(" ".join(str(f["client_uid"] if f["client_uid"] is not None
                   else f["server_uid"]) for f in json.load(sys.stdin)))')"
	done
	fail_function_off
	ip netns exec "$b" python3 "$SELFTESTS/tcpgen.py" serve 10.0.1.2 8615 --count 1 &
	busywait 30000 listening "$b" 8615
	ip netns exec "$a" python3 "$SELFTESTS/tcpgen.py" connect 10.0.1.2 8615
	wait
	assert_eq "owner once allocations work" 0 "$(ts "$a" flows -j dport 8615 |
		python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["client_uid"])')"
}

# A destination entry that cannot be made: its flows count on the
# overflow entry, the failure counted.
test_faults_dest_alloc()
{
	two_hosts
	fail_function tcpstate_dest_alloc 1
	ip netns exec "$b" python3 "$SELFTESTS/tcpgen.py" serve 10.0.1.2 8616 --count 3 &
	busywait 30000 listening "$b" 8616
	ip netns exec "$a" python3 "$SELFTESTS/tcpgen.py" connect 10.0.1.2 8616 --count 3
	wait
	[ "$(tcpstate_stat "$a" alloc_failed)" -ge 3 ] || fail "not counted"
	assert_eq "destination_overflow" 3 "$(tcpstate_stat "$a" destination_overflow)"
	assert_eq "the overflow row" "True 3" "$(ts "$a" destinations -j |
		python3 -c 'import json, sys
print(" ".join(str(d["overflow"]) + " " + str(d["flows"])
               for d in json.load(sys.stdin)))')"
}

# to_overflow_row PORT: three handshakes with a listener on PORT in b,
# whose entry cannot be made: all counted on the overflow row.
to_overflow_row()
{
	ip netns exec "$b" python3 "$SELFTESTS/tcpgen.py" serve 10.0.1.2 "$1" --count 3 &
	busywait 30000 listening "$b" "$1"
	ip netns exec "$a" python3 "$SELFTESTS/tcpgen.py" connect 10.0.1.2 "$1" --count 3
	wait
	assert_eq "listeners" 0 "$(tcpstate_stat "$b" listeners)"
	[ "$(tcpstate_stat "$b" listener_overflow)" -ge 3 ] || fail "not counted"
	assert_eq "handshakes" 3 "$(tcpstate_stat "$b" handshakes)"
	ts "$b" listeners | grep -q "(table full)" || fail "no overflow row"
}

# The tables refuse an insertion they had to grow for and could not
# (-ENOMEM from the rhashtable): each refused flow is freed and counted
# (alloc_failed, flows_not_tracked), a refused listener entry falls to
# the overflow row, nothing leaks, and tracking resumes after.
test_faults_insert_refused()
{
	local ns c n f
	local -A refused
	two_hosts
	# every other insertion, of a's and b's alike
	fail_function tcpstate_flow_insert 2 -12
	run ip netns exec "$a" "$HOSTILE" -k syn -n 200 10.0.1.1 10.0.1.2 9
	wait_eq 30000 200 nstat_abs "$b" TcpOutRsts
	f=0
	for ns in "$a" "$b"; do
		c=$(tcpstate_stat "$ns" flows_created)
		n=$(tcpstate_stat "$ns" flows_not_tracked)
		diag "$ns: $c flows, $n refused"
		assert_eq "$ns: every SYN tracked or refused" 200 $((c + n))
		assert_eq "$ns: refusals counted as failed allocations" "$n" \
			"$(tcpstate_stat "$ns" alloc_failed)"
		f=$((f + n))
		refused[$ns]=$n
	done
	assert_eq "insertions refused" 200 "$f"
	fail_function_off
	run ip netns exec "$a" "$HOSTILE" -k syn -n 10 -b 30000 10.0.1.1 10.0.1.2 9
	for ns in "$a" "$b"; do
		wait_eq 30000 210 _created_or_refused "$ns"
		assert_eq "$ns: refused after the fault" "${refused[$ns]}" \
			"$(tcpstate_stat "$ns" flows_not_tracked)"
	done

	fail_function tcpstate_listener_insert 1 -12
	to_overflow_row 8615
}

_created_or_refused()
{
	echo $(($(tcpstate_stat "$1" flows_created) + $(tcpstate_stat "$1" flows_not_tracked)))
}

test_faults_netlink_alloc()
{
	local out MON_ERR
	MON_ERR=$(mktemp)
	defer "rm -f $MON_ERR"
	two_hosts
	fail_function tcpstate_nl_msg_new 2
	fail_function_off
	ip netns exec "$a" python3 "$SELFTESTS/tcpgen.py" pairs 127.0.0.1 8614 --count 2
	ip netns exec "$a" "$TCPSTATE" monitor > /dev/null 2> "$MON_ERR" &
	local mon=$!
	defer "kill $mon 2> /dev/null"
	busywait 30000 grep -q listening "$MON_ERR"
	fail_function tcpstate_nl_msg_new 2
	for i in 1 2 3 4; do
		out=$(ts "$a" stats 2>&1) || echo "  stats: $out"
	done
	ip netns exec "$a" python3 "$SELFTESTS/tcpgen.py" pairs 127.0.0.1 8615 --count 4
	[ "$(tcpstate_stat "$a" events_dropped)" -gt 0 ] || fail "no event dropped"
	fail_function_off
	ts "$a" stats | grep -q "^flows " || fail "stats after the faults"
}

# Hook registration failing as a namespace is made: its IPv4 hooks, or
# its IPv6 ones after the IPv4 ones went live. The namespace is refused
# (a pernet init failed), what was registered goes, nothing leaks (the
# debugfs objects, run_test's check), and the namespaces that exist are
# tracked throughout, under load.
test_faults_hook_register()
{
	local i iv out before
	two_hosts
	ip netns exec "$b" python3 "$SELFTESTS/tcpgen.py" serve 10.0.1.2 8616 --count 0 &
	busywait 30000 listening "$b" 8616
	ip netns exec "$a" python3 "$SELFTESTS/tcpgen.py" connect 10.0.1.2 8616 \
		--count 100000 --parallel 4 > /dev/null 2>&1 &
	local load=$!
	before=$(tcpstate_object namespaces)
	# interval 1: the first registration (IPv4) fails; interval 2:
	# every other one, so from the second namespace on, IPv6's
	for iv in 1 2; do
		fail_function tcpstate_hook_register "$iv" -12
		for i in 1 2 3; do
			out=$(ip netns add "hookfail-$$-$iv-$i" 2>&1) && {
				ip netns del "hookfail-$$-$iv-$i"
				fail "namespace made while its hooks failed"
			}
			echo "  $out"
		done
		fail_function_off
	done
	assert_eq "namespaces tcpstate holds" "$before" "$(tcpstate_object namespaces)"
	wait_ge 30000 $(($(tcpstate_stat "$b" handshakes) + 10)) \
		tcpstate_stat "$b" handshakes
	kill "$load" 2> /dev/null || true
	# with the fault off, a namespace is made and tracked again
	setup_ns c
	ip netns exec "$c" python3 "$SELFTESTS/tcpgen.py" pairs 127.0.0.1 8617 --count 2
	wait_ge 30000 2 tcpstate_stat "$c" handshakes
	kernel_clean
}

TESTS=(
	readers_race_writers test_readers_race_writers
	readers_race_teardown test_readers_race_teardown
	flush_36k_leaves_none test_flush_36k
	dump_100k_under_churn test_dump_100k_under_churn
	memory_back_to_baseline test_memory_back_to_baseline
	user_namespace_limits_and_view test_user_namespace
	user_namespace_events test_user_events
	shared_bound_across_namespaces test_shared_bound
	spoofed_pairs_evictable test_spoofed_pairs_evictable
	unsolicited_synacks_no_listener test_unsolicited_synacks
	half_open_exact test_half_open_exact
	params_bounded test_params_bounded
	memcg_charged test_memcg_charged
	faults_listener_alloc test_faults_listener_alloc
	faults_insert_refused test_faults_insert_refused
	faults_owner_alloc test_faults_owner_alloc
	faults_dest_alloc test_faults_dest_alloc
	faults_netlink_alloc test_faults_netlink_alloc
	faults_hook_register test_faults_hook_register
)
ktap_select "$@"
kernel_clean || true
ktap_run
