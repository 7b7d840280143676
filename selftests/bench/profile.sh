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
# nothing (the floor any netfilter observer pays), then with tcpstate, and
# prints the instructions per connection each added, by symbol
# (perfdiff.py).
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

# script NAME: perf.NAME as text for perfdiff.py
script() { perf script -i $BIN/perf.$1 -F period,ip,sym > $BIN/$1.txt 2> /dev/null; }

connrate-diff()
{
	local floor=selftests/bench/floor n0 nf n1 calls

	rmmod tcpstate 2> /dev/null || true
	n0=$(connrate_once $BIN/perf.none)
	insmod $floor/tcpstate_floor.ko
	nf=$(connrate_once $BIN/perf.floor)
	calls=$(cat /sys/module/tcpstate_floor/parameters/calls)
	rmmod tcpstate_floor
	[ "$calls" -gt 0 ] || { echo "tcpstate_floor was never called"; exit 1; }
	load
	n1=$(connrate_once $BIN/perf.tcpstate)
	echo "## connrate-diff: $n0 connections with no hooks," \
	     "$nf with empty hooks ($calls calls), $n1 with tcpstate"
	script none
	script floor
	script tcpstate
	echo "## empty hooks against none"
	python3 selftests/bench/perfdiff.py $BIN/none.txt "$n0" $BIN/floor.txt "$nf"
	echo "## tcpstate against empty hooks"
	python3 selftests/bench/perfdiff.py $BIN/floor.txt "$nf" $BIN/tcpstate.txt "$n1"
	echo "## tcpstate against none"
	python3 selftests/bench/perfdiff.py $BIN/none.txt "$n0" $BIN/tcpstate.txt "$n1"
}

perf --version
for w in "${@:-bulk connrate flood}"; do
	for x in $w; do
		"$x"
	done
done
