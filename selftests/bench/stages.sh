#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stages.sh [--rounds N] [run.sh OPTIONS]: `make bench-stages`. What each
# layer of per-segment work costs short connections, measured by adding
# it rather than by sampling: the hooks alone, a bare tracker, tcpstate.
#
# It boots ONE VM with instruction-count time. There, with --guest, it
# counts the short connections completed in 2 s of guest time under each
# configuration: no hooks, tcpstate_floor's empty hooks, its bare tracker
# (selftests/bench/floor), and tcpstate. It warms up first (the first
# runs after boot complete far fewer connections), then runs the
# configurations in turn ROUNDS times, and prints the medians and what
# each configuration costs against no hooks. Where tcpstate's own cost
# goes, function by function, is profile.sh's to tell.
set -euo pipefail
cd "$(dirname "$0")/../.."

ROUNDS=3

if [ "${1:-}" != --guest ]; then
	if [ "${1:-}" = --rounds ]; then
		ROUNDS=$2
		shift 2
	fi
	mkdir -p build/stages
	selftests/vm/run.sh "$@" --icount --no-module --timeout 3600 -- \
		selftests/bench/stages.sh --guest "$ROUNDS" |
		tee build/stages/stages.log
	python3 selftests/bench/stages.py build/stages/stages.log
	exit
fi

source selftests/lib.sh
ROUNDS=$2
BIN=/tmp/bench
mkdir -p $BIN
cp build/bench/connrate $BIN/
trap cleanup_ns EXIT

# conns: short connections completed in 2 s from a to a server in b.
conns()
{
	local out
	setup_ns a b
	veth_pair "$a" 10.0.1.1 "$b" 10.0.1.2
	ip netns exec "$a" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
	ip netns exec "$b" $BIN/connrate server 8080 &
	busywait 5000 listening "$b" 8080
	out=$(ip netns exec "$a" $BIN/connrate client -s 2 10.0.1.2 8080)
	cleanup_ns
	read -r _ n _ f _ <<< "$out"
	[ "$f" = 0 ] || { echo "connrate: $out" >&2; exit 1; }
	echo "$n"
}

# load CONFIG / unload CONFIG
load()
{
	case $1 in
	none) ;;
	hooks) insmod selftests/bench/floor/tcpstate_floor.ko lookup=0 ;;
	bare) insmod selftests/bench/floor/tcpstate_floor.ko lookup=1 ;;
	tcpstate) insmod module/tcpstate.ko ;;
	esac
}

unload()
{
	case $1 in
	none) ;;
	hooks|bare) rmmod tcpstate_floor ;;
	tcpstate) rmmod tcpstate ;;
	esac
}

# applied CONFIG N: tcpstate_floor's hooks ran for the N connections.
applied()
{
	local p=/sys/module/tcpstate_floor/parameters
	case $1 in
	hooks) [ "$(cat $p/calls)" -ge $((10 * $2)) ] ;;
	bare) [ "$(cat $p/tracked)" -ge $((10 * $2)) ] ;;
	esac || { echo "$1: hooks not applied to $2 connections" >&2; exit 1; }
}

steady conns
for ((r = 1; r <= ROUNDS; r++)); do
	for c in none hooks bare tcpstate; do
		load "$c"
		n=$(conns)
		applied "$c" "$n"
		unload "$c"
		echo "CONNS $c $r $n"
	done
done
kernel_clean
