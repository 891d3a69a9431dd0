#!/usr/bin/env bash
# Builds the suite's FROM-scratch image for one architecture: a static musl binary (DNS through
# musl's resolver and /etc/hosts, which Docker provides; no shared libraries needed).
#   suite/build-image.sh amd64 [TAG]   x86_64-unknown-linux-musl (C parts by musl-gcc: apt-get install musl-tools)
#   suite/build-image.sh arm64 [TAG]   aarch64-unknown-linux-musl: on an arm64 host as is; elsewhere
#                                      set CC_aarch64_unknown_linux_musl to a cross musl compiler
# TAG defaults to agentcore-mcp-suite:<arch>. Needs a running Docker engine and a CA bundle at
# /etc/ssl/certs/ca-certificates.crt (Debian's ca-certificates), which goes into the image.
set -euo pipefail
arch=${1:?usage: build-image.sh amd64|arm64 [TAG]}
tag=${2:-agentcore-mcp-suite:$arch}
root=$(cd "$(dirname "$0")/.." && pwd)
target_dir=${CARGO_TARGET_DIR:-$root/target}
case "$arch" in
  amd64) triple=x86_64-unknown-linux-musl ;;
  arm64) triple=aarch64-unknown-linux-musl ;;
  *) echo "error: architecture must be amd64 or arm64, not '$arch'" >&2; exit 2 ;;
esac
rustup target list --installed | grep -qx "$triple" || rustup target add "$triple"
bundle=/etc/ssl/certs/ca-certificates.crt
[ -f "$bundle" ] || { echo "error: no CA bundle at $bundle (apt-get install ca-certificates)" >&2; exit 2; }
# A target dir per flavour keeps the static build from invalidating the normal one.
cargo build --release --locked -p agentcore-mcp-suite --target "$triple" --target-dir "$target_dir/static" \
  --manifest-path "$root/Cargo.toml"
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp "$target_dir/static/$triple/release/agentcore-mcp-suite" "$bundle" "$context/"
cp "$root/suite/image/Dockerfile" "$context/"
docker build --quiet --platform "linux/$arch" -t "$tag" "$context" >/dev/null
echo "$tag"
