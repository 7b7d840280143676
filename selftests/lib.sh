#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lib.sh: KTAP output and network-namespace helpers for tcpstate's
# selftests, in the manner of tools/testing/selftests/net/lib.sh.
#
# A test is a shell function run in a subshell under `set -e`, so each
# assertion is a plain line; its output is shown only when it fails. When
# it ends, what it deferred runs and its namespaces are deleted.

KTAP_NR=0
KTAP_PASS=0
KTAP_FAIL=0
KTAP_SKIP=0
KSFT_SKIP=4
NS_LIST=()

ktap_plan()
{
	echo "TAP version 13"
	echo "1..$1"
}

# run_test NAME FUNCTION [ARGS...]
run_test()
{
	local name=$1 log rc start=${EPOCHREALTIME/[.,]/}
	shift
	log=$(mktemp)
	KTAP_NR=$((KTAP_NR + 1))
	( set -e; trap run_deferred EXIT; "$@" ) > "$log" 2>&1
	rc=$?
	if [ -n "${TCPSTATE_IN_VM:-}" ] && [ $rc -ne $KSFT_SKIP ] &&
	   ! { kernel_clean && no_leaks; } >> "$log" 2>&1; then
		rc=1
	fi
	start=$(( (${EPOCHREALTIME/[.,]/} - start) / 100000 ))
	echo "# $name took $((start / 10)).$((start % 10)) s"
	if [ $rc -eq 0 ]; then
		sed -n 's/^diag: /# /p' "$log"
		echo "ok $KTAP_NR $name"
		KTAP_PASS=$((KTAP_PASS + 1))
	elif [ $rc -eq $KSFT_SKIP ]; then
		echo "ok $KTAP_NR $name # SKIP $(tail -n 1 "$log")"
		KTAP_SKIP=$((KTAP_SKIP + 1))
	else
		sed 's/^/# /' "$log"
		echo "not ok $KTAP_NR $name"
		KTAP_FAIL=$((KTAP_FAIL + 1))
	fi
	rm -f "$log"
}

# diag MESSAGE: a line the test report shows even when the test passes.
diag()
{
	echo "diag: $*"
}

# defer COMMAND...: run COMMAND when the test ends, pass or fail, before
# its namespaces are deleted (last deferred, first run).
DEFERRED=()
defer()
{
	DEFERRED=("$*" "${DEFERRED[@]}")
}

run_deferred()
{
	local cmd
	for cmd in "${DEFERRED[@]}"; do
		eval "$cmd" || true
	done
	DEFERRED=()
	cleanup_ns
}

ktap_finish()
{
	echo "# Totals: pass:$KTAP_PASS fail:$KTAP_FAIL xfail:0 xpass:0 skip:$KTAP_SKIP error:0"
	if [ "$KTAP_SKIP" -gt 0 ]; then
		echo "$KTAP_PASS passed, $KTAP_FAIL failed, $KTAP_SKIP skipped"
	else
		echo "$KTAP_PASS passed, $KTAP_FAIL failed"
	fi
	[ "$KTAP_FAIL" -eq 0 ]
}

skip()
{
	echo "$*"
	exit $KSFT_SKIP
}

fail()
{
	echo "FAIL: $*" >&2
	exit 1
}

# Print a command, then run it: the log of a failed test reads as a script.
run()
{
	echo "+ $*"
	"$@"
}

checktool()
{
	command -v "$1" >/dev/null || skip "$1 is not installed"
}

# assert_eq WHAT EXPECTED ACTUAL
assert_eq()
{
	if [ "$2" != "$3" ]; then
		fail "$1: expected '$2', got '$3'"
	fi
	echo "  $1 = $3"
}

# The debug kernel (KASAN, lockdep, kmemleak: make check-debug) runs
# several times slower under TCG: every wait is that much longer there.
case "$(uname -r)" in
*-tcpstate-debug) WAIT_SCALE=${WAIT_SCALE:-6} ;;
*) WAIT_SCALE=${WAIT_SCALE:-1} ;;
esac
export WAIT_SCALE	# tcpctl.py's socket timeouts too

# busywait TIMEOUT_MS COMMAND...: retry until COMMAND succeeds.
busywait()
{
	local timeout_ms=$(($1 * WAIT_SCALE)) start now
	shift
	start=$(date +%s%3N)
	while ! "$@"; do
		now=$(date +%s%3N)
		if [ $((now - start)) -ge "$timeout_ms" ]; then
			echo "busywait: '$*' still false after ${timeout_ms} ms" >&2
			return 1
		fi
		sleep 0.05
	done
}

# setup_ns VAR...: make one namespace per VAR, with a per-run name and lo up.
setup_ns()
{
	local var name
	for var in "$@"; do
		name="${var}-$$-$RANDOM"
		ip netns add "$name"
		ip -n "$name" link set lo up
		NS_LIST+=("$name")
		eval "$var=$name"
	done
}

cleanup_ns()
{
	local ns
	# a test may have deleted one already
	for ns in "${NS_LIST[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$ns" 2>/dev/null || true
	done
	NS_LIST=()
}

# veth_pair NS1 ADDR1 NS2 ADDR2 [ADDR6_1 ADDR6_2]: join two namespaces.
veth_pair()
{
	local ns1=$1 a1=$2 ns2=$3 a2=$4 v1=${5:-} v2=${6:-}
	ip link add veth0 netns "$ns1" type veth peer name veth1 netns "$ns2"
	ip -n "$ns1" addr add "$a1/24" dev veth0
	ip -n "$ns2" addr add "$a2/24" dev veth1
	if [ -n "$v1" ]; then
		ip -n "$ns1" addr add "$v1/64" dev veth0 nodad
		ip -n "$ns2" addr add "$v2/64" dev veth1 nodad
	fi
	ip -n "$ns1" link set veth0 up
	ip -n "$ns2" link set veth1 up
}

# router_topology A R B: A - R - B, R forwarding. A is 10.0.1.1 and
# fd00:1::1, B is 10.0.2.1 and fd00:2::1, R is .254 / ::fe on both sides.
router_topology()
{
	local a=$1 r=$2 b=$3
	veth_pair "$a" 10.0.1.1 "$r" 10.0.1.254 fd00:1::1 fd00:1::fe
	ip link add veth2 netns "$r" type veth peer name veth3 netns "$b"
	ip -n "$r" addr add 10.0.2.254/24 dev veth2
	ip -n "$r" addr add fd00:2::fe/64 dev veth2 nodad
	ip -n "$b" addr add 10.0.2.1/24 dev veth3
	ip -n "$b" addr add fd00:2::1/64 dev veth3 nodad
	ip -n "$r" link set veth2 up
	ip -n "$b" link set veth3 up
	ip -n "$a" route add default via 10.0.1.254
	ip -n "$b" route add default via 10.0.2.254
	ip -n "$a" -6 route add default via fd00:1::fe
	ip -n "$b" -6 route add default via fd00:2::fe
	ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "$r" sysctl -qw net.ipv6.conf.all.forwarding=1
	# a veth hands each packet to the backlog of the CPU that sent it, so
	# two of a flow's packets sent from two CPUs can reach R swapped: a
	# reordering no NIC makes (RSS keeps a flow on one queue). R takes
	# each port's packets on one CPU, in the order they were sent.
	ip netns exec "$r" sh -c 'for q in /sys/class/net/veth[12]/queues/rx-*; do
		echo 1 > "$q/rps_cpus"; done'
}

# tcpstate_stat NS NAME: one counter of /proc/net/tcpstate/stats in NS.
tcpstate_stat()
{
	ip netns exec "$1" awk -v k="$2" '$1 == k { print $2; f = 1 }
		END { exit !f }' /proc/net/tcpstate/stats
}

# The conservation law of the table: every flow created is still there or
# was evicted, expired or flushed.
balanced()
{
	local ns=$1 c e x f n
	c=$(tcpstate_stat "$ns" flows_created)
	e=$(tcpstate_stat "$ns" flows_evicted)
	x=$(tcpstate_stat "$ns" flows_expired)
	f=$(tcpstate_stat "$ns" flows_flushed)
	n=$(tcpstate_stat "$ns" flows)
	[ "$c" -eq $((n + e + x + f)) ]
}

# config_set NS NAME VALUE...: the CLI's `config set` in NS, or fail.
config_set()
{
	local ns=$1
	shift
	ip netns exec "$ns" "$SELFTESTS/../tools/tcpstate" config set "$@" \
		> /dev/null || fail "config set $* in $ns"
}

# keep_ended_flows NS...: in each NS an ended flow stays listed for 10 min
# (not timeout_closed_ms or timeout_time_wait_ms), however slow the checks
# after it are.
keep_ended_flows()
{
	local ns
	for ns; do
		config_set "$ns" timeout_closed_ms 600000 timeout_time_wait_ms 600000
	done
}

# nstat_abs NS COUNTER: the kernel's own SNMP counter in NS.
nstat_abs()
{
	ip netns exec "$1" nstat -saz "$2" | awk -v k="$2" '$1 == k { print $2 }'
}

# softnet_drops: packets every CPU's input backlog had no room for (all
# namespaces: /proc/net/softnet_stat is global). A veth peer's packets
# wait there before IP sees them; a starved guest can overflow it.
softnet_drops()
{
	local n=0 d
	for d in $(awk '{ print $2 }' /proc/net/softnet_stat); do
		n=$((n + 16#$d))
	done
	echo $n
}

# count_port NS PORT: an nft rule in NS's prerouting, after tcpstate's hook,
# counts the TCP segments to PORT that reach IP; counted NS reads it.
count_port()
{
	ip netns exec "$1" nft -f - <<-NFT
	table inet count {
		chain pre {
			type filter hook prerouting priority 0;
			tcp dport $2 counter
		}
	}
	NFT
}

counted()
{
	ip netns exec "$1" nft list chain inet count pre |
		awk '/counter packets/ { for (i = 1; i < NF; i++)
			if ($i == "packets") print $(i + 1) }'
}

# tx_dropped NS DEV: what DEV could not hand on. For a veth, the packets
# its peer's input backlog had no room for (a starved guest can overflow it).
tx_dropped()
{
	ip netns exec "$1" cat "/sys/class/net/$2/statistics/tx_dropped"
}

# flood_dropped A D0: SYNs A's veth0 dropped since tx_dropped said D0.
flood_dropped()
{
	echo $(($(tx_dropped "$1" veth0) - $2))
}

# all_accounted N A B D0: N segments sent from A to B were each counted by
# count_port in B or dropped by A's veth0 (flood_dropped A D0).
all_accounted()
{
	[ $(($(counted "$3") + $(flood_dropped "$2" "$4"))) -ge "$1" ]
}

# unanswered A B PORT: spoofed SYNs from 10.9/16 sent in A reach B (A's
# veth0 to B's veth1) and die at B's input for PORT, unanswered: each one
# stays a half-open flow (S0) in both.
unanswered()
{
	ip -n "$1" route add 10.9.0.0/16 dev veth0
	ip -n "$2" route add 10.9.0.0/16 dev veth1
	ip netns exec "$2" nft -f - <<-NFT
	table inet t {
		chain in {
			type filter hook input priority 0;
			tcp dport $3 drop
		}
	}
	NFT
}

# syn_flood_counted A B PORT N: N spoofed SYNs (from 10.9/16) from A to
# PORT at B's 10.0.1.2 (two_hosts, veth0 in A); waits until each one
# reached IP in B (counted B) or was dropped by veth0 before B's input.
# Fails unless those add up to N exactly and half of them reached B.
syn_flood_counted()
{
	local d0 n dropped
	count_port "$2" "$3"
	d0=$(tx_dropped "$1" veth0)
	run ip netns exec "$1" "$SYNFLOOD" -n "$4" 10.9.0.0 10.0.1.2 "$3"
	busywait 600000 all_accounted "$4" "$1" "$2" "$d0"
	n=$(counted "$2")
	dropped=$(flood_dropped "$1" "$d0")
	diag "$n of $4 SYNs reached IP in $2, $dropped dropped by veth0 before"
	# veth0 may also drop a neighbour or MLD message of its own
	[ "$n" -le "$4" ] && [ $((n + dropped)) -ge "$4" ] ||
		fail "$n SYNs reached $2 and $dropped were dropped, of $4"
	[ "$n" -ge $(($4 / 2)) ] || fail "only $n of $4 SYNs reached $2"
}

# steady COMMAND...: the benchmarks' warm-up. Runs COMMAND, which prints a
# count, until two runs in a row agree within 1% (at most 8 runs): the
# first short-connection runs after boot complete far fewer connections.
steady()
{
	local prev=0 n i
	for ((i = 1; i <= 8; i++)); do
		n=$("$@")
		echo "# warm-up run $i: $n"
		[ $((n * 100)) -ge $((prev * 99)) ] &&
			[ $((n * 100)) -le $((prev * 101)) ] && return 0
		prev=$n
	done
}

# no_tcp_sockets NS: nothing but listeners left in NS (the wire is quiet).
no_tcp_sockets()
{
	[ -z "$(ip netns exec "$1" ss -Htan state all exclude listening)" ]
}

# The kernel-report patterns the VM runner fails on.
SPLAT_RE=$(cat "$(dirname "${BASH_SOURCE[0]}")/vm/splat.re")

# kernel_clean: no kernel report since the last call (tests call it after
# each step that could upset the kernel; run_test calls it after each test).
KMSG_SEEN=0
kernel_clean()
{
	local lines new
	lines=$(dmesg | wc -l)
	new=$(dmesg | tail -n +$((KMSG_SEEN + 1)))
	KMSG_SEEN=$lines
	if grep -Eq "$SPLAT_RE" <<< "$new"; then
		echo "kernel log:" >&2
		echo "$new" >&2
		return 1
	fi
}

# ktap_suite NAME COMMAND...: run a KTAP program as a subtest, indented,
# adding its closing "N passed, N failed[, N skipped]" to the totals.
# A program that dies before that line counts as one more failure.
ktap_suite()
{
	local name=$1 out rc p f s start=$SECONDS
	shift
	out=$(mktemp)
	KTAP_NR=$((KTAP_NR + 1))
	echo "# Subtest: $name"
	"$@" 2>&1 | tee "$out" | sed -u 's/^/    /'
	rc=${PIPESTATUS[0]}
	echo "# $name took $((SECONDS - start)) s"
	read -r p f s < <(tail -n 1 "$out" | sed -n \
		's/^\([0-9]*\) passed, \([0-9]*\) failed\(, \([0-9]*\) skipped\)\{0,1\}$/\1 \2 \4/p')
	rm -f "$out"
	if [ -z "$p" ]; then
		p=0 f=1 s=0
		echo "# $name ended (status $rc) without its totals line"
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "# $name exited with status $rc"
	fi
	KTAP_PASS=$((KTAP_PASS + p))
	KTAP_FAIL=$((KTAP_FAIL + f))
	KTAP_SKIP=$((KTAP_SKIP + ${s:-0}))
	if [ "$f" -eq 0 ]; then
		echo "ok $KTAP_NR $name"
	else
		echo "not ok $KTAP_NR $name"
	fi
}

# two_hosts: namespaces a and b on a veth pair, a 10.0.1.1 fd00:1::1,
# b 10.0.1.2 fd00:1::2.
two_hosts()
{
	setup_ns a b
	veth_pair "$a" 10.0.1.1 "$b" 10.0.1.2 fd00:1::1 fd00:1::2
}

# addresses FAMILY: sets CA (client, a) and SA (server, b) for that family.
addresses()
{
	if [ "$1" = 6 ]; then CA=fd00:1::1 SA=fd00:1::2; else CA=10.0.1.1 SA=10.0.1.2; fi
}

# drop_acks NS PORT [input]: segments to PORT carrying neither SYN, FIN nor
# RST are dropped as they leave NS, before tcpstate's egress hook sees
# them; with `input`, as they reach NS's sockets, after its ingress hook.
drop_acks()
{
	local hook=${3:-output}
	ip netns exec "$1" nft -f - <<-NFT
	table inet t {
		chain c {
			type filter hook $hook priority 0;
			tcp dport $2 tcp flags & (fin|syn|rst) == 0 drop
		}
	}
	NFT
}

# listener_field NS PORT NAME: one column of the listeners line.
listener_field()
{
	proc_cols "$1" listeners "$3" port="$2"
}

# _prom_still NS DIR [--destinations]: the JSON dumps taken before and
# after `stats --prometheus` are the same (nothing moved in between).
_prom_still()
{
	local ns=$1 d=$2 dests=$3 tool="$SELFTESTS/../tools/tcpstate"
	ip netns exec "$ns" "$tool" listeners -j > "$d/l1"
	[ -z "$dests" ] || ip netns exec "$ns" "$tool" destinations -j > "$d/d1"
	ip netns exec "$ns" "$tool" stats --prometheus $dests > "$d/prom"
	ip netns exec "$ns" "$tool" listeners -j > "$d/l2"
	[ -z "$dests" ] || ip netns exec "$ns" "$tool" destinations -j > "$d/d2"
	cmp -s "$d/l1" "$d/l2" && { [ -z "$dests" ] || cmp -s "$d/d1" "$d/d2"; }
}

# prom_agrees NS [--destinations]: `stats --prometheus` passes promtool's
# lint and its listener (and destination) series are the JSON dumps'.
prom_agrees()
{
	local d
	d=$(mktemp -d)
	busywait 30000 _prom_still "$1" "$d" "${2:-}" ||
		{ rm -rf "$d"; fail "prometheus: the tables never stood still"; }
	promtool check metrics < "$d/prom" > "$d/lint" 2>&1 ||
		{ cat "$d/lint"; rm -rf "$d"; fail "promtool check metrics"; }
	python3 "$SELFTESTS/prom_check.py" "$d/prom" "$d/l1" \
		${2:+"$d/d1"} || { rm -rf "$d"; fail "prometheus != JSON"; }
	# and the comparison can fail: one listener's SYNs off by one
	awk '!done && /^tcpstate_listener_syns_total/ { $2++; done = 1 } 1' \
		"$d/prom" > "$d/bad"
	! python3 "$SELFTESTS/prom_check.py" "$d/bad" "$d/l1" 2> /dev/null ||
		{ rm -rf "$d"; fail "prom_check.py missed a wrong value"; }
	rm -rf "$d"
}

# syn_recv_count NS PORT: requests in NS's SYN queue for PORT, by ss.
syn_recv_count()
{
	ip netns exec "$1" ss -Htan state syn-recv "sport = :$2" | wc -l
}

# listening NS PORT: a TCP socket listens on PORT in NS.
listening()
{
	[ -n "$(ip netns exec "$1" ss -Htln "sport = :$2")" ]
}

# --- sockets held open by selftests/tcpctl.py, one step at a time ---------
# ctl_start NAME NS: a controller in NS. ctl NAME CMD...: run CMD there and
# wait for it; its extra output lands in CTL_REPLY.
# ctl_start NAME NS CGROUP UID: the controller runs in CGROUP as UID.
ctl_start()
{
	local name=$1 ns=$2 cg=$3 uid=$4 dir fd
	local run=(ip netns exec "$ns")
	dir=$(mktemp -d)
	mkfifo "$dir/in"
	: > "$dir/out"
	if [ -n "$cg" ]; then
		chmod 755 "$dir"
		chmod 666 "$dir/in" "$dir/out"
		run=(sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$cg"
		     "${run[@]}" setpriv --reuid="$uid" --regid="$uid"
		     --clear-groups)
	fi
	"${run[@]}" python3 "$SELFTESTS/tcpctl.py" "$dir/in" "$dir/out" &
	exec {fd}>"$dir/in"
	eval "CTL_${name}_dir=$dir CTL_${name}_fd=$fd CTL_${name}_n=0"
}

ctl()
{
	local name=$1 dir fd n line
	shift
	eval "dir=\$CTL_${name}_dir fd=\$CTL_${name}_fd n=\$CTL_${name}_n"
	n=$((n + 1))
	eval "CTL_${name}_n=$n"
	echo "  $name: $*"
	echo "$*" >&"$fd"
	busywait 30000 grep -q "^$n " "$dir/out"
	line=$(grep "^$n " "$dir/out")
	case "$line" in
	"$n ok"*) CTL_REPLY=${line#"$n ok"}; CTL_REPLY=${CTL_REPLY# } ;;
	*) fail "$name: $*: ${line#"$n "}" ;;
	esac
}

# wire_quiet NS...: no TCP segment sent or received there for 300 ms,
# by the kernel's own counters.
wire_quiet()
{
	local before after
	before=$(for ns in "$@"; do ip netns exec "$ns" nstat -saz TcpInSegs \
		TcpOutSegs TcpRetransSegs; done)
	sleep 0.3
	after=$(for ns in "$@"; do ip netns exec "$ns" nstat -saz TcpInSegs \
		TcpOutSegs TcpRetransSegs; done)
	[ "$before" = "$after" ]
}

# ss_state NS LPORT RADDR RPORT: the RFC 793 name of the socket's state as
# ss shows it, CLOSED when there is no such socket.
ss_state()
{
	local s
	s=$(ip netns exec "$1" ss -Htan state all \
		"( sport = :$2 and dport = :$4 )" | awk -v r="$3" \
		'{ p = $5; sub(/:[0-9]+$/, "", p); gsub(/[][]/, "", p)
		   if (p == r) { print $1; exit } }')
	case "$s" in
	ESTAB) echo ESTABLISHED ;;
	SYN-RECV) echo SYN_RECEIVED ;;
	""|UNCONN|CLOSE) echo CLOSED ;;
	*) echo "$s" | tr - _ ;;
	esac
}

# table_cols "COLUMN..." [COLUMN=VALUE...] < TABLE: the named columns of
# a table whose first line names them (as the files of /proc/net/tcpstate),
# of each row whose named columns hold those values. A name the header
# lacks fails.
table_cols()
{
	local cols=$1
	shift
	awk -v cols="$cols" -v where="$*" '
	function col(name) {
		if (!(name in at)) {
			print "no column \"" name "\"" > "/dev/stderr"
			bad = 1
			exit 2
		}
		return at[name]
	}
	NR == 1 {
		for (i = 1; i <= NF; i++)
			at[$i] = i
		n = split(cols, want, " ")
		for (i = 1; i <= n; i++)
			want[i] = col(want[i])
		m = split(where, w, " ")
		for (i = 1; i <= m; i++) {
			eq = index(w[i], "=")
			wc[i] = col(substr(w[i], 1, eq - 1))
			wv[i] = substr(w[i], eq + 1)
		}
		next
	}
	{
		for (i = 1; i <= m; i++)
			if ($wc[i] != wv[i])
				next
		line = $want[1]
		for (i = 2; i <= n; i++)
			line = line " " $want[i]
		print line
	}
	END { exit bad ? 2 : 0 }'
}

# proc_cols NS FILE "COLUMN..." [COLUMN=VALUE...]: table_cols of
# /proc/net/tcpstate/FILE in NS.
proc_cols()
{
	local ns=$1 file=$2
	shift 2
	ip netns exec "$ns" cat "/proc/net/tcpstate/$file" | table_cols "$@"
}

# flow_line NS ADDR1 PORT1 ADDR2 PORT2 "COLUMN...": those columns of the
# connection's flows line (either way round), prefixed with "c" or "s":
# which one ADDR1:PORT1 is.
flow_line()
{
	local cols=${6:-client_state server_state} t
	t=$(ip netns exec "$1" cat /proc/net/tcpstate/flows)
	{
		table_cols "$cols" client="$2" cport="$3" server="$4" sport="$5" \
			<<< "$t" | sed 's/^/c /'
		table_cols "$cols" client="$4" cport="$5" server="$2" sport="$3" \
			<<< "$t" | sed 's/^/s /'
	} | head -n 1
}

# tcpstate_state NS LADDR LPORT RADDR RPORT: the local endpoint's state.
tcpstate_state()
{
	local l
	l=$(flow_line "$@" | head -n 1)
	[ -n "$l" ] || { echo ABSENT; return; }
	set -- $l
	if [ "$1" = c ]; then echo "$2"; else echo "$3"; fi
}

# flow_field NS ADDR1 PORT1 ADDR2 PORT2 NAME: one column of the flows line.
flow_field()
{
	flow_line "$1" "$2" "$3" "$4" "$5" "$6" | head -n 1 | cut -d' ' -f2
}

# check_endpoint NS LADDR LPORT RADDR RPORT: tcpstate says what ss says.
check_endpoint()
{
	assert_eq "$1 $2:$3 (ss)" "$(ss_state "$1" "$3" "$4" "$5")" \
		"$(tcpstate_state "$@")"
}

SELFTESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MODULE=$(cd "$SELFTESTS/.." && pwd)/module/tcpstate.ko

# reload_module [PARAM=VALUE...]: tcpstate.ko again, with these parameters.
reload_module()
{
	rmmod tcpstate
	run insmod "$MODULE" "$@"
}

# tcpstate_object NAME: a line of debugfs tcpstate/objects, the host's
# totals (namespaces, flows, flow_objects, flows_shared, listeners,
# listener_objects, listeners_shared), for the initial namespace's root.
TCPSTATE_OBJECTS=/sys/kernel/debug/tcpstate/objects
tcpstate_object()
{
	awk -v k="$1" '$1 == k { print $2; f = 1 } END { exit !f }' \
		"$TCPSTATE_OBJECTS"
}

# no_leaks: every flow and listener object allocated is in the table of a
# namespace that still exists. A namespace that ended has freed all of its
# own (one the kernel keeps alive for its orphaned sockets still counts);
# wait out exit work and RCU-deferred frees.
no_leaks()
{
	[ -r "$TCPSTATE_OBJECTS" ] || return 0
	busywait 60000 objects_in_tables || {
		echo "leak: $(tr '\n' ' ' < "$TCPSTATE_OBJECTS")"
		return 1
	}
}

objects_in_tables()
{
	awk '{ v[$1] = $2 } END {
		exit !(v["flow_objects"] == v["flows"] &&
		       v["listener_objects"] == v["listeners"]) }' \
		"$TCPSTATE_OBJECTS"
}

# wait_eq TIMEOUT_MS EXPECTED COMMAND...: until COMMAND prints EXPECTED
# (the command runs again each time; `busywait test "$(...)"` would not).
wait_eq()
{
	local timeout_ms=$1 want=$2
	shift 2
	busywait "$timeout_ms" _output_is "$want" "$@"
}

# wait_ge TIMEOUT_MS MIN COMMAND...: until COMMAND prints a number >= MIN.
wait_ge()
{
	local timeout_ms=$1 min=$2
	shift 2
	busywait "$timeout_ms" _output_ge "$min" "$@"
}

_output_is()
{
	local want=$1
	shift
	[ "$("$@")" = "$want" ]
}

_output_ge()
{
	local min=$1 got
	shift
	got=$("$@")
	[ -n "$got" ] && [ "$got" -ge "$min" ]
}

# TESTS=(name function ...); ktap_select [NAME...]; ktap_run: run the
# tests named on the command line, or all of them.
ktap_select()
{
	local i sel=()
	for ((i = 0; i < ${#TESTS[@]}; i += 2)); do
		if [ $# -eq 0 ] || [[ " $* " == *" ${TESTS[i]} "* ]]; then
			sel+=("${TESTS[i]}" "${TESTS[i + 1]}")
		fi
	done
	TESTS=("${sel[@]}")
	ktap_plan $((${#TESTS[@]} / 2))
}

ktap_run()
{
	local i
	for ((i = 0; i < ${#TESTS[@]}; i += 2)); do
		run_test "${TESTS[i]}" "${TESTS[i + 1]}"
	done
	ktap_finish
}

# --- faults through the kernel's framework (fail_function) ----------------
FAIL_FUNCTION=/sys/kernel/debug/fail_function

# fail_function FUNC INTERVAL [RETVAL]: from now on every INTERVALth call
# of tcpstate's FUNC fails (returns RETVAL, 0 for a NULL pointer), until
# fail_function_off. Skips the test on a kernel without fail_function
# (Debian's release kernels; make check-debug has it).
fail_function()
{
	[ -d "$FAIL_FUNCTION" ] ||
		skip "no fail_function in this kernel (CONFIG_FAIL_FUNCTION): make check-debug"
	defer fail_function_off
	echo "$1" > "$FAIL_FUNCTION/inject"
	# an errno as the unsigned long the function would return
	printf '%u\n' "${3:-0}" > "$FAIL_FUNCTION/$1/retval"
	echo 100 > "$FAIL_FUNCTION/probability"
	echo "$2" > "$FAIL_FUNCTION/interval"
	echo -1 > "$FAIL_FUNCTION/times"
	echo 0 > "$FAIL_FUNCTION/space"
	echo 0 > "$FAIL_FUNCTION/verbose"
}

fail_function_off()
{
	[ -d "$FAIL_FUNCTION" ] && echo > "$FAIL_FUNCTION/inject"
	return 0
}
