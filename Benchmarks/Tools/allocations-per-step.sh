#!/usr/bin/env bash
# Counts heap allocations per training step: runs the epoch benchmark's child for 1 and for 3
# timed epochs under a malloc-counting preload and divides the difference by the steps between.
#   Benchmarks/Tools/allocations-per-step.sh [profile] [threads]
# Needs a C compiler and a release build (swift build -c release -Xswiftc -target-cpu -Xswiftc native).
set -euo pipefail
profile=${1:-mlp-128}
threads=${2:-2}
cd "$(dirname "$0")/../.."
binary=.build/release/fastmlp-benchmarks
[ -x "$binary" ] || { echo "Error: $binary is missing; build in release first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/count.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
static atomic_long calls;
static char early[1 << 16];
static size_t earlyUsed;
static void *(*realMalloc)(size_t);
static void *(*realCalloc)(size_t, size_t);
static void *(*realRealloc)(void *, size_t);
static int (*realMemalign)(void **, size_t, size_t);
void *malloc(size_t n) {
    if (!realMalloc) realMalloc = dlsym(RTLD_NEXT, "malloc");
    atomic_fetch_add(&calls, 1);
    return realMalloc(n);
}
void *calloc(size_t a, size_t b) {
    if (!realCalloc) { void *p = early + earlyUsed; earlyUsed += (a * b + 15) & ~(size_t)15; return p; }
    atomic_fetch_add(&calls, 1);
    return realCalloc(a, b);
}
void *realloc(void *p, size_t n) {
    if (!realRealloc) realRealloc = dlsym(RTLD_NEXT, "realloc");
    atomic_fetch_add(&calls, 1);
    return realRealloc(p, n);
}
int posix_memalign(void **p, size_t a, size_t n) {
    if (!realMemalign) realMemalign = dlsym(RTLD_NEXT, "posix_memalign");
    atomic_fetch_add(&calls, 1);
    return realMemalign(p, a, n);
}
__attribute__((constructor)) static void start(void) { realCalloc = dlsym(RTLD_NEXT, "calloc"); }
__attribute__((destructor)) static void report(void) { fprintf(stderr, "allocations %ld\n", (long)calls); }
C
cc -O2 -shared -fPIC "$work/count.c" -o "$work/count.so" -ldl
count() {
    LD_PRELOAD="$work/count.so" "$binary" epoch-row --profile "$profile" --threads "$threads" --epochs "$1" 2>&1 >/dev/null \
        | awk '/^allocations/ { print $2 }'
}
one=$(count 1)
three=$(count 3)
steps=$(python3 -c "import json; p=json.load(open('Profiles/$profile.json')); print(2 * -(-60000 // p['batch_size']))")
echo "$profile, $threads threads: $one allocations with 1 timed epoch, $three with 3; $(( three - one )) over the $steps steps between"
