#!/usr/bin/env bash
# The console's browser tests drive the distribution's Chromium (Playwright never downloads a browser):
# install the Debian package when /usr/bin/chromium is missing. Safe to repeat.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
    SUDO="sudo"
fi
echo "installing Chromium for the browser tests (apt-get install chromium)"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium
