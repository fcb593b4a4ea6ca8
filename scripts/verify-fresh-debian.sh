#!/usr/bin/env bash
# verify-fresh-debian.sh [DIR]: the README's set-up, end to end, on a freshly bootstrapped
# minimal Debian 12 root (for maintainers; needs root, debootstrap and a Debian mirror).
#
# Bootstraps bookworm into DIR (default /tmp/xgrad-fresh-root), copies the committed tree
# (git archive HEAD) into it, then inside the chroot, exactly as README says:
#   1. as root:            bash scripts/demo.sh, then bash scripts/test.sh
#   2. as a plain user without sudo: a missing package gives the exact apt-get line, exit 1
# and prints the CPU time of the first demo's build. Takes 10-20 minutes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="${1:-/tmp/xgrad-fresh-root}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"

[[ "$(id -u)" == 0 ]] || { echo "error: run as root (debootstrap and chroot need it)" >&2; exit 1; }
command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null

if [[ ! -x "$TARGET/bin/bash" ]]; then
  echo "bootstrapping Debian 12 (minbase) into $TARGET"
  debootstrap --variant=minbase bookworm "$TARGET" "$MIRROR" >"$TARGET.debootstrap.log" 2>&1 ||
    { tail -20 "$TARGET.debootstrap.log"; exit 1; }
fi
cp /etc/resolv.conf "$TARGET/etc/resolv.conf" 2>/dev/null || true
mountpoint -q "$TARGET/proc" || mount -t proc proc "$TARGET/proc"
mkdir -p "$TARGET/dev/pts" && { mountpoint -q "$TARGET/dev/pts" || mount -t devpts devpts "$TARGET/dev/pts"; }
trap 'umount "$TARGET/dev/pts" "$TARGET/proc" 2>/dev/null || true' EXIT

rm -rf "$TARGET/root/xgrad" && mkdir -p "$TARGET/root/xgrad"
git -C "$ROOT" archive HEAD | tar -x -C "$TARGET/root/xgrad"

echo "== 1. as root: bash scripts/demo.sh =="
chroot "$TARGET" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb \
  bash -c 'cd /root/xgrad && time bash scripts/demo.sh'
echo "== 1. as root: bash scripts/test.sh =="
chroot "$TARGET" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb \
  bash -c 'cd /root/xgrad && bash scripts/test.sh'

echo "== 2. a user without sudo, a package missing =="
chroot "$TARGET" bash -c 'id tester >/dev/null 2>&1 || useradd -m tester;
  rm -rf /home/tester/xgrad; cp -r /root/xgrad /home/tester/xgrad; rm -rf /home/tester/xgrad/build;
  chown -R tester: /home/tester/xgrad; apt-get remove -y -qq catch2 >/dev/null'
set +e
out="$(chroot "$TARGET" su tester -c 'cd ~/xgrad && bash scripts/test.sh' 2>&1)"
code=$?
set -e
echo "$out"
[[ $code != 0 ]] && grep -q "apt-get install -y --no-install-recommends catch2" <<<"$out" ||
  { echo "FAILED: expected exit != 0 and the exact apt-get line"; exit 1; }
chroot "$TARGET" apt-get install -y -qq catch2 >/dev/null
echo "verify-fresh-debian: all steps passed"
