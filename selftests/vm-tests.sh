#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm-tests.sh: every VM selftest (selftests/tcpstate_*.sh) in this boot.
cd "$(dirname "$0")/.." || exit 1
source selftests/lib.sh

tests=(selftests/tcpstate_*.sh)
ktap_plan ${#tests[@]}
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	ktap_suite "${name#tcpstate_}" "$t"
done
ktap_finish
