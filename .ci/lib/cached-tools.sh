# shellcheck shell=bash
# Sourced by .ci scripts: pinned Python and npm tools, installed once into a cache directory
# keyed by a hash of the pin files, so that later runs need no network at all.
#
#   TOOLS_CACHE   default ${XDG_CACHE_HOME:-~/.cache}/urssaf-gateway
#
# cached_venv NAME REQUIREMENTS   -> prints the virtualenv directory
# cached_npm  NAME DIR            -> prints a directory holding node_modules/ for DIR's
#                                    package.json + package-lock.json (npm ci, scripts off)

TOOLS_CACHE="${TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/urssaf-gateway}"

_tools_log() { printf '==> %s\n' "$*" >&2; }

# KEY = hash of the pin files and of the runtime's version (a virtualenv is tied to its
# interpreter). Usage: _pins_key RUNTIME_VERSION FILE...
_pins_key() {
  local runtime="$1"; shift
  { printf '%s\n' "$runtime"; cat "$@"; } | sha256sum | cut -c1-12
}

# Drop installs of older pin sets of the same kind (venv-*, npm-*), keeping the current one.
_prune() {
  local dir="$1" keep="$2"
  find "$dir" -mindepth 1 -maxdepth 1 -type d -name "${keep%%-*}-*" ! -name "$keep" \
    -exec rm -rf {} + 2>/dev/null || true
}

cached_venv() {
  local name="$1" req="$2"
  command -v python3 >/dev/null || { echo "need python3 (>= 3.10) with the venv module" >&2; return 1; }
  local key dir
  key="$(_pins_key "$(python3 -c 'import sys; print(sys.version_info[:2])')" "$req")"
  dir="$TOOLS_CACHE/$name/venv-$key"
  if [ ! -f "$dir/.complete" ]; then
    _tools_log "installing $(basename "$req") into $dir (once)"
    rm -rf "$dir"
    mkdir -p "$TOOLS_CACHE/$name"
    python3 -m venv "$dir" >&2
    "$dir/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$req" >&2
    touch "$dir/.complete"
    _prune "$TOOLS_CACHE/$name" "venv-$key"
  fi
  printf '%s\n' "$dir"
}

cached_npm() {
  local name="$1" src="$2"
  command -v npm >/dev/null || { echo "need node and npm (Node.js >= 20.19)" >&2; return 1; }
  local key dir
  key="$(_pins_key "$(node --version)" "$src/package.json" "$src/package-lock.json")"
  dir="$TOOLS_CACHE/$name/npm-$key"
  if [ ! -f "$dir/.complete" ]; then
    _tools_log "installing $src/package-lock.json into $dir (once)"
    rm -rf "$dir"
    mkdir -p "$dir"
    cp "$src/package.json" "$src/package-lock.json" "$dir/"
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
    touch "$dir/.complete"
    _prune "$TOOLS_CACHE/$name" "npm-$key"
  fi
  printf '%s\n' "$dir"
}
