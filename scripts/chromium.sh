#!/usr/bin/env bash
# Sourced by scripts/test.sh: installs Debian's Chromium for the end-to-end tests when missing.

chromium_ensure() {
  if [ -x /usr/bin/chromium ]; then return 0; fi
  echo "Installing chromium (end-to-end tests drive it through playwright-core)..." >&2
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq &&
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
}
