#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# guest.sh: the inside of `make bench`, run in ONE VM booted with --icount
# (one vCPU, guest time = instruction count) and --no-module.
#
# Three configurations, cycled ROUNDS times (A C N A C N ...):
#   A  no tracking: tcpstate not loaded, no conntrack rule anywhere
#   C  tcpstate loaded
#   N  nf_conntrack forced on by an nft `ct state` rule in prerouting and
#      output of both namespaces (tcpstate not loaded)
# Each metric runs in fresh namespaces, so nothing carries over:
#
#   ns a (client, 10.0.1.1) veth0 ---- veth1 (server, 10.0.1.2) ns b
#
# Then, once per C and N: memory per tracked flow and flow dump times.
# Every number is printed as one line
#   SAMPLE <config> <metric> <round> <value>
# which bench.sh on the host turns into the table and the JSON. Anything
# that shows a configuration did not apply aborts the run (exit 1).
set -euo pipefail
cd "$(dirname "$0")/../.."
source selftests/lib.sh

ROUNDS=${BENCH_ROUNDS:-3}
BULK_S=${BENCH_BULK_S:-2}		# iperf3 seconds (after 1 s omitted)
CONN_S=${BENCH_CONN_S:-2}		# connection-rate seconds
FLOOD_S=${BENCH_FLOOD_S:-1}		# SYN flood seconds
FLOOD_TABLE=${BENCH_FLOOD_TABLE:-16384}	# flow / conntrack table size then
HELD=${BENCH_HELD:-64}			# established connections kept open
DUMP_FLOWS=${BENCH_DUMP_FLOWS:-100000}
MEM_FLOWS=${BENCH_MEM_FLOWS:-1000000}
CONFIGS=${BENCH_CONFIGS:-A C N}
METRICS=${BENCH_METRICS:-bulk connrate flood}
PORT=8080

# Binaries from tmpfs: no 9p round trip (an idle wait that icount turns
# into a jump of guest time) while a measurement runs.
BIN=/tmp/bench
mkdir -p $BIN
cp build/bench/connrate build/synflood tools/tcpstate $BIN/

trap cleanup_ns EXIT

log() { echo "# $*"; }
# Microseconds by the shell's clock; seconds with three decimals.
us_now() { echo "${EPOCHREALTIME/[.,]/}"; }
us_to_s() { printf '%d.%03d\n' $(($1 / 1000000)) $(($1 / 1000 % 1000)); }
die() { echo "BENCH ABORT: $*"; exit 1; }
sample() { echo "SAMPLE $1 $2 $3 $4"; }
in_ns() { ip netns exec "$@"; }

ct_count()
{
	local f=/proc/sys/net/netfilter/nf_conntrack_count
	in_ns "$1" sh -c "cat $f 2>/dev/null || echo 0"
}

tcpstate_loaded() { grep -q '^tcpstate ' /proc/modules; }

# ct_size N: conntrack's table holds N entries in N buckets (its default
# ratio), so that early drop finds victims as it would by default.
ct_size()
{
	echo "$1" > /proc/sys/net/netfilter/nf_conntrack_max
	echo "$1" > /sys/module/nf_conntrack/parameters/hashsize
}

# --- configurations --------------------------------------------------------

config_enter()
{
	case $1 in
	A|N) if tcpstate_loaded; then rmmod tcpstate; fi ;;
	C) tcpstate_loaded || insmod module/tcpstate.ko ;;
	esac
	case $1 in
	C) tcpstate_loaded || die "C: tcpstate is not loaded" ;;
	*) ! tcpstate_loaded || die "$1: tcpstate is still loaded" ;;
	esac
}

# ns_config CONFIG NS: what the configuration needs inside a namespace.
ns_config()
{
	[ "$1" = N ] || return 0
	in_ns "$2" nft -f - <<-NFT
	table inet bench {
		chain pre {
			type filter hook prerouting priority 0;
			ct state new,established,related,invalid counter
		}
		chain out {
			type filter hook output priority 0;
			ct state new,established,related,invalid counter
		}
	}
	NFT
}

# ct_tracked NS: packets b's prerouting rule saw carrying a conntrack entry
# (`ct state` matches no untracked packet). Unlike the entry count this
# does not drop when entries time out, and idle waits on 9p can make
# icount's clock jump by minutes.
ct_tracked()
{
	in_ns "$1" nft list chain inet bench pre 2> /dev/null |
		awk '/counter packets/ { for (i = 1; i < NF; i++)
			if ($i == "packets") n += $(i + 1) } END { print n + 0 }'
}

# check_applied CONFIG NS MIN: after a measurement, the namespace shows
# that the configuration was in force: tcpstate saw MIN segments (C),
# conntrack tracked MIN packets (N), neither did anything (A).
check_applied()
{
	local cfg=$1 ns=$2 min=$3 segs ct
	ct=$(ct_count "$ns")
	case $cfg in
	A)
		[ "$ct" = 0 ] || die "A: conntrack holds $ct entries in $ns"
		[ ! -e /proc/net/tcpstate ] || die "A: /proc/net/tcpstate exists"
		;;
	C)
		[ "$ct" = 0 ] || die "C: conntrack holds $ct entries in $ns"
		segs=$(tcpstate_stat "$ns" segments) ||
			die "C: no tcpstate stats in $ns"
		[ "$segs" -ge "$min" ] ||
			die "C: tcpstate saw $segs segments in $ns, expected >= $min"
		;;
	N)
		ct=$(ct_tracked "$ns")
		[ "$ct" -ge "$min" ] ||
			die "N: conntrack tracked $ct packets in $ns, expected >= $min"
		;;
	esac
}

pair()
{
	setup_ns a b
	veth_pair "$a" 10.0.1.1 "$b" 10.0.1.2
	ns_config "$1" "$a"
	ns_config "$1" "$b"
}

# --- metrics ---------------------------------------------------------------

bulk()
{
	local cfg=$1 r=$2 mbps
	pair "$cfg"
	in_ns "$b" iperf3 -s -1 -D -B 10.0.1.2 > /dev/null
	busywait 5000 listening "$b" 5201
	mbps=$(in_ns "$a" iperf3 -c 10.0.1.2 -t "$BULK_S" -O 1 -J |
	       python3 -c 'import json, sys
print("%.1f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6))')
	# GSO skbs: some 20 segments each.
	case $cfg in
	A) check_applied A "$b" 0 ;;
	C) check_applied C "$b" 100000 ;;
	N) check_applied N "$b" 5000; check_applied N "$a" 5000 ;;
	esac
	sample "$cfg" bulk_mbps "$r" "$mbps"
	cleanup_ns
}

connrate()
{
	local cfg=$1 r=$2 out n f
	pair "$cfg"
	in_ns "$a" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
	in_ns "$b" $BIN/connrate server $PORT &
	busywait 5000 listening "$b" $PORT
	out=$(in_ns "$a" $BIN/connrate client -s "$CONN_S" 10.0.1.2 $PORT)
	log "connrate $cfg: $out"
	read -r _ n _ f _ <<< "$out"
	[ "$n" -gt 100 ] && [ "$f" = 0 ] || die "$cfg: connrate: $out"
	# Every connection is tracked: 5+ segments each arrive in b.
	case $cfg in
	A) check_applied A "$b" 0 ;;
	*) check_applied "$cfg" "$b" $((n * 5)) ;;
	esac
	sample "$cfg" conn_per_s "$r" "$(sed 's/.*(\([0-9]*\)\/s).*/\1/' <<< "$out")"
	cleanup_ns
}

# conns_a: connections completed in CONN_S s with no tracking, not sampled.
conns_a()
{
	local out n
	pair A
	in_ns "$a" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
	in_ns "$b" $BIN/connrate server $PORT &
	busywait 5000 listening "$b" $PORT
	out=$(in_ns "$a" $BIN/connrate client -s "$CONN_S" 10.0.1.2 $PORT)
	cleanup_ns
	read -r _ n _ <<< "$out"
	echo "$n"
}

# synflood_for SECONDS SPORT: spoofed SYNs from a to b's PORT for SECONDS.
# synflood stops at its first EPERM, which conntrack's full table causes
# (N: the SYN is dropped at a's output when early drop finds no victim);
# start it again until the time is up and say how often that happened.
# The time is the guest's, taken around the runs.
synflood_for()
{
	local secs=$1 sport=$2 t0 now left n sent=0 stops=0 refused
	# The shell's own clock: each `date` or `bc` would be read from the
	# 9p root, an idle wait that can make icount time jump past the end.
	t0=$(us_now)
	left=$((secs * 1000000))
	# At least one run, however far the clock jumped meanwhile.
	while :; do
		n=$(in_ns "$a" $BIN/synflood -n 1000000000 -p "$sport" \
			-s "$(us_to_s "$left")" 10.64.0.0 10.0.1.2 $PORT \
			2> /dev/null) || stops=$((stops + 1))
		refused=$(sed -n 's/.*, \([0-9]*\) refused\(.*\)/\1\2/p' <<< "$n")
		n=$(sed -n 's/^sent \([0-9]*\) .*/\1/p' <<< "$n")
		sent=$((sent + ${n:-0}))
		now=$(us_now)
		left=$((secs * 1000000 - (now - t0)))
		[ "$left" -gt 1000 ] || break
	done
	echo "flood in $(us_to_s $((now - t0))) s," \
	     "$sent SYNs sent (last run: ${refused:-?} refused)," \
	     "synflood stopped by EPERM $stops times"
}

# Flows whose two endpoints are ESTABLISHED, from the flow table itself.
established_flows()
{
	in_ns "$1" awk 'NR > 1 && $6 == "ESTABLISHED" && $7 == "ESTABLISHED"' \
		/proc/net/tcpstate/flows | wc -l
}

# A spoofed SYN flood at the sender's full speed against a listener that
# holds HELD idle established connections: FLOOD_S seconds of flood alone
# (the SYNs the receiver's TCP took per second: its TcpInSegs, less what
# the held connections sent), then FLOOD_S seconds of flood with a
# legitimate client alongside (its connections per second and failures).
flood()
{
	local cfg=$1 r=$2 legit out t in0 in1 ck0 ck1 n f est ev try
	pair "$cfg"
	ip -n "$a" route add 10.64.0.0/10 dev veth0
	ip -n "$b" route add default via 10.0.1.1	# SYN-ACKs die in a
	in_ns "$a" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
	# Small tables, so that the flood fills them within its time.
	case $cfg in
	C)
		in_ns "$a" $BIN/tcpstate config set max_flows "$FLOOD_TABLE" > /dev/null
		in_ns "$b" $BIN/tcpstate config set max_flows "$FLOOD_TABLE" > /dev/null
		;;
	N) ct_size "$FLOOD_TABLE" ;;
	esac
	in_ns "$b" $BIN/connrate server $PORT &
	busywait 5000 listening "$b" $PORT
	in_ns "$a" $BIN/connrate hold -n "$HELD" 10.0.1.2 $PORT > "$BIN/held" &
	# a host busy with other VMs can stretch this well past 10 s
	busywait 60000 grep -q held "$BIN/held"
	[ "$cfg" != C ] || est=$(established_flows "$b")

	# Now and then the sender's first sendto() blocks for many seconds
	# and sends nothing: that measures nothing, so it is run again.
	for try in 1 2 3; do
		in0=$(nstat_abs "$b" TcpInSegs)
		ck0=$(nstat_abs "$b" TcpExtSyncookiesSent)
		out=$(synflood_for "$FLOOD_S" 40000)
		in1=$(nstat_abs "$b" TcpInSegs)
		ck1=$(nstat_abs "$b" TcpExtSyncookiesSent)
		t=$(sed -n 's/.* in \([0-9.]*\) s.*/\1/p' <<< "$out")
		log "flood $cfg: $out; receiver: $((in1 - in0)) segments in," \
		    "$((ck1 - ck0)) SYN cookies sent"
		grep -q ", 0 SYNs sent" <<< "$out" || break
		[ "$try" -lt 3 ] || die "flood $cfg: the sender sent nothing, 3 times"
	done
	sample "$cfg" flood_syn_rx_per_s "$r" \
		"$(awk -v n=$((in1 - in0)) -v t="$t" 'BEGIN { printf "%d\n", n / t }')"

	# A connection that takes over 3 s (two lost SYNs) fails. Drops in
	# the one CPU's input backlog (softnet) hit legitimate SYNs too.
	legit=$BIN/legit
	sd0=$(softnet_drops)
	in_ns "$a" $BIN/connrate client -s $((2 * FLOOD_S)) -t 3000 10.0.1.2 $PORT > "$legit" &
	out=$(synflood_for $((2 * FLOOD_S)) 50000)
	wait $!
	log "flood $cfg: $out; legitimate client: $(cat "$legit");" \
	    "softnet drops $(($(softnet_drops) - sd0))"
	read -r _ n _ f _ < "$legit"
	sample "$cfg" flood_legit_per_s "$r" \
		"$(sed 's/.*(\([0-9]*\)\/s).*/\1/' "$legit")"
	sample "$cfg" flood_legit_failed "$r" "$f"
	case $cfg in
	C)
		check_applied C "$b" 10000
		ev=$(tcpstate_stat "$b" flows_evicted)
		[ "$ev" -gt 0 ] ||
			die "C: the flood did not fill the table ($FLOOD_TABLE flows)"
		n=$(established_flows "$b")
		log "flood C: established flows before $est, after $n; evicted $ev"
		sample C flood_established_lost "$r" $((est - n < 0 ? 0 : est - n))
		;;
	N)
		check_applied N "$b" 1000
		ct_size "$CT_MAX"
		;;
	*) check_applied A "$b" 0 ;;
	esac
	cleanup_ns
}

round()
{
	local r=$1 cfg m
	for cfg in $CONFIGS; do
		config_enter "$cfg"
		log "round $r config $cfg"
		for m in $METRICS; do
			"$m" "$cfg" "$r"
		done
		kernel_clean || die "kernel report during round $r config $cfg"
	done
}

# nf_conntrack loaded once with its defaults for this memory size; nothing
# registers its hooks in a namespace until a `ct` rule does.
modprobe nf_conntrack
CT_MAX=$(cat /proc/sys/net/netfilter/nf_conntrack_max)
log "kernel $(uname -r), $(nproc) CPU, conntrack max $CT_MAX"
log "params rounds=$ROUNDS bulk_s=$BULK_S conn_s=$CONN_S flood_s=$FLOOD_S" \
    "flood_table=$FLOOD_TABLE held=$HELD dump_flows=$DUMP_FLOWS" \
    "mem_flows=$MEM_FLOWS kernel=$(uname -r)"
config_enter A
steady conns_a
for r in $(seq 1 "$ROUNDS"); do
	round "$r"
done
selftests/bench/flowmem.sh "$DUMP_FLOWS" "$MEM_FLOWS"
