#!/usr/bin/env bash
# Make sure Debian's Chromium is at /usr/bin/chromium for the browser check:
# install it with apt-get when it is missing (CI runs as root on Debian).
# Nothing else may download a browser: playwright-core is pointed at this one.
set -euo pipefail

CHROMIUM=${VGIC_CHROMIUM:-/usr/bin/chromium}

if [ -x "$CHROMIUM" ]; then
  echo "chromium: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium: $CHROMIUM is missing and there is no apt-get to install it" >&2
  exit 1
fi
SUDO=
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
echo "chromium: $CHROMIUM is missing; installing Debian's chromium package"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
if [ ! -x "$CHROMIUM" ]; then
  echo "chromium: apt-get installed the package but $CHROMIUM is still missing" >&2
  exit 1
fi
echo "chromium: installed $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
