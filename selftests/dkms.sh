#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms.sh [--kernel KREL]: dkms.conf works: `dkms add` and `dkms build` of
# the source tree against the installed headers, in a private dkms tree.
cd "$(dirname "$0")/.." || exit 1
source selftests/lib.sh

krel=${2:-$(uname -r)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

test_dkms_build()
{
	local version ko
	checktool dkms
	version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
	mkdir -p "$tmp/src/tcpstate-$version" "$tmp/tree"
	git ls-files --cached --others --exclude-standard -z |
		xargs -0 cp --parents -t "$tmp/src/tcpstate-$version"
	dk=(--sourcetree "$tmp/src" --dkmstree "$tmp/tree")
	run dkms add -m tcpstate -v "$version" "${dk[@]}"
	run dkms build -m tcpstate -v "$version" -k "$krel" "${dk[@]}" ||
		{ cat "$tmp"/tree/tcpstate/"$version"/build/make.log; false; }
	ko=$(find "$tmp/tree/tcpstate/$version/$krel" -name 'tcpstate.ko*' | head -n 1)
	[ -n "$ko" ] || fail "dkms built no tcpstate.ko"
	assert_eq "vermagic" "$krel" "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)"
}

ktap_plan 1
run_test dkms_add_build test_dkms_build
ktap_finish
