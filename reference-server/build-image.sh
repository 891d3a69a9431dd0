#!/usr/bin/env bash
# Builds the reference server's FROM-scratch image for one architecture.
#   reference-server/build-image.sh amd64 [TAG]   static glibc binary (crt-static), x86_64
#   reference-server/build-image.sh arm64 [TAG]   static musl binary linked by rust-lld, aarch64
# TAG defaults to agentcore-mcp-reference:<arch>. Needs a running Docker engine.
set -euo pipefail
arch=${1:?usage: build-image.sh amd64|arm64 [TAG]}
tag=${2:-agentcore-mcp-reference:$arch}
root=$(cd "$(dirname "$0")/.." && pwd)
target_dir=${CARGO_TARGET_DIR:-$root/target}
case "$arch" in
  amd64)
    triple=x86_64-unknown-linux-gnu
    export RUSTFLAGS="-C target-feature=+crt-static"
    ;;
  arm64)
    triple=aarch64-unknown-linux-musl
    rustup target list --installed | grep -qx "$triple" || rustup target add "$triple"
    export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER=rust-lld
    ;;
  *) echo "error: architecture must be amd64 or arm64, not '$arch'" >&2; exit 2 ;;
esac
# A target dir per flavour keeps the static build from invalidating the normal one.
cargo build --release --locked -p agentcore-mcp-reference --target "$triple" --target-dir "$target_dir/static" \
  --manifest-path "$root/Cargo.toml"
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp "$target_dir/static/$triple/release/agentcore-mcp-reference" "$context/"
cp "$root/reference-server/Dockerfile" "$context/"
docker build --quiet --platform "linux/$arch" -t "$tag" "$context" >/dev/null
echo "$tag"
