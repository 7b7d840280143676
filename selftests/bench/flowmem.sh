#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# flowmem.sh [DUMP_FLOWS [MEM_FLOWS]]: memory per tracked flow and flow
# dump times, for tcpstate (C) and nf_conntrack (N). Runs in the bench VM
# (guest.sh calls it last; boot with slub_nomerge so each cache has its own
# line in /proc/slabinfo). Prints SAMPLE lines like guest.sh.
#
# Spoofed SYNs from distinct sources (synflood) in namespace a to b; each
# is one flow leaving a and one arriving in b, both tracked (tcpstate in
# every namespace; for N a `ct state` rule in both). b has no listener and
# a blackhole route back, so nothing answers: every flow stays half-open
# (SYN_SENT, 120 s for both trackers) and only the trackers' memory grows.
#   1. DUMP_FLOWS flows in b (default 100 000): time the dumps of b's
#      table, three times each (tcpstate: /proc/net/tcpstate/flows and
#      `tcpstate flows -j`; conntrack: `conntrack -L`).
#   2. MEM_FLOWS flows in all (default 1 000 000, half in each namespace):
#      the slab object size, and per flow the growth of Slab and of all
#      memory in use (hash tables, vmalloc'ed or not, included). Then,
#      with no traffic, the share of 10 s the CPU was busy (expiry scans).
set -euo pipefail
cd "$(dirname "$0")/../.."
source selftests/lib.sh

DUMP=${1:-100000}
MEM=${2:-1000000}
BIN=/tmp/bench
mkdir -p $BIN
cp build/synflood tools/tcpstate $BIN/
trap cleanup_ns EXIT

log() { echo "# $*"; }
die() { echo "BENCH ABORT: $*"; exit 1; }
sample() { echo "SAMPLE $1 $2 $3 $4"; }
in_ns() { ip netns exec "$@"; }

tcpstate_loaded() { grep -q '^tcpstate ' /proc/modules; }

# "slab used" in kB: Slab, and all memory neither free nor page cache.
mem_kb()
{
	sync
	echo 3 > /proc/sys/vm/drop_caches
	awk '{ m[$1] = $2 }
	     END { print m["Slab:"],
		   m["MemTotal:"] - m["MemFree:"] - m["Buffers:"] - m["Cached:"] }' \
		/proc/meminfo
}

# tracked CONFIG NS: flows the tracker holds in NS.
tracked()
{
	case $1 in
	C) tcpstate_stat "$2" flows ;;
	N) in_ns "$2" cat /proc/sys/net/netfilter/nf_conntrack_count ;;
	esac
}

# flood CONFIG COUNT SPORT: COUNT more SYNs, so COUNT more flows in a and
# in b; the rate at which b's tracker created them.
flood()
{
	local cfg=$1 n=$2 before out ns
	before=$(tracked "$cfg" "$b")
	out=$(in_ns "$a" $BIN/synflood -n "$n" -p "$3" 10.64.0.0 10.0.1.2 9000)
	for ns in "$b" "$a"; do
		wait_eq 10000 $((before + n)) tracked "$cfg" "$ns" || die \
			"$cfg: $(tracked "$cfg" "$ns") flows in $ns, expected $((before + n)) ($out)"
	done
	log "$cfg: $out; $((before + n)) flows in a and in b"
	# One CPU: the receiving side runs in the sender's system calls, so
	# the sender's rate is the whole path's.
	[ "$before" = 0 ] || sample "$cfg" flows_created_per_s 1 \
		"$(sed 's/.*(\([0-9]*\)\/s).*/\1/' <<< "$out")"
}

# Namespaces of earlier measurements are torn down asynchronously: wait
# until Slab holds still (1 MiB in a second), so that their memory going
# away does not lower the baseline.
settle()
{
	local i prev cur
	read -r prev _ < <(mem_kb)
	for i in $(seq 30); do
		sleep 1
		read -r cur _ < <(mem_kb)
		[ $((cur - prev)) -gt 1024 ] || [ $((prev - cur)) -gt 1024 ] ||
			return 0
		prev=$cur
	done
	die "Slab still moves: $prev kB, then $cur kB"
}

# dump_time CONFIG METRIC COMMAND...: time COMMAND three times. The first,
# untimed, run counts what it prints (a dump that shows fewer than DUMP
# flows aborts) and warms the caches, so that no 9p read (an idle wait,
# thus a jump of icount time) lands in a timed run.
dump_time()
{
	local cfg=$1 metric=$2 i t n TIMEFORMAT='%R %U %S'
	shift 2
	n=$("$@" 2> /dev/null | count_flows)
	[ "$n" -ge "$DUMP" ] || die "$cfg: $metric: $n flows shown, expected $DUMP"
	for i in 1 2 3; do
		t=$( { time "$@" > /dev/null 2>&1; } 2>&1 )
		log "$cfg: $metric: real user sys $t s"
		sample "$cfg" "$metric" "$i" "$(awk '{ print $1 * 1000 }' <<< "$t")"
	done
}

# Lines, or the length of the array a JSON dump is.
count_flows()
{
	python3 -c 'import json, sys
d = sys.stdin.read()
print(len(json.loads(d)) if d.startswith("[") else d.count("\n"))'
}

# busy_pct S: the share of guest time, in %, the CPU was not idle over
# the next S seconds.
busy_pct()
{
	local t0 t1
	t0=$(head -n 1 /proc/stat)
	sleep "$1"
	t1=$(head -n 1 /proc/stat)
	# cpu user nice system idle iowait irq softirq steal
	awk -v a="$t0" -v b="$t1" 'BEGIN {
		split(a, x); split(b, y)
		for (i = 2; i <= 9; i++) total += y[i] - x[i]
		idle = y[5] - x[5] + y[6] - x[6]
		printf "%.1f\n", 100 * (total - idle) / total }'
}

measure()
{
	local cfg=$1 slab0 used0 slab1 used1 objsize cache
	case $cfg in
	C)
		tcpstate_loaded || insmod module/tcpstate.ko
		cache=tcpstate_flow
		;;
	N)
		if tcpstate_loaded; then rmmod tcpstate; fi
		modprobe nf_conntrack
		echo "$MEM" > /proc/sys/net/netfilter/nf_conntrack_max
		echo "$MEM" > /sys/module/nf_conntrack/parameters/hashsize
		cache=nf_conntrack
		;;
	esac
	setup_ns a b
	veth_pair "$a" 10.0.1.1 "$b" 10.0.1.2
	ip -n "$a" route add 10.64.0.0/10 dev veth0
	ip -n "$b" route add blackhole 10.64.0.0/10
	for ns in "$a" "$b"; do
		case $cfg in
		C) in_ns "$ns" $BIN/tcpstate config set max_flows "$MEM" > /dev/null ;;
		N) in_ns "$ns" nft -f - <<-NFT
			table inet bench {
				chain pre {
					type filter hook prerouting priority 0;
					ct state new counter
				}
				chain out {
					type filter hook output priority 0;
					ct state new counter
				}
			}
			NFT
		esac
	done
	settle
	read -r slab0 used0 < <(mem_kb)

	flood "$cfg" "$DUMP" 40000
	case $cfg in
	C)
		dump_time C dump_procfs_ms in_ns "$b" cat /proc/net/tcpstate/flows
		if in_ns "$b" $BIN/tcpstate flows -j > /dev/null 2>&1; then
			dump_time C dump_netlink_ms in_ns "$b" $BIN/tcpstate flows -j
		else
			log "C: 'tcpstate flows -j' does not work: netlink dump not measured"
		fi
		;;
	N)
		# /proc/net/nf_conntrack restarts its walk of the global hash
		# at every read: 42 s for 100 000 flows here. Netlink only.
		dump_time N dump_netlink_ms in_ns "$b" conntrack -L
		;;
	esac

	flood "$cfg" $((MEM / 2 - DUMP)) 50000
	read -r slab1 used1 < <(mem_kb)
	objsize=$(awk -v c=$cache '$1 == c { print $4 }' /proc/slabinfo)
	[ -n "$objsize" ] || die "$cfg: no slab cache $cache"
	log "$cfg: $MEM flows: slab +$(((slab1 - slab0) / 1024)) MiB," \
	    "used +$(((used1 - used0) / 1024)) MiB, $cache objects of $objsize bytes"
	sample "$cfg" flow_object_bytes 1 "$objsize"
	sample "$cfg" slab_bytes_per_flow 1 $(((slab1 - slab0) * 1024 / MEM))
	sample "$cfg" mem_bytes_per_flow 1 $(((used1 - used0) * 1024 / MEM))
	sample "$cfg" mem_mib_total 1 $(((used1 - used0) / 1024))
	# What holding them costs with no traffic at all: the trackers' own
	# expiry scans (tcpstate's GC visits a slice of its table each run).
	sample "$cfg" idle_busy_pct 1 "$(busy_pct 10)"
	cleanup_ns
	[ "$cfg" != C ] || rmmod tcpstate
}

measure C
measure N
