#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm-tests.sh [SUITE...]: the VM selftests (selftests/tcpstate_SUITE.sh) in
# this boot, every one unless some are named.
cd "$(dirname "$0")/.." || exit 1
source selftests/lib.sh

tests=()
if [ $# -eq 0 ]; then
	tests=(selftests/tcpstate_*.sh)
else
	for s in "$@"; do
		[ -r "selftests/tcpstate_$s.sh" ] || { echo "no suite '$s'" >&2; exit 2; }
		tests+=("selftests/tcpstate_$s.sh")
	done
fi
ktap_plan ${#tests[@]}
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	ktap_suite "${name#tcpstate_}" "$t"
done
ktap_finish
