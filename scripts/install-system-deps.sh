#!/bin/sh
# Installs the Debian packages the demo and the tests need, only when missing.
# Usage: install-system-deps.sh prometheus [chromium] [redis] [alertmanager] [npm]
set -eu
need=""
for want in "$@"; do
    case "$want" in
        prometheus) command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || need="$need prometheus" ;;
        chromium)   command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 || need="$need chromium chromium-driver" ;;
        npm)        command -v npm >/dev/null 2>&1 || need="$need npm" ;;
        redis)      command -v redis-server >/dev/null 2>&1 || need="$need redis-server" ;;
        alertmanager) command -v amtool >/dev/null 2>&1 || need="$need prometheus-alertmanager" ;;
        *) echo "unknown dependency: $want" >&2; exit 2 ;;
    esac
done
[ -z "$need" ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing Debian packages:$need"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need >/dev/null
