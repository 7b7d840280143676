#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh [run.sh OPTIONS]: `make bench`. Boots ONE VM with instruction-
# count time (--icount: one vCPU, guest time = instructions executed, so
# rates are repeatable whatever the host is doing), runs guest.sh there,
# and turns its samples into a table and bench/results/bench-<date>.json
# (the raw log beside it). BENCH_* variables (see guest.sh) pass through.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"

out=bench/results/bench-$(date +%Y%m%d-%H%M%S)
mkdir -p bench/results
vars=$(env | grep '^BENCH_' | tr '\n' ' ' || true)

# slub_nomerge: each slab cache on its own line of /proc/slabinfo.
start=$(date +%s)
selftests/vm/run.sh "$@" --icount --no-module --append slub_nomerge \
	--timeout 3600 -- env $vars selftests/bench/guest.sh | tee "$out.log"
echo "# host: $(($(date +%s) - start)) s for the VM run" | tee -a "$out.log"
python3 selftests/bench/report.py "$out.log" "$out.json"
