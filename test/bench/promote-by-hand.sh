#!/usr/bin/env bash
# The hand-made promotion Ferry is compared with (docs/benchmarks.md): list the tags with skopeo, pick
# the highest semver matching a regex, clone the GitOps repo shallow, set the overlay's newTag with sed,
# commit and push over smart HTTP. No Argo CD sync, no health check, no verification, no history.
#
# Usage: promote-by-hand.sh IMAGE TAG_REGEX CLONE_URL OVERLAY_FILE
#   IMAGE         registry/repository, e.g. 127.0.0.1:5000/demo/app (plain HTTP)
#   TAG_REGEX     extended regex a tag must match, e.g. '^1\.[0-9]+\.[0-9]+$'
#   CLONE_URL     the GitOps repository, pushed to on branch main
#   OVERLAY_FILE  path of the kustomization.yaml inside the repository
# Prints one line: "tag=<tag> list_ms=<ms to pick the tag> total_ms=<ms>".
set -euo pipefail
image=$1 regex=$2 url=$3 overlay=$4
now_ms() { echo $(($(date +%s%N) / 1000000)); }
start=$(now_ms)
work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-bench-byhand-XXXXXX")
trap 'rm -rf "$work"' EXIT
# An isolated HOME so no user git config or credentials take part.
export HOME=$work GIT_CONFIG_NOSYSTEM=1
tag=$(skopeo list-tags --tls-verify=false "docker://$image" | jq -r '.Tags[]' | grep -E "$regex" | sort -V | tail -n 1)
[ -n "$tag" ] || { echo "no tag of $image matches $regex" >&2; exit 1; }
listed=$(now_ms)
git clone -q --depth 1 --branch main "$url" "$work/repo"
cd "$work/repo"
sed -i -E "s/^([[:space:]]*newTag:)[[:space:]]*[^[:space:]#]+/\1 $tag/" "$overlay"
git -c user.name=by-hand -c user.email=by-hand@example.com commit -q -am "set $overlay to $tag"
git push -q origin HEAD:main
echo "tag=$tag list_ms=$((listed - start)) total_ms=$(($(now_ms) - start))"
