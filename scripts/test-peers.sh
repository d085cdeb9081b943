#!/usr/bin/env bash
# The real peers the tests talk to that npm cannot install: Debian packages. `npm test` runs this
# first; it installs what is missing (as root, with apt-get) or stops at once with one line naming
# the packages and the command that installs them. Add a peer here, nowhere else.
set -uo pipefail

peers=(
  prometheus-node-exporter # test/metrics/node-exporter.test.ts: a real node_exporter reads heal's metrics file
  prometheus-alertmanager  # test/alerts/channels: a real Alertmanager receives heal's alerts
  systemd                  # test/install/systemd.test.ts: systemd-analyze checks the units heal writes
  systemd-container        # test/systemd/: systemd-nspawn boots a real systemd in a throwaway container
  time                     # test/reliability/hostile.test.ts: /usr/bin/time measures heal's peak memory
  faketime                 # .ci/run: the whole suite again with the clock 400 days ahead
  chromium                 # test/page/page.browser.test.ts: a real browser opens the status page (through playwright-core)
)

missing=()
for peer in "${peers[@]}"; do
  dpkg-query -W -f='${Status}' "$peer" 2>/dev/null | grep -q 'install ok installed' || missing+=("$peer")
done
[ ${#missing[@]} -eq 0 ] && exit 0

install="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "the tests need Debian packages that are not installed: ${missing[*]}; install them with: sudo $install" >&2
  exit 1
fi

echo "installing the tests' peers: ${missing[*]}" >&2
# Keep the packages' own daemons from starting: the tests start their own, on free ports.
policy=/usr/sbin/policy-rc.d
planted=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && planted=1
fi
apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $install -qq >/dev/null
status=$?
[ $planted -eq 1 ] && rm -f "$policy"
if [ $status -ne 0 ]; then
  echo "could not install the tests' peers (apt-get exit $status): run $install" >&2
  exit 1
fi
