#!/usr/bin/env bash
# Makes sure the programs the web UI and REST API tests drive are installed: Debian's
# headless Chromium (driven by Playwright from python-tests/requirements.txt) and Graphviz
# (`dot`, which must render the API's stage graphs without a warning).
#
# Installs them with apt-get when missing and run as root (CI machines); otherwise says
# what to install. Prints the Chromium executable as the last line of stdout, so callers
# can do   CHROMIUM="$(dev/browser-env.sh | tail -n1)"
set -euo pipefail

find_chromium() {
    command -v chromium || command -v chromium-browser || command -v google-chrome || true
}

missing=()
[[ -n "$(find_chromium)" ]] || missing+=(chromium)
command -v dot >/dev/null || missing+=(graphviz)

if ((${#missing[@]})); then
    if [[ "$(id -u)" != 0 ]]; then
        echo "browser-env: missing ${missing[*]}: install them (apt-get install ${missing[*]}) or run as root" >&2
        exit 1
    fi
    echo "browser-env: installing ${missing[*]} from Debian's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    # Fonts, so that screenshots and laid-out text have glyphs.
    apt-get install -y -qq --no-install-recommends "${missing[@]}" fonts-liberation >&2
fi

chromium="$(find_chromium)"
echo "browser-env: $("$chromium" --version 2>/dev/null || echo chromium), $(dot -V 2>&1)" >&2
echo "$chromium"
