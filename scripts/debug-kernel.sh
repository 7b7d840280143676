#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-kernel.sh [--print-kdir]
#
# Builds the debug kernel `make check-debug` boots: Debian's linux-source
# with KASAN, lockdep, DEBUG_ATOMIC_SLEEP, kmemleak, failslab and the
# options the selftest VM needs built in (selftests/vm/debug.config).
# The result is cached outside the repository, in
# ${TCPSTATE_CACHE:-~/.cache/tcpstate}/debug-kernel, and rebuilt only when
# the configuration fragment or the source package changes.
# Prints the kernel build directory (a KDIR for the module) on stdout.
set -euo pipefail
trap 'echo "debug-kernel: failed at line $LINENO" >&2' ERR

repo=$(cd "$(dirname "$0")/.." && pwd)
fragment=$repo/selftests/vm/debug.config
# Debian's default kernel source (what the linux-source package depends
# on), not another one installed beside it (linux-source-6.12, for ynl).
ver=$(dpkg-query -W -f='${Depends}' linux-source 2>/dev/null |
	sed -n 's/.*linux-source-\([0-9.]*\).*/\1/p')
tarball=/usr/src/linux-source-$ver.tar.xz
if [ -z "$ver" ] || [ ! -r "$tarball" ]; then
	tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | head -n 1)
fi
cache=${TCPSTATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tcpstate}/debug-kernel

log() { echo "debug-kernel: $*" >&2; }

if [ -z "$tarball" ]; then
	log "no /usr/src/linux-source-*.tar.xz: run 'make deps'"
	exit 1
fi
stamp=$( (sha256sum < "$fragment"; stat -c '%n %s %Y' "$tarball") | sha256sum | cut -c1-16)
if [ -r "$cache/stamp" ] && [ "$(cat "$cache/stamp")" = "$stamp" ] &&
   [ -r "$cache/kdir" ]; then
	cat "$cache/kdir"
	exit 0
fi

log "building from $tarball into $cache (about 40 minutes on 2 cores)"
rm -rf "$cache"
mkdir -p "$cache/src" "$cache/root/boot"
start=$(date +%s)
tar -xJf "$tarball" -C "$cache/src" --strip-components=1
src=$cache/src
cd "$src"

make -s defconfig >&2
guest=
for f in arch/x86/configs/kvm_guest.config kernel/configs/kvm_guest.config; do
	[ -r "$f" ] && guest=$f && break
done
scripts/kconfig/merge_config.sh -m .config ${guest:+"$guest"} "$fragment" >&2
make -s olddefconfig >&2

# Every option the fragment asks for must have survived olddefconfig.
missing=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qxF "$line" .config || { log "not applied: $line"; missing=1; } ;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }; opt=${opt%% *}
		grep -q "^$opt=" .config && { log "not unset: $opt"; missing=1; } ;;
	esac
done < "$fragment"
[ "$missing" = 0 ] || exit 1

make -j"$(nproc)" bzImage modules >&2
krel=$(make -s kernelrelease)
make -s INSTALL_MOD_PATH="$cache/root" modules_install >&2
cp arch/x86/boot/bzImage "$cache/root/boot/vmlinuz-$krel"
cp System.map "$cache/root/boot/System.map-$krel"
end=$(date +%s)

echo "$krel" > "$cache/krel"
echo "$src" > "$cache/kdir"
echo "$((end - start))" > "$cache/build-seconds"
echo "$stamp" > "$cache/stamp"
log "built $krel in $(( (end - start) / 60 )) min $(( (end - start) % 60 )) s"
echo "$src"
