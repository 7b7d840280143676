#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh KVER OUT [ROOT]: a tiny initramfs (busybox-static and the modules
# that mount the host's root over virtio-9p) for the selftest VM. ROOT is
# where the kernel's /lib/modules lives (the debug kernel's cache); modules
# built into the kernel are skipped.
set -euo pipefail

kver=$1
out=$2
kroot=${3:-/}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work"/{bin,dev,proc,sys,newroot,lib/modules}
cp /bin/busybox "$work/bin/busybox"
cp "$here/initramfs-init" "$work/init"
chmod 755 "$work/init"

# Modules in dependency order; decompress them, busybox insmod reads plain .ko.
for mod in virtio_pci 9pnet_virtio 9p; do
	modprobe -d "$kroot" -S "$kver" --show-depends "$mod"
done | awk '$1 == "insmod" { print $2 }' | awk '!seen[$0]++' |
while read -r path; do
	name=$(basename "$path")
	case "$name" in
	*.ko.xz)  xz -dc "$path" > "$work/lib/modules/${name%.xz}"; name=${name%.xz} ;;
	*.ko.zst) zstd -qdc "$path" > "$work/lib/modules/${name%.zst}"; name=${name%.zst} ;;
	*.ko.gz)  gzip -dc "$path" > "$work/lib/modules/${name%.gz}"; name=${name%.gz} ;;
	*)        cp "$path" "$work/lib/modules/$name" ;;
	esac
	echo "$name" >> "$work/lib/modules/order"
done

mkdir -p "$(dirname "$out")"
touch "$work/lib/modules/order"
(cd "$work" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.$$"
mv "$out.$$" "$out"
