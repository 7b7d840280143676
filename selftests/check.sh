#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh [--kernel KREL]: every test of tcpstate, as one KTAP report
# ending in "N passed, N failed[, N skipped]". Host suites first (the fsm's
# unit tests, pcap replay, a bounded fuzz run, static checks, DKMS, the VM
# runner's own tests), then the VM selftests in one boot.
cd "$(dirname "$0")/.." || exit 1
source selftests/lib.sh

kernel=()
[ "${1:-}" = --kernel ] && kernel=(--kernel "$2")

ktap_plan 7
ktap_suite fsm-unit make -s -C selftests/unit check
ktap_suite replay selftests/replay/test_replay.sh
ktap_suite fsm-fuzz selftests/unit/fuzz-check.sh
ktap_suite static selftests/static.sh
ktap_suite dkms selftests/dkms.sh "${kernel[@]}"
ktap_suite vm-runner selftests/vm/test-runner.sh "${kernel[@]}"
ktap_suite vm selftests/vm/run.sh "${kernel[@]}" -- selftests/vm-tests.sh
ktap_finish
