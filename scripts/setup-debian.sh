#!/usr/bin/env bash
# One-time machine setup for the tests: the Debian packages the real-device and browser tests use,
# as listed (with why each is needed) in TEST_TOOLS of scripts/preflight-test.mjs, e.g.
#   chromium       the lane display and admin console under Playwright (never a downloaded browser)
#   socat          pseudo-terminal pairs that stand in for serial scanners
#   udev           SerialPort.list()
#   libusb-1.0-0   node-hid (HID POS scanners)
#   ffmpeg         camera fixtures (QR videos for Chromium's fake camera)
#   swtpm          a software TPM 2.0 the sealed-secrets tests start (kiosk/src/secrets/swtpm.testkit.ts)
#   tpm2-tools     what the lane's TPM key store runs (tpm2_createprimary, tpm2_create, tpm2_unseal …)
# `npm test` runs it by itself when it can (root or passwordless sudo). Given package names, it
# installs those. Safe to run again: it installs only what is missing.
# Without package names it also installs postgresql and starts it (scripts/start-postgres.sh): the
# fleet-mode tests run against a local PostgreSQL on 127.0.0.1:5432.
set -euo pipefail
start_postgres() { if [ "$full_setup" -eq 1 ]; then bash "$(dirname "$0")/start-postgres.sh"; fi; }
full_setup=0
[ $# -gt 0 ] || full_setup=1
if [ $# -gt 0 ]; then
  packages=("$@")
else
  read -r -a packages < <(node "$(dirname "$0")/preflight-test.mjs" --packages)
  [ ${#packages[@]} -gt 0 ] || { echo "setup-debian: no package list (is node installed?)" >&2; exit 1; }
  packages+=(postgresql)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-debian: all present (${packages[*]})"
  start_postgres
  exit 0
fi
echo "setup-debian: installing ${missing[*]}"
sudo=''
[ "$(id -u)" -eq 0 ] || sudo='sudo'
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup-debian: done"
start_postgres
