#!/usr/bin/env bash
# Installs CityTwin's build dependencies from Debian 12 packages and builds it into build/.
# Usage: deploy/setup.sh [--bench]   (--bench also installs SUMO for bench/run_berlin_benchmark.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  g++ cmake make ccache pkg-config python3
  iproute2                        # network namespaces for the multi-host cluster test
  libcaf-dev                      # actors (core + io)
  libjemalloc-dev                 # the citytwin binary's allocator (a fifth faster than glibc's on Berlin)
  libmetis-dev                    # partitioning a city across cluster nodes
  libgtest-dev libgmock-dev libbenchmark-dev
  libosmium2-dev libprotozero-dev zlib1g-dev libbz2-dev libexpat1-dev
  nlohmann-json3-dev libcli11-dev libfmt-dev
  librocksdb-dev                  # durable twin state
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc  # the front door
  python3-grpcio python3-grpc-tools  # the Python client and its tests
  openssl                         # throwaway certificates in the TLS tests
  prometheus-cpp-dev              # /metrics (citytwin serve --metrics)
  libcurl4-openssl-dev            # the metrics tests fetch /metrics over HTTP
  prometheus                      # its scrape test and promtool (deploy/prometheus rules)
  python3-yaml                    # the Kubernetes manifest checks
  libcpp-httplib-dev libssl-dev   # the HTTP gateway and dashboard (citytwin serve --http)
  chromium                        # the dashboard's browser test (playwright-core comes from npm at test time)
)
# Node.js for the browser test; an existing node (e.g. from NodeSource, which bundles npm) is kept.
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)
if [[ "${1:-}" == "--bench" ]]; then packages+=(sumo sumo-tools time); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || echo "warning: apt-get update failed; trying the install with the current package lists"
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j "$jobs"
