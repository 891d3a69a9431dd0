#!/usr/bin/env bash
# Builds the comparison image `mcp-python-sample:latest` offline from Debian packages: a Debian
# bookworm minbase root (debootstrap), the Python `mcp` SDK from PyPI, and
# fixtures/python/mcp_server.py as the entrypoint on port 8000 — the way the AgentCore samples run
# a Python MCP server. Then compare cold starts:
#   agentcore-mcp-suite check --image mcp-python-sample:latest --cold-starts 19 --only latency.cold-start
# Needs root, a running Docker engine, and debootstrap (apt-get install debootstrap).
set -euo pipefail
root_dir=${1:-/var/tmp/agentcore-mcp-suite/python-root}
repo=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -x "$root_dir/usr/bin/python3" ]; then
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$root_dir" \
    http://deb.debian.org/debian
fi
if ! chroot "$root_dir" /opt/venv/bin/python -c 'import mcp' 2> /dev/null; then
  chroot "$root_dir" python3 -m venv /opt/venv
  cp /etc/resolv.conf "$root_dir/etc/resolv.conf"
  # The host's CA bundle: PyPI may be reached through a TLS proxy only the host trusts.
  cp /etc/ssl/certs/ca-certificates.crt "$root_dir/etc/ssl/certs/ca-certificates.crt"
  chroot "$root_dir" /opt/venv/bin/pip install --quiet --disable-pip-version-check 'mcp==2.3.0'
fi
mkdir -p "$root_dir/app"
cp "$repo/fixtures/python/mcp_server.py" "$root_dir/app/"
tar -C "$root_dir" -c . | docker import \
  --change 'ENTRYPOINT ["/opt/venv/bin/python", "/app/mcp_server.py", "8000"]' \
  --change 'EXPOSE 8000' - mcp-python-sample:latest > /dev/null
docker images mcp-python-sample:latest --format '{{.Repository}}:{{.Tag}} {{.Size}}'
