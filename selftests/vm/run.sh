#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh [OPTIONS] -- COMMAND [ARGS...]
#
# Boots a Debian kernel under QEMU with the host's root over 9p (read-only,
# so every host tool is there and the repository is at the same path),
# loads module/tcpstate.ko, runs COMMAND as root and exits with its status.
# A kernel oops, WARN, BUG, lockdep or sanitizer report during the run makes
# it fail and prints the kernel log; panic_on_warn=1 is on.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
here="$repo/selftests/vm"

usage() {
	cat <<USAGE
usage: $0 [OPTIONS] -- COMMAND [ARGS...]
  --kernel VERSION   kernel to boot (default: the one 'make' builds for)
  --no-module        do not load tcpstate.ko
  --module-args ARGS parameters for insmod tcpstate.ko
  --kvm              use KVM instead of TCG
  --icount           instruction-count time (-icount shift=0,sleep=off, 1 vCPU)
  --smp N            virtual CPUs (default 2)
  --mem MB           memory (default 2048)
  --timeout SECONDS  kill the VM after this long (default 3600)
  --append ARGS      extra kernel command line
USAGE
	exit 2
}

kver=""
load_module=1
module_args=""
accel=tcg
icount=0
smp=2
mem=2048
timeout_s=3600
append=""
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kver=${2:?}; shift 2 ;;
	--no-module) load_module=0; shift ;;
	--module-args) module_args=${2?}; shift 2 ;;
	--kvm) accel=kvm; shift ;;
	--icount) icount=1; shift ;;
	--smp) smp=${2:?}; shift 2 ;;
	--mem) mem=${2:?}; shift 2 ;;
	--timeout) timeout_s=${2:?}; shift 2 ;;
	--append) append=${2?}; shift 2 ;;
	--) shift; break ;;
	-h|--help) usage ;;
	*) echo "run.sh: unknown option '$1'" >&2; usage ;;
	esac
done
[ $# -gt 0 ] || usage

[ -n "$kver" ] || kver=$("$repo/scripts/kernel.sh" krel)
# Debian kernels live in /boot; the debug kernel (scripts/debug-kernel.sh)
# in its cache, with its own /lib/modules shared into the VM.
kroot=/
cache=${TCPSTATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tcpstate}/debug-kernel/root
if [ ! -r "/boot/vmlinuz-$kver" ] && [ -r "$cache/boot/vmlinuz-$kver" ]; then
	kroot=$cache
fi
kernel=$kroot/boot/vmlinuz-$kver
if [ -z "$kver" ] || [ ! -r "$kernel" ]; then
	echo "run.sh: no kernel image '${kver:-none}' in /boot: run 'make deps'" >&2
	exit 125
fi
case "$repo" in
*[[:space:]]*) echo "run.sh: paths with spaces are not supported: $repo" >&2; exit 125 ;;
esac
if [ "$load_module" = 1 ] && [ ! -r "$repo/module/tcpstate.ko" ]; then
	echo "run.sh: $repo/module/tcpstate.ko is not built: run 'make'" >&2
	exit 125
fi
if [ "$load_module" = 1 ]; then
	built_for=$(modinfo -F vermagic "$repo/module/tcpstate.ko" | cut -d' ' -f1)
	if [ "$built_for" != "$kver" ]; then
		echo "run.sh: tcpstate.ko is built for $built_for, not $kver:" \
		     "run 'make KVER=$kver'" >&2
		exit 125
	fi
fi

# The initramfs depends only on the kernel and the two files that make it.
initrd="$repo/build/vm/initramfs-$kver.cpio.gz"
if [ ! -s "$initrd" ] || [ "$here/mkinitramfs.sh" -nt "$initrd" ] ||
   [ "$here/initramfs-init" -nt "$initrd" ]; then
	"$here/mkinitramfs.sh" "$kver" "$initrd" "$kroot"
fi

job=$(mktemp -d /tmp/tcpstate-vm.XXXXXX)
trap 'rm -rf "$job"' EXIT
cp "$here/guest-init.sh" "$job/guest-init.sh"
{
	printf 'TCPSTATE_REPO=%q\n' "$repo"
	printf 'TCPSTATE_LOAD_MODULE=%q\n' "$load_module"
	printf 'TCPSTATE_MODULE_ARGS=%q\n' "$module_args"
	printf 'TCPSTATE_CMD=%q\n' "$(printf '%q ' "$@")"
} > "$job/env"

qemu=(qemu-system-x86_64 -nodefaults -no-reboot -display none
      -m "$mem" -kernel "$kernel" -initrd "$initrd"
      -chardev stdio,id=out,signal=on -serial chardev:out
      -serial "file:$job/kernel.log"
      -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
      -virtfs "local,path=$repo,mount_tag=repo,security_model=none,readonly=on,multidevs=remap"
      -virtfs "local,path=$job,mount_tag=job,security_model=none,multidevs=remap"
      -nic none)
if [ "$kroot" != / ]; then
	qemu+=(-virtfs "local,path=$kroot/lib/modules,mount_tag=modules,security_model=none,readonly=on,multidevs=remap")
	append="TCPSTATE_MODULES=1 $append"
fi
# A CPU with RDRAND, trusted, seeds the kernel's RNG at boot. Unseeded,
# it rebuilds its key for each random number TCP asks for (an ID per
# connection, ...): short connections ran 28% slower for the first minute
# of guest time under -icount, and 5% slower until "crng init done".
qemu+=(-cpu qemu64,+rdrand)
append="random.trust_cpu=on $append"
if [ "$icount" = 1 ]; then
	qemu+=(-accel tcg -icount shift=0,sleep=off -smp 1)
elif [ "$accel" = kvm ]; then
	qemu+=(-accel kvm -smp "$smp")
else
	qemu+=(-accel tcg,thread=multi -smp "$smp")
fi
qemu+=(-append "console=ttyS1 panic_on_warn=1 panic=-1 oops=panic loglevel=7 nokaslr mitigations=off rdinit=/init TCPSTATE_JOB=$job TCPSTATE_REPO=$repo $append")

# QEMU 7.2's multi-threaded TCG has crashed (SIGSEGV) while the guest was
# still booting: that is QEMU's failure, not the test's, and nothing of
# the command has run yet, so it boots once more.
for attempt in 1 2; do
	set +e
	timeout --foreground -k 10 "$timeout_s" "${qemu[@]}" < /dev/null
	qemu_rc=$?
	set -e
	[ "$attempt" = 1 ] && [ "$qemu_rc" -gt 128 ] && [ "$qemu_rc" != 137 ] &&
		[ ! -e "$job/started" ] || break
	echo "run.sh: qemu died of signal $((qemu_rc - 128)) during boot: booting again" >&2
done

# A report in the kernel log fails the run whatever the command said.
splat=$(cat "$here/splat.re")

log="$job/dmesg"
[ -s "$log" ] || log="$job/kernel.log"
if [ ! -s "$job/status" ]; then
	echo "run.sh: the VM did not finish (qemu exit $qemu_rc: panic, hang or timeout); kernel log:" >&2
	tail -n 80 "$job/kernel.log" >&2
	exit 124
fi
status=$(cat "$job/status")
if grep -Eq "$splat" "$log"; then
	echo "run.sh: the kernel reported a problem during the run; kernel log:" >&2
	cat "$log" >&2
	exit 123
fi
exit "$status"
