#!/usr/bin/env bash
# Build socketlab/base:bookworm without any registry: debootstrap a minimal
# Debian with python3 and procps (so `docker compose exec echo-fork ps -eLf`
# shows a service's processes and threads) from the mirror this host's apt
# already uses, trim it, and `docker import` it. Skips the work when the image
# already exists with these packages (an older base without them is rebuilt).
#   --current  only say (exit status 0 or 1) whether the image is present and current
#   --force    rebuild it anyway
# Needs root (debootstrap) and a Docker engine.
set -euo pipefail

IMAGE="${SOCKETLAB_BASE_IMAGE:-socketlab/base:bookworm}"
SUITE="${SOCKETLAB_BASE_SUITE:-bookworm}"
PACKAGES="python3,procps"

current() {
  [[ "$(docker image inspect -f '{{index .Config.Labels "org.socketlab.base.packages"}}' "$IMAGE" 2>/dev/null)" \
     == "$PACKAGES" ]]
}

case "${1:-}" in
  --current) current; exit ;;
  --force) ;;
  *) if current; then echo "base image $IMAGE already present"; exit 0; fi ;;
esac

# The first Debian archive URI in the host's apt sources (deb822 or one-line style),
# skipping the security archive, which holds no full suite.
mirror_from_apt_sources() {
  local files=(/etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources)
  {
    grep -hE '^\s*URIs:' "${files[@]}" 2>/dev/null | awk '{for (i = 2; i <= NF; i++) print $i}'
    grep -hE '^\s*deb\s' "${files[@]}" 2>/dev/null | sed -E 's/\[[^]]*\]//' | awk '{print $2}'
  } | grep -E "/debian/?$" | grep -v security | head -n 1 || true
}

MIRROR="${SOCKETLAB_DEBIAN_MIRROR:-$(mirror_from_apt_sources)}"
if [[ -z "$MIRROR" ]]; then
  echo "no Debian mirror found in the apt sources; set SOCKETLAB_DEBIAN_MIRROR" >&2
  exit 1
fi
command -v debootstrap >/dev/null || { echo "debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }

ROOTFS="$(mktemp -d /tmp/socketlab-rootfs.XXXXXX)"
trap 'rm -rf "$ROOTFS"' EXIT

echo "debootstrap $SUITE from $MIRROR (about a minute)"
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$ROOTFS" "$MIRROR" >"$ROOTFS.log" 2>&1 \
  || { tail -n 30 "$ROOTFS.log" >&2; exit 1; }
rm -f "$ROOTFS.log"

# Trim what a container never reads; keep apt usable for images built on top.
rm -rf "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* \
       "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/log/*.log
find "$ROOTFS"/usr/share/locale -mindepth 1 -maxdepth 1 ! -name 'C.UTF-8' -exec rm -rf {} + 2>/dev/null || true
printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$ROOTFS/etc/apt/apt.conf.d/90socketlab"

tar -C "$ROOTFS" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["/bin/bash"]' \
  --change "LABEL org.socketlab.base.packages=$PACKAGES" - "$IMAGE" >/dev/null
echo "built $IMAGE ($(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}'))"
