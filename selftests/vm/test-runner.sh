#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test-runner.sh [--kernel KREL]: the VM runner cannot hide a failure.
# A command's non-zero status and a kernel report in the log must both
# fail the run; a clean run passes with the module loaded and the tool on
# PATH.
cd "$(dirname "$0")/../.." || exit 1
source selftests/lib.sh
RUN=(selftests/vm/run.sh "$@")

test_clean_run()
{
	local start end
	start=$(date +%s%N)
	run "${RUN[@]}" -- sh -c 'grep -q "^tcpstate " /proc/modules &&
		tcpstate stats | grep -q "^segments "'
	end=$(date +%s%N)
	echo "  boot, command and power-off: $(((end - start) / 1000000)) ms"
}

test_status_passed_through()
{
	local rc=0
	"${RUN[@]}" --no-module -- sh -c 'exit 3' || rc=$?
	assert_eq "exit status" 3 "$rc"
}

test_no_module()
{
	run "${RUN[@]}" --no-module -- sh -c '! grep -q "^tcpstate " /proc/modules'
}

test_splat_fails()
{
	local rc=0
	"${RUN[@]}" --no-module -- sh -c \
		'echo "WARNING: CPU: 0 PID: 1 at net/fake.c:1 fake+0x0/0x10" > /dev/kmsg' \
		> /dev/null 2>&1 || rc=$?
	assert_eq "exit status of a clean command after a WARN" 123 "$rc"
}

ktap_plan 4
run_test clean_run_passes test_clean_run
run_test command_status_passed_through test_status_passed_through
run_test no_module_option test_no_module
run_test kernel_warn_fails_run test_splat_fails
ktap_finish
