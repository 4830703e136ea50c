#!/usr/bin/env bash
# The few Debian packages the Python code itself needs (the services have their own script).
set -euo pipefail
missing=()
[ -e /usr/lib/x86_64-linux-gnu/libmagic.so.1 ] || ls /usr/lib/*/libmagic.so.1 >/dev/null 2>&1 || missing+=(libmagic1)
[ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "[system-deps] installing ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "[system-deps] please install: ${missing[*]} (e.g. sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi
