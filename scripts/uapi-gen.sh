#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# uapi-gen.sh: include/uapi/tcpstate.h as the kernel's own generator,
# ynl-gen-c (from Debian's linux-source-6.12, unpacked by `make ynl`),
# makes it from spec/tcpstate.yaml; on stdout. `make uapi` writes it into
# the tree; make check (selftests/static.sh) proves the committed header
# is what the spec gives. SPEC names another spec file (the tests).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
ynl=$repo/build/ynl/linux-source-6.12
if [ ! -r "$ynl/tools/net/ynl/ynl-gen-c.py" ]; then
	echo "uapi-gen: no ynl-gen-c in $ynl: run 'make ynl'" >&2
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# ynl-gen-c reads the schema in the spec's parent directory and names the
# spec by its path below the directory that holds MAINTAINERS.
mkdir "$tmp/spec"
cp "${SPEC:-$repo/spec/tcpstate.yaml}" "$tmp/spec/tcpstate.yaml"
cp "$ynl/Documentation/netlink/genetlink-legacy.yaml" "$tmp/"
touch "$tmp/MAINTAINERS"
timeout 300 python3 "$ynl/tools/net/ynl/ynl-gen-c.py" --mode uapi --header \
	--spec "$tmp/spec/tcpstate.yaml" -o "$tmp/tcpstate.h" >&2
cat "$tmp/tcpstate.h"
