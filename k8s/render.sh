#!/usr/bin/env bash
# Renders both overlays with the real kustomize (kubectl >= 1.27 bundles it) into
# k8s/rendered/, which KustomizeRenderTest compares with the test renderer's output.
# Run it after editing anything under k8s/base or k8s/overlays.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$here/rendered"
for overlay in cpu gpu; do
  kubectl kustomize "$here/overlays/$overlay" > "$here/rendered/$overlay.yaml"
done
