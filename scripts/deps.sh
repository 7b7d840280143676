#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deps.sh [KVER]: install, only when missing, the Debian packages tcpstate
# needs to build, test and demo. Without root, print the command to run.
set -euo pipefail

kver=${1:-}
pkgs=(
	make gcc libc6-dev clang libclang-rt-14-dev valgrind bc sparse kmod cpio xz-utils
	linux-image-amd64 linux-headers-amd64 linux-source
	qemu-system-x86 busybox-static
	libmnl-dev libpcap-dev
	iproute2 socat iperf3 python3 python3-scapy python3-yaml tcpdump conntrack nftables
	dkms
)
# A kernel asked for by version (for example one from bookworm-backports).
if [ -n "$kver" ] && [ ! -d "/lib/modules/$kver/build" ]; then
	pkgs+=("linux-image-$kver" "linux-headers-$kver")
fi

missing=()
for p in "${pkgs[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	[ "${status:0:2}" = ii ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" != 0 ]; then
	echo "tcpstate needs these Debian packages; as root, run:" >&2
	echo "  apt-get update && $cmd" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
$cmd -qq
