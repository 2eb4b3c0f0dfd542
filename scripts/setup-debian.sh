#!/usr/bin/env bash
# One-time machine setup for the tests: the Debian packages the real-device and browser tests use.
#   chromium       the lane display and admin console under Playwright (never a downloaded browser)
#   socat          pseudo-terminal pairs that stand in for serial scanners
#   udev           SerialPort.list()
#   libusb-1.0-0   node-hid (HID POS scanners)
#   ffmpeg         camera fixtures (QR videos for Chromium's fake camera)
# Safe to run again: it installs only what is missing.
set -euo pipefail
packages=(chromium socat udev libusb-1.0-0 ffmpeg)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-debian: all present (${packages[*]})"
  exit 0
fi
echo "setup-debian: installing ${missing[*]}"
sudo=''
[ "$(id -u)" -eq 0 ] || sudo='sudo'
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup-debian: done"
