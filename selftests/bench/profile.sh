#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# profile.sh [bulk|connrate|flood|connrate-diff]...: where the guest's
# instructions go with tcpstate loaded. Run in the bench VM:
#
#   make bench-tools
#   selftests/vm/run.sh --icount --no-module -- selftests/bench/profile.sh
#
# There is no PMU under TCG, so perf samples the software cpu-clock event;
# with -icount guest time is the instruction count, so the samples are
# spread in proportion to instructions executed. Prints the top symbols
# and tcpstate's share of each workload. connrate-diff profiles short
# connections with no hooks, then with tcpstate_floor's hooks that do
# nothing (the floor any netfilter observer pays), then with its bare
# tracker (one lookup per segment, one allocation per flow: the floor any
# per-flow tracker pays), then with tcpstate, and prints the instructions
# per connection each added, by symbol (perfdiff.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
source selftests/lib.sh

BIN=/tmp/bench
mkdir -p $BIN
cp build/bench/connrate build/synflood $BIN/
trap cleanup_ns EXIT
in_ns() { ip netns exec "$@"; }
load() { grep -q '^tcpstate ' /proc/modules || insmod module/tcpstate.ko; }

# record NAME COMMAND...: profile the whole guest while COMMAND runs.
record()
{
	local name=$1 data=$BIN/perf.$1 calls
	shift
	load
	perf record -q -e cpu-clock -F 10000 -a -g -o "$data" -- "$@" > /dev/null 2>&1
	echo "## $name: top symbols (share of all guest instructions)"
	perf report -i "$data" --stdio --no-children --sort sym -g none \
		--percent-limit 0.7 2> /dev/null | grep -v '^#' | grep -v '^$'
	echo "## $name: tcpstate (samples whose call chain has tcpstate_hook)"
	calls=$(($(tcpstate_stat "$a" skbs) + $(tcpstate_stat "$b" skbs)))
	echo "segments a $(tcpstate_stat "$a" segments) b $(tcpstate_stat "$b" segments)," \
	     "skbs a $(tcpstate_stat "$a" skbs) b $(tcpstate_stat "$b" skbs)"
	perf script -i "$data" -F period,ip,sym,symoff 2> /dev/null |
		python3 selftests/bench/perfsum.py "$calls"
}

pair()
{
	setup_ns a b
	veth_pair "$a" 10.0.1.1 "$b" 10.0.1.2
}

bulk()
{
	pair
	in_ns "$b" iperf3 -s -1 -D -B 10.0.1.2 > /dev/null
	busywait 5000 listening "$b" 5201
	record bulk ip netns exec "$a" iperf3 -c 10.0.1.2 -t 2 -O 1
	cleanup_ns
}

# connrate_pair: namespaces a and b, a connrate server listening in b.
connrate_pair()
{
	pair
	in_ns "$a" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
	in_ns "$b" $BIN/connrate server 8080 &
	busywait 5000 listening "$b" 8080
}

connrate()
{
	connrate_pair
	record connrate ip netns exec "$a" $BIN/connrate client -s 2 10.0.1.2 8080
	cleanup_ns
}

flood()
{
	pair
	ip -n "$a" route add 10.64.0.0/10 dev veth0
	ip -n "$b" route add default via 10.0.1.1
	in_ns "$b" $BIN/connrate server 8080 &
	busywait 5000 listening "$b" 8080
	record flood ip netns exec "$a" $BIN/synflood -n 1000000000 -s 1 10.64.0.0 10.0.1.2 8080
	cleanup_ns
}

# connrate_once DATA: short connections for 2 s, profiled into DATA;
# prints how many connections completed.
connrate_once()
{
	connrate_pair
	perf record -q -e cpu-clock -F 10000 -a -g -o "$1" -- \
		ip netns exec "$a" $BIN/connrate client -s 2 10.0.1.2 8080 \
		2> /dev/null | awk '{ print $2 }'
	cleanup_ns
}

# conns_unprofiled: connrate_once without perf.
conns_unprofiled()
{
	connrate_pair
	ip netns exec "$a" $BIN/connrate client -s 2 10.0.1.2 8080 \
		2> /dev/null | awk '{ print $2 }'
	cleanup_ns
}

# script NAME: perf.NAME as text for perfdiff.py, with the symbols of
# the modules loaded now.
script() { perf script -i $BIN/perf.$1 -F period,ip,sym > $BIN/$1.txt 2> /dev/null; }

# floor_once LOOKUP NAME: connrate_once with tcpstate_floor loaded, its
# lookup parameter LOOKUP, into perf.NAME; prints "connections calls".
# Fails unless the hooks ran, and with LOOKUP=1 unless they found a flow
# for the five or more segments of each connection in each namespace
# (4-tuples come again: the server closes first, so the client reuses
# ports, and the same flow serves the next connection, as in tcpstate).
floor_once()
{
	local p=/sys/module/tcpstate_floor/parameters n calls tracked

	insmod selftests/bench/floor/tcpstate_floor.ko lookup="$1"
	n=$(connrate_once $BIN/perf.$2)
	calls=$(cat $p/calls)
	tracked=$(cat $p/tracked)
	echo "# tcpstate_floor lookup=$1: $n connections, $calls calls," \
	     "$(cat $p/created) flows created, $tracked segments tracked" >&2
	script "$2"	# while its symbols are still in kallsyms
	rmmod tcpstate_floor
	[ "$calls" -gt 0 ] || { echo "tcpstate_floor was never called" >&2; exit 1; }
	[ "$1" = 0 ] || [ "$tracked" -ge $((10 * n)) ] ||
		{ echo "tcpstate_floor tracked $tracked segments of $n connections" >&2; exit 1; }
	echo "$n $calls"
}

# perf_diff BASE RUN: what RUN adds per connection to BASE (perfdiff.py).
perf_diff()
{
	echo "## $2 against $1"
	python3 selftests/bench/perfdiff.py $BIN/$1.txt "${conns[$1]}" \
		$BIN/$2.txt "${conns[$2]}"
}

connrate-diff()
{
	local -A conns
	local out calls

	rmmod tcpstate 2> /dev/null || true
	steady conns_unprofiled >&2
	conns[none]=$(connrate_once $BIN/perf.none)
	out=$(floor_once 0 floor)
	read -r 'conns[floor]' calls <<< "$out"
	out=$(floor_once 1 bare)
	read -r 'conns[bare]' _ <<< "$out"
	load
	conns[tcpstate]=$(connrate_once $BIN/perf.tcpstate)
	echo "## connrate-diff: ${conns[none]} connections with no hooks," \
	     "${conns[floor]} with empty hooks ($calls calls)," \
	     "${conns[bare]} with a bare lookup tracker," \
	     "${conns[tcpstate]} with tcpstate"
	script none
	script tcpstate
	perf_diff none floor
	perf_diff none bare
	perf_diff none tcpstate
	perf_diff bare tcpstate
}

perf --version
for w in "${@:-bulk connrate flood}"; do
	for x in $w; do
		"$x"
	done
done
