#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fuzz-check.sh: the fsm's libFuzzer harness for FUZZ_SECONDS (default 60),
# as one KTAP test: any crash, sanitizer report or invariant violation
# fails it.
cd "$(dirname "$0")" || exit 1
source ../lib.sh

test_fuzz()
{
	make -s fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
}

ktap_plan 1
run_test "fuzz_fsm_${FUZZ_SECONDS:-60}s" test_fuzz
ktap_finish
