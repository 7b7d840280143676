#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deps.sh [KVER]: install, only when missing, the Debian packages tcpstate
# needs to build, test and demo. Without root, print the command to run.
# A KVER that only bookworm-backports has (Debian's 6.12 kernels) enables
# backports from the Debian mirror this machine's apt sources already use.
set -euo pipefail

kver=${1:-}
backports_list=/etc/apt/sources.list.d/tcpstate-backports.sources

# The mirror URI of this machine's bookworm main suite, from deb822 or
# one-line sources.
debian_uri() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk '/^URIs:/ { u = $2 } /^Suites:/ && / bookworm( |$)/ { print u; exit }
		     /^$/ { u = "" }' "$f"
	done
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk '$1 == "deb" && $3 == "bookworm" { print $2 }'
}

enable_backports() {
	local uri
	[ -e "$backports_list" ] && return 0
	uri=$(debian_uri | head -n 1)
	if [ -z "$uri" ]; then
		echo "deps: no bookworm entry in the apt sources to take a mirror from" >&2
		exit 1
	fi
	echo "deps: enabling bookworm-backports from $uri"
	printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
		"$uri" > "$backports_list"
}
pkgs=(
	make gcc libc6-dev flex bison libelf-dev libssl-dev clang libclang-rt-14-dev valgrind bc sparse kmod cpio xz-utils
	linux-image-amd64 linux-headers-amd64 linux-source
	qemu-system-x86 busybox-static
	libmnl-dev libpcap-dev
	iproute2 ethtool socat iperf3 python3 python3-scapy python3-yaml tcpdump conntrack nftables
	dkms prometheus curl libmicrohttpd-dev
	# the kernel's ynl and its schemas (tests run the spec through them)
	linux-source-6.12 python3-jsonschema
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
# a package only bookworm-backports has: enable it from this machine's mirror
for p in "${missing[@]}"; do
	if ! apt-cache show "$p" >/dev/null 2>&1; then
		enable_backports
		apt-get update -qq
		break
	fi
done
# shellcheck disable=SC2086
$cmd -qq
