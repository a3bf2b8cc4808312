#!/usr/bin/env bash
# Time `make up` from a bare engine, then again warm, and print both figures.
#
# The run is isolated from a lab you may have running: its own image tag, its own
# base image (so no layer of yours is reused: the debootstrap is timed too), its own
# compose project, subnets and ports. Everything it made is removed at the end.
# The Python venv is not timed: `make up` creates it once per checkout.
set -euo pipefail
cd "$(dirname "$0")/.."

export SOCKETLAB_IMAGE_TAG=coldstart SOCKETLAB_BASE_IMAGE=socketlab/base:coldstart
export COMPOSE_PROJECT_NAME=socketlab-coldstart SOCKETLAB_NET_PREFIX=10.76 SOCKETLAB_PORT_PREFIX=17

remove_everything() {
  .venv/bin/socketlab down >/dev/null 2>&1 || true
  docker images --format '{{.Repository}}:{{.Tag}}' | grep -E "^socketlab/.*:coldstart$" \
    | xargs -r docker rmi -f >/dev/null 2>&1 || true
}
trap remove_everything EXIT

scripts/bootstrap.sh >/dev/null          # the venv, outside the timing
docker rmi -f "$SOCKETLAB_BASE_IMAGE" >/dev/null 2>&1 || true
remove_everything

seconds() { local start=$SECONDS; make up >/tmp/socketlab-coldstart.log 2>&1 \
  || { tail -n 30 /tmp/socketlab-coldstart.log >&2; exit 1; }; echo $((SECONDS - start)); }

cold=$(seconds)
warm=$(seconds)
printf 'make up on a bare engine: %dm%02ds (cold), %dm%02ds (warm, images cached)\n' \
  $((cold / 60)) $((cold % 60)) $((warm / 60)) $((warm % 60))
