#!/usr/bin/env bash
# Creates the three-region kind setup faultline's Kubernetes experiments expect, and installs
# charts/shop into each region. Needs Docker, kind and helm (node scripts/tools.mjs installs helm
# into .tools/bin).
#
#   scripts/kind-setup.sh            create us-east, eu-west, ap-south and install the chart
#   scripts/kind-setup.sh delete     delete the three clusters
#
# Then:  npx faultline run experiments/kubernetes/region-outage.yaml \
#          --allow-context kind-us-east --allow-context kind-eu-west --allow-context kind-ap-south
set -euo pipefail
cd "$(dirname "$0")/.."
REGIONS=(${FAULTLINE_REGIONS:-us-east eu-west ap-south})
HELM=${HELM:-$( [ -x .tools/bin/helm ] && echo .tools/bin/helm || echo helm )}

need() { command -v "$1" >/dev/null 2>&1 || { echo "kind-setup: $1 is not installed ($2)" >&2; exit 1; }; }
need docker "https://docs.docker.com/engine/install/"
need kind "https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
[ -x "$HELM" ] || need "$HELM" "run node scripts/tools.mjs --only helm"

if [ "${1:-}" = delete ]; then
  for r in "${REGIONS[@]}"; do kind delete cluster --name "$r"; done
  exit 0
fi

for r in "${REGIONS[@]}"; do
  if kind get clusters 2>/dev/null | grep -qx "$r"; then
    echo "kind-setup: cluster $r exists"
  else
    cfg=$(mktemp)
    sed "s/topology.kubernetes.io\/region: us-east/topology.kubernetes.io\/region: $r/" kind-cluster.yaml > "$cfg"
    kind create cluster --name "$r" --config "$cfg"
    rm -f "$cfg"
  fi
  "$HELM" upgrade --install shop charts/shop --kube-context "kind-$r" --namespace shop --create-namespace --set region="$r" --wait --timeout 5m
done
echo "kind-setup: contexts ready: ${REGIONS[*]/#/kind-}"
