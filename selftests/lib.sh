#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lib.sh: KTAP output and network-namespace helpers for tcpstate's
# selftests, in the manner of tools/testing/selftests/net/lib.sh.
#
# A test is a shell function run in a subshell under `set -e`, so each
# assertion is a plain line; its output is shown only when it fails.

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
	local name=$1 log rc
	shift
	log=$(mktemp)
	KTAP_NR=$((KTAP_NR + 1))
	( set -e; "$@" ) > "$log" 2>&1
	rc=$?
	if [ -n "${TCPSTATE_IN_VM:-}" ] && ! kernel_clean >> "$log" 2>&1; then
		rc=1
	fi
	if [ $rc -eq 0 ]; then
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

# busywait TIMEOUT_MS COMMAND...: retry until COMMAND succeeds.
busywait()
{
	local timeout_ms=$1 start now
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
	for ns in "${NS_LIST[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$ns" 2>/dev/null
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

# tcpstate_stat NS NAME: one counter of /proc/net/tcpstate/stats in NS.
tcpstate_stat()
{
	ip netns exec "$1" awk -v k="$2" '$1 == k { print $2; f = 1 }
		END { exit !f }' /proc/net/tcpstate/stats
}

# nstat_abs NS COUNTER: the kernel's own SNMP counter in NS.
nstat_abs()
{
	ip netns exec "$1" nstat -saz "$2" | awk -v k="$2" '$1 == k { print $2 }'
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
	local name=$1 out rc p f s
	shift
	out=$(mktemp)
	KTAP_NR=$((KTAP_NR + 1))
	echo "# Subtest: $name"
	"$@" 2>&1 | tee "$out" | sed -u 's/^/    /'
	rc=${PIPESTATUS[0]}
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

# listening NS PORT: a TCP socket listens on PORT in NS.
listening()
{
	[ -n "$(ip netns exec "$1" ss -Htln "sport = :$2")" ]
}
