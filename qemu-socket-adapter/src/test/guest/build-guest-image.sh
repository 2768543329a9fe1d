#!/bin/sh
# build-guest-image.sh - builds the tiny Linux guest that jslirp's end-to-end tests boot under QEMU.
#
# Theory of operation
#   The guest is Debian's own kernel plus an initramfs holding a static busybox, the NIC driver
#   modules, an /init, a udhcpc script and udptool (a UDP client and echo server busybox lacks,
#   compiled from udptool.c beside this script with the host's gcc, statically). No binary is
#   committed: every other input is an ordinary Debian package (linux-image-<abi>-amd64,
#   busybox-static, xz-utils) fetched with `apt-get download` (no root needed) and unpacked with
#   dpkg-deb. The initramfs is packed with the downloaded busybox's own cpio and gzip, so the host
#   needs no more than Debian's essential packages (dpkg, tar, coreutils, findutils, sed, grep),
#   apt with updated package lists, and gcc with libc6-dev for udptool.
#
#   Output, in ${JSLIRP_GUEST_CACHE:-$HOME/.cache/jslirp/guest}/<key>/:
#     kernel        the kernel for QEMU's -kernel: an uncompressed vmlinux with a PVH entry
#                   note when it can be made (boots twice as fast under TCG), else the bzImage
#     bzImage       Debian's bzImage as packaged, for boot loaders that take only that form
#                   (iPXE, in the network boot tests)
#     initrd.gz     newc cpio, gzip
#     KEY           the key, also the directory name
#   The key names the kernel package and version, the busybox version and a hash of this script
#   and udptool.c, so a new kernel in the archive or any edit of either builds a fresh image; the
#   three newest images are kept, older ones deleted. The build happens in a temporary directory
#   beside the final one and is renamed into place, so two processes building at once both succeed
#   and one of the two results wins; a reader never sees a half-built image.
#
#   If apt cannot answer (no package lists, offline), the newest cached image built by this same
#   script is used.
#
# Usage: build-guest-image.sh         builds if needed; prints the image directory as last line
#        (udptool.c must be in the script's directory)
# Exit codes: 0 ok, 2 a host tool is missing, 3 a package cannot be resolved or fetched.
#
# Guest side (what /init provides; the Java harness dev.jslirp.guest.QemuGuest relies on it):
#   - /proc, /sys, /dev (devtmpfs) mounted; modules for virtio-net and e1000 loaded; lo up.
#   - A command loop on ttyS0, /bin/jslirp-loop (its protocol is described where it is written).
#   - /bin/udptool (see udptool.c for its commands and output).
#   - udhcpc's default script configures the interface, default route and /etc/resolv.conf, and
#     writes the lease as key=value lines to /run/udhcpc/<interface>.lease (plus an event log
#     /run/udhcpc/<interface>.events, one line per event).
set -eu

die() { code=$1; shift; echo "build-guest-image: $*" >&2; exit "$code"; }

for tool in apt-get apt-cache dpkg-deb tar sha256sum mktemp find; do
  command -v "$tool" >/dev/null 2>&1 ||
    die 2 "missing host tool '$tool' (Debian: apt-get install apt dpkg tar coreutils findutils)"
done

cache_root=${JSLIRP_GUEST_CACHE:-${HOME:?HOME is not set}/.cache/jslirp/guest}
udptool_src=$(cd "$(dirname "$0")" && pwd)/udptool.c
[ -r "$udptool_src" ] || die 2 "missing $udptool_src (it ships beside this script)"
script_hash=$(cat "$0" "$udptool_src" | sha256sum | cut -c1-12)

# Same order as the kernel's dependency chain (virtio_net needs net_failover needs failover...);
# busybox insmod does not resolve dependencies.
MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover \
net_failover virtio_net e1000"

candidate_versions() { # packages... -> "package version" lines for those apt can install
  apt-cache policy "$@" 2>/dev/null | while IFS= read -r line; do
    case "$line" in
      *Candidate:*) v=${line##*Candidate: }; [ "$v" = "(none)" ] || echo "$pkg $v" ;;
      " "*) ;;
      *:) pkg=${line%:} ;;
    esac
  done
}

newest_cached() { # newest complete image built by this script, if any
  ls -1dt "$cache_root"/*-"$script_hash" 2>/dev/null | while read -r d; do
    [ -s "$d/kernel" ] && [ -s "$d/initrd.gz" ] && { echo "$d"; break; }
  done
}

# linux-image-amd64 is the meta package; it depends on the current ABI package, e.g.
# linux-image-6.1.0-56-amd64, which holds the kernel and its modules.
kernel_pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
  sed -n 's/^ *Depends: *\(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1 || true)
versions=$(candidate_versions ${kernel_pkg:-linux-image-amd64} busybox-static)
kernel_ver=$(echo "$versions" | sed -n "s/^${kernel_pkg:-none} //p")
busybox_ver=$(echo "$versions" | sed -n 's/^busybox-static //p')
if [ -z "$kernel_pkg" ] || [ -z "$kernel_ver" ] || [ -z "$busybox_ver" ]; then
  cached=$(newest_cached)
  [ -n "$cached" ] || die 3 "cannot resolve linux-image-amd64 / busybox-static with apt-cache \
(run 'apt-get update' first)"
  echo "build-guest-image: apt cannot resolve packages, using cached $cached" >&2
  echo "$cached"
  exit 0
fi

key=$(printf '%s_%s_busybox-%s-%s' "$kernel_pkg" "$kernel_ver" "$busybox_ver" "$script_hash" |
  tr -c 'A-Za-z0-9._\n-' '_')
final="$cache_root/$key"
if [ -s "$final/kernel" ] && [ -s "$final/bzImage" ] && [ -s "$final/initrd.gz" ]; then
  echo "$final"
  exit 0
fi

command -v gcc >/dev/null 2>&1 ||
  die 2 "missing host tool 'gcc' for udptool (Debian: apt-get install gcc libc6-dev)"
mkdir -p "$cache_root"
# Leftovers of builds that were killed (SIGKILL skips the trap below).
find "$cache_root" -maxdepth 1 -name '.build-*' -mmin +60 -exec rm -rf {} + 2>/dev/null || true
work=$(mktemp -d "$cache_root/.build-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
cd "$work"

echo "build-guest-image: building $key" >&2
mkdir debs
( cd debs && apt-get download -q "$kernel_pkg=$kernel_ver" "busybox-static=$busybox_ver" >&2 ) ||
  die 3 "apt-get download of $kernel_pkg=$kernel_ver busybox-static=$busybox_ver failed"
dpkg-deb -x debs/busybox-static_*.deb bb
bb="$work/bb/bin/busybox"
[ -x "$bb" ] || die 3 "busybox-static package has no bin/busybox"
# Only the kernel and our modules: unpacking all of the package's ~400 MB takes twice as long.
# Patterns that match nothing make tar fail; the module check below names what is missing.
patterns="./boot/vmlinuz-*"
for m in $MODULES; do patterns="$patterns */$m.ko*"; done
mkdir kernel
kernel_deb=$(echo debs/"$kernel_pkg"_*.deb)
set -f
dpkg-deb --fsys-tarfile "$kernel_deb" | tar -x -f - -C kernel --wildcards $patterns 2>/dev/null || true
set +f
[ -s kernel/boot/vmlinuz-"${kernel_pkg#linux-image-}" ] || die 3 "$kernel_pkg has no boot/vmlinuz"

le() { # file offset size(1|2|4|8) -> the unsigned little-endian integer there
  "$bb" od -An -tu"$3" -j "$2" -N "$3" "$1" | tr -d ' '
}

# Boot speed: under TCG, unpacking the xz-compressed bzImage takes seconds. QEMU boots an
# uncompressed vmlinux directly when it carries the PVH entry ELF note (XEN_ELFNOTE_PHYS32_ENTRY,
# type 18; Debian enables CONFIG_PVH), which halves boot time. pvh_kernel extracts the payload
# (Linux boot protocol 2.08+: payload_offset at 0x248 and payload_length at 0x24c, counted from
# the protected-mode code at (setup_sects + 1) * 512) and keeps it only if such a note is found
# in a PT_NOTE segment; otherwise the caller falls back to the bzImage.
unpack_payload() { # magic; stdin -> stdout
  case "$1" in
    fd377a585a00) "$xz" -dcq ;;
    *) "$bb" gzip -dc ;;
  esac
}

pvh_kernel() { # bzImage out
  setup_sects=$(le "$1" $((0x1f1)) 1); [ "$setup_sects" -eq 0 ] && setup_sects=4
  start=$(( (setup_sects + 1) * 512 + $(le "$1" $((0x248)) 4) ))
  len=$(le "$1" $((0x24c)) 4)
  magic=$("$bb" od -An -tx1 -j "$start" -N 6 "$1" | tr -d ' ')
  case "$magic" in
    fd377a585a00) [ -n "$xz" ] || return 1 ;;
    1f8b*) ;;
    *) return 1 ;;
  esac
  # The payload ends with the 4-byte uncompressed size, which unpackers may call trailing
  # garbage: their status is ignored, the ELF checks below judge the result.
  "$bb" tail -c +$((start + 1)) "$1" | "$bb" head -c "$len" | unpack_payload "$magic" > "$2.elf" 2>/dev/null || true
  [ "$("$bb" od -An -tx1 -N 5 "$2.elf" 2>/dev/null | tr -d ' ')" = 7f454c4602 ] || return 1
  phoff=$(le "$2.elf" 32 8); phentsize=$(le "$2.elf" 54 2); phnum=$(le "$2.elf" 56 2)
  i=0
  while [ "$i" -lt "$phnum" ]; do
    ph=$((phoff + i * phentsize))
    if [ "$(le "$2.elf" "$ph" 4)" -eq 4 ]; then # PT_NOTE
      off=$(le "$2.elf" $((ph + 8)) 8); size=$(le "$2.elf" $((ph + 32)) 8)
      # note header: namesz=4, descsz=4 or 8, type=18, name "Xen\0"
      if "$bb" od -An -tx1 -v -j "$off" -N "$size" "$2.elf" | tr -d ' \n' |
          grep -Eq '04000000(04|08)0000001200000058656e00'; then
        mv "$2.elf" "$2"
        return 0
      fi
    fi
    i=$((i + 1))
  done
  rm -f "$2.elf"
  return 1
}

# The kernel's xz stream uses the x86 BCJ filter, which busybox's unxz lacks: xz-utils' xz
# (its liblzma5 is always there, dpkg needs it) unpacks it. Optional: without it, no PVH kernel.
xz=""
if ( cd debs && apt-get download -q xz-utils >&2 ) && dpkg-deb -x debs/xz-utils_*.deb xzu &&
    "$work/xzu/usr/bin/xz" --version >/dev/null 2>&1; then
  xz="$work/xzu/usr/bin/xz"
fi
rm -rf debs

kver=${kernel_pkg#linux-image-}
mkdir -p out
if pvh_kernel kernel/boot/vmlinuz-"$kver" out/kernel; then
  echo "build-guest-image: kernel is the uncompressed vmlinux (PVH entry)" >&2
else
  echo "build-guest-image: no PVH vmlinux could be extracted, kernel is the bzImage" >&2
  cp kernel/boot/vmlinuz-"$kver" out/kernel
fi
cp kernel/boot/vmlinuz-"$kver" out/bzImage
mkdir -p root/bin root/sbin root/lib/modules root/proc root/sys root/dev root/run root/tmp \
  root/etc root/root root/usr/share/udhcpc root/var

# Modules: found by name anywhere under kernel/, uncompressed in Debian 12 (.ko). Later Debian
# kernels compress modules (.ko.xz); busybox insmod reads those too when built with xz support,
# but we decompress them so the guest needs nothing special.
for m in $MODULES; do
  f=$("$bb" find kernel/lib/modules/"$kver"/kernel -name "$m.ko" -o -name "$m.ko.xz" | head -n1)
  [ -n "$f" ] || die 3 "module $m not found in $kernel_pkg"
  case "$f" in
    *.xz) "$bb" xz -dc "$f" > root/lib/modules/"$m".ko ;;
    *) cp "$f" root/lib/modules/"$m".ko ;;
  esac
done
rm -rf kernel

cp "$bb" root/bin/busybox
# -static: the initramfs has no libc; -s: no symbols, a smaller initramfs.
gcc -static -Os -s -Wall -o root/bin/udptool "$udptool_src" >&2 ||
  die 2 "gcc could not build udptool statically (Debian: apt-get install gcc libc6-dev)"
for applet in $("$bb" --list); do
  [ "$applet" = busybox ] || ln -s busybox root/bin/"$applet"
done

# ---------------------------------------------------------------------------------------------
cat > root/init <<'INIT'
#!/bin/sh
# /init of the jslirp test guest (generated by build-guest-image.sh).
export PATH=/bin:/sbin
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
for m in MODULES_PLACEHOLDER; do
  insmod /lib/modules/$m.ko || echo "jslirp-init: insmod $m failed"
done
ip link set lo up
hostname jslirp-guest
# Kernel messages would interleave with command output on the console: from here on only
# emergencies (panics) reach it; `dmesg` still has everything.
dmesg -n 1

# The per-boot nonce from the kernel command line makes the console markers unique: no file in
# the guest contains them, so a command that prints this script cannot fake a marker.
nonce=none
for arg in $(cat /proc/cmdline); do
  case "$arg" in jslirp.nonce=*) nonce=${arg#jslirp.nonce=} ;; esac
done
export JSLIRP_NONCE=$nonce

# setsid + cttyhack make ttyS0 the controlling terminal of the loop, so a Ctrl-C from the host
# (ISIG) interrupts the running command; the loop itself survives thanks to its INT trap.
while true; do
  setsid cttyhack sh /bin/jslirp-loop
  echo "jslirp-init: command loop exited with $?, restarting"
  sleep 1
done
INIT
"$bb" sed -i "s/MODULES_PLACEHOLDER/$MODULES/" root/init

cat > root/bin/jslirp-loop <<'LOOP'
#!/bin/sh
# Console command loop of the jslirp test guest (generated by build-guest-image.sh).
#
# Protocol (host -> guest, one line each, every line shorter than the tty's 4095-byte limit):
#   C<base64 chunk>   appends a chunk of the command text (base64 of UTF-8 shell source)
#   R<id>             runs the accumulated command with `sh -c`, stdin /dev/null, then clears it
#   lines of any other form are ignored
# Guest -> host:
#   @@<tag>:<nonce>:READY@@                    once, when the loop is ready for commands
#   @@<tag>:<nonce>:BEGIN:<id>@@\n<output>\n@@<tag>:<nonce>:END:<id>:<exit code>@@
# <output> is the command's stdout and stderr, byte for byte; the newline before END is the
# loop's own. Echo is off and no prompt is printed (the shell is not interactive), so the
# console carries nothing else except kernel emergencies.
tag=JSLIRP
stty -echo -onlcr 2>/dev/null
trap 'true' INT
mk() { printf '@@%s:%s:%s@@' "$tag" "$JSLIRP_NONCE" "$1"; }
cmd=""
printf '\n%s\n' "$(mk READY)"
while IFS= read -r line; do
  case "$line" in
    C*) cmd="$cmd${line#C}" ;;
    R*)
      id=${line#R}
      printf '%s\n' "$cmd" | base64 -d > /tmp/.jslirp-cmd 2>/dev/null
      cmd=""
      printf '%s\n' "$(mk "BEGIN:$id")"
      (trap - INT; exec sh /tmp/.jslirp-cmd) </dev/null 2>&1
      rc=$?
      printf '\n%s\n' "$(mk "END:$id:$rc")"
      ;;
  esac
done
LOOP
chmod 755 root/init root/bin/jslirp-loop

# ---------------------------------------------------------------------------------------------
cat > root/usr/share/udhcpc/default.script <<'DHCP'
#!/bin/sh
# udhcpc event script of the jslirp test guest (generated by build-guest-image.sh).
# Events: deconfig, bound, renew, leasefail, nak. Configures $interface from the lease and keeps
# it where a test can read it: /run/udhcpc/$interface.lease (key=value lines, current lease) and
# /run/udhcpc/$interface.events (one line per event).
dir=/run/udhcpc
mkdir -p "$dir"
echo "$1 ${ip:-}" >> "$dir/$interface.events"

case "$1" in
  deconfig)
    ip -4 addr flush dev "$interface"
    ip link set "$interface" up
    rm -f "$dir/$interface.lease"
    ;;
  bound|renew)
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" ${broadcast:+broadcast "$broadcast"} dev "$interface"
    [ -n "${mtu:-}" ] && ip link set "$interface" mtu "$mtu"
    ip link set "$interface" up
    if [ -n "${router:-}" ]; then
      while ip route del default dev "$interface" 2>/dev/null; do :; done
      for r in $router; do
        ip route add default via "$r" dev "$interface" && break
      done
    fi
    {
      [ -n "${search:-}" ] && echo "search $search"
      [ -z "${search:-}" ] && [ -n "${domain:-}" ] && echo "search $domain"
      for ns in ${dns:-}; do echo "nameserver $ns"; done
    } > /etc/resolv.conf
    tmp="$dir/$interface.lease.tmp"
    : > "$tmp"
    for v in interface ip mask subnet broadcast router dns domain search hostname mtu lease \
             serverid siaddr sname boot_file bootfile tftp ntpsrv wins timezone staticroutes \
             msstaticroutes nisdomain nissrv logsrv message ipttl wpad; do
      eval "val=\${$v:-}"
      [ -n "$val" ] && echo "$v=$val" >> "$tmp"
    done
    env | grep '^opt[0-9]*=' >> "$tmp" || true
    mv "$tmp" "$dir/$interface.lease"
    ;;
esac
exit 0
DHCP
chmod 755 root/usr/share/udhcpc/default.script
# Debian's busybox looks for /etc/udhcpc/default.script, upstream for /usr/share/udhcpc/.
mkdir -p root/etc/udhcpc
ln -s /usr/share/udhcpc/default.script root/etc/udhcpc/default.script

( cd root && "$bb" find . | LC_ALL=C "$bb" sort | "$bb" cpio -o -H newc -R 0:0 2>/dev/null ) |
  "$bb" gzip -9 > out/initrd.gz
echo "$key" > out/KEY

# rename(2) of a directory is atomic and refuses to replace a non-empty directory.
if mv -T out "$final" 2>/dev/null; then
  echo "build-guest-image: built $final" >&2
else
  # Another process renamed its build into place first; its image is as good as ours.
  [ -s "$final/initrd.gz" ] || die 3 "could not move the image into $final"
  echo "build-guest-image: another build finished first, using $final" >&2
fi
# Keep the three newest images (a few branches may alternate between script versions).
ls -1dt "$cache_root"/linux-image-* 2>/dev/null | tail -n +4 | while read -r old; do rm -rf "$old"; done
echo "$final"
