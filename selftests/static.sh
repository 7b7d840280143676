#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# static.sh: the module builds without a warning, sparse (C=2) reports
# nothing, checkpatch --strict is clean, the tool builds with -Werror.
cd "$(dirname "$0")/.." || exit 1
source selftests/lib.sh

test_sparse()
{
	local out
	out=$(make -s sparse 2>&1) || { echo "$out"; fail "make sparse"; }
	! grep -E 'warning:|error:' <<< "$out" || fail "sparse reports"
}

test_checkpatch()
{
	local out
	out=$(make -s checkpatch 2>&1) || { echo "$out"; fail "checkpatch"; }
	[ -z "$(grep -E 'ERROR|WARNING|CHECK' <<< "$out")" ] || {
		echo "$out"; fail "checkpatch reports"; }
}

test_build_warnings()
{
	local out
	touch module/*.c tools/*.c
	out=$(make -s all 2>&1) || { echo "$out"; fail "build"; }
	! grep -E 'warning:' <<< "$out" || fail "the build warns"
}

# The uapi header is what the kernel's ynl-gen-c makes of the spec, and a
# spec that says otherwise would be caught.
test_uapi_generated()
{
	local tmp
	scripts/uapi-gen.sh | diff -u include/uapi/tcpstate.h - ||
		fail "include/uapi/tcpstate.h is not what spec/tcpstate.yaml gives: make uapi"
	tmp=$(mktemp)
	sed 's/^        name: syn-retrans$/        name: syn-retransmits/' spec/tcpstate.yaml > "$tmp"
	! SPEC="$tmp" scripts/uapi-gen.sh | diff -q include/uapi/tcpstate.h - > /dev/null ||
		{ rm -f "$tmp"; fail "a changed spec gave the same header"; }
	rm -f "$tmp"
}

# The counters are the spec's: a u64 attribute more in its stats set is a
# counter more.
test_stats_generated()
{
	local tmp
	scripts/stats-gen.py | diff -u module/stats.h - ||
		fail "module/stats.h is not what spec/tcpstate.yaml gives: make uapi"
	tmp=$(mktemp)
	sed 's/^        name: keepalives$/        name: keepalive-probes/' spec/tcpstate.yaml > "$tmp"
	scripts/stats-gen.py "$tmp" | grep -q '^TCPSTATE_STAT(KEEPALIVE_PROBES, "keepalive_probes",$' ||
		{ rm -f "$tmp"; fail "a renamed counter did not change stats.h"; }
	rm -f "$tmp"
}

ktap_plan 5
run_test uapi_generated_from_spec test_uapi_generated
run_test stats_generated_from_spec test_stats_generated
run_test sparse_clean test_sparse
run_test checkpatch_strict_clean test_checkpatch
run_test build_without_warnings test_build_warnings
ktap_finish
