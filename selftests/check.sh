#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh [--kernel KREL]: every test of tcpstate, as one KTAP report
# ending in "N passed, N failed[, N skipped]". Host suites first, then the
# VM selftests in one boot.
cd "$(dirname "$0")/.." || exit 1
source selftests/lib.sh

kernel=()
[ "${1:-}" = --kernel ] && kernel=(--kernel "$2")

ktap_plan 4
ktap_suite static selftests/static.sh
ktap_suite dkms selftests/dkms.sh "${kernel[@]}"
ktap_suite vm-runner selftests/vm/test-runner.sh "${kernel[@]}"
ktap_suite vm selftests/vm/run.sh "${kernel[@]}" -- selftests/vm-tests.sh
ktap_finish
