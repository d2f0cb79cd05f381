#!/bin/bash
# Builds the FastMLP DocC catalogue with the toolchain's docc into .build/docs (static HTML),
# and fails on any DocC warning (a broken symbol link, an ambiguous one).
#   Scripts/build-docs.sh              # then open .build/docs/index.html through a web server,
#                                      # or: python3 -m http.server -d .build/docs
set -euo pipefail
cd "$(dirname "$0")/.."
# The compiler writes the graph only when it compiles the module, so the directory is kept with
# the build it belongs to.
graphs=.build/docs-build/symbol-graphs
rm -rf .build/docs
mkdir -p "$graphs"
swift build -c release --scratch-path .build/docs-build --target FastMLP -Xswiftc -emit-symbol-graph -Xswiftc -emit-symbol-graph-dir -Xswiftc "$graphs" >&2
log=$(docc convert Sources/FastMLP/FastMLP.docc --additional-symbol-graph-dir "$graphs" --output-path .build/docs \
    --fallback-display-name FastMLP --fallback-bundle-identifier org.fastmlp.FastMLP --fallback-bundle-version 0.9.0 \
    --transform-for-static-hosting 2>&1)
if grep -qE '^(warning|error)' <<<"$log"; then
    grep -E -A3 '^(warning|error)' <<<"$log" >&2
    exit 1
fi
echo "wrote .build/docs"
