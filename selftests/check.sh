#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh [--kernel KREL] [--smp N] [--mem MB] [--timeout S]
# [--append ARGS] [--vm-only] [SUITE...]:
# every test of tcpstate, as one KTAP report ending in "N passed, N failed
# [, N skipped]": the host suites (static checks first, then, while the VMs
# run, the fsm's unit tests and mutants, pcap replay, the build on a fresh
# machine, DKMS, the VM runner's own tests, a bounded fuzz run) and the VM
# suites (every one, or those named), split over two VMs side by side. A VM
# keeps about one core busy, and a suite needs a kernel to itself (it
# reloads the module, counts the objects of all namespaces). --vm-only
# leaves out the host suites (make check-debug).
cd "$(dirname "$0")/.." || exit 1
source selftests/lib.sh

kernel=()
vmopt=()
host=1
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=(--kernel "$2"); shift 2 ;;
	--mem|--timeout|--smp|--append) vmopt+=("$1" "$2"); shift 2 ;;
	--vm-only) host=0; shift ;;
	*) break ;;
	esac
done

# Seconds each suite took here in one of two VMs side by side, each with
# one vCPU, to balance the lanes.
declare -A COST=([tracker]=435 [wire]=617 [faults]=149 [netlink]=338 [hostile]=324
		 [pipeline]=42 [eviction]=22 [corners]=193)

# split SUITE...: LANE[0] and LANE[1], the longest suite first into the
# lane with less to do.
split()
{
	local s load=(0 0) i
	LANE=("" "")
	for s in $(for t; do echo "${COST[$t]:-60} $t"; done | sort -rn | cut -d' ' -f2); do
		i=0
		[ "${load[1]}" -lt "${load[0]}" ] && i=1
		LANE[i]+=" $s"
		load[i]=$((load[i] + ${COST[$s]:-60}))
	done
}

suites=("$@")
if [ ${#suites[@]} -eq 0 ]; then
	for s in selftests/tcpstate_*.sh; do
		s=${s#selftests/tcpstate_}
		suites+=("${s%.sh}")
	done
fi
for s in "${suites[@]}"; do
	[ -r "selftests/tcpstate_$s.sh" ] || { echo "no suite '$s'" >&2; exit 2; }
done
split "${suites[@]}"

# show_lane FILE STATUS: what a VM in the background printed, and its status.
show_lane() { cat "$1"; return "$2"; }

lanes=0
for i in 0 1; do [ -n "${LANE[i]}" ] && lanes=$((lanes + 1)); done
if [ "$host" = 1 ]; then
	ktap_plan $((8 + lanes))
	# static rebuilds module/ (sparse, warnings): before the VMs load it
	ktap_suite static selftests/static.sh
else
	ktap_plan "$lanes"
fi
# from here on nothing rebuilds the module the VMs load: the other host
# suites build in copies (build, dkms, the mutants, replay's sanitizers)
started=$SECONDS
pids=()
outs=()
for i in 0 1; do
	[ -n "${LANE[i]}" ] || continue
	outs[i]=$(mktemp)
	echo "# vm-$((i + 1)) runs in the background:${LANE[i]}"
	# shellcheck disable=SC2086
	(
		selftests/vm/run.sh "${kernel[@]}" "${vmopt[@]}" -- \
			selftests/vm-tests.sh ${LANE[i]} > "${outs[i]}" 2>&1
		rc=$?
		echo $((SECONDS - started)) > "${outs[i]}.time"
		exit $rc
	) &
	pids[i]=$!
done
if [ "$host" = 1 ]; then
	ktap_suite fsm-unit make -s -C selftests/unit check
	ktap_suite fsm-mutants selftests/unit/mutants.sh
	ktap_suite replay selftests/replay/test_replay.sh
	ktap_suite build selftests/build.sh
	ktap_suite dkms selftests/dkms.sh "${kernel[@]}"
	ktap_suite vm-runner selftests/vm/test-runner.sh "${kernel[@]}"
	ktap_suite fsm-fuzz selftests/unit/fuzz-check.sh
fi
for i in 0 1; do
	[ -n "${LANE[i]}" ] || continue
	wait "${pids[i]}"
	rc=$?
	echo "# vm-$((i + 1)) ran in the background for $(cat "${outs[i]}.time") s"
	ktap_suite "vm-$((i + 1))" show_lane "${outs[i]}" "$rc"
	rm -f "${outs[i]}" "${outs[i]}.time"
done
ktap_finish
