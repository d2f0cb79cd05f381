// A model of one two-thread training step's traffic on W₁ (784 × 128 floats, 392 KiB), without
// the arithmetic: what an update of the rows a thread owns costs after the other core has read
// them, and what the alternatives cost. It is how the first layer came to run over passes of k
// on two threads (README, "Parallel training").
//
//   cc -O2 -march=native -pthread Benchmarks/Tools/w1-traffic.c -o /tmp/w1-traffic && /tmp/w1-traffic
//
// Each step: both threads read W₁ (the forward product), a barrier, each thread updates its
// half of the rows with momentum, w ← w − lr·(v ← μ·v + g), a barrier. Printed: the read and
// the update, µs a step for each thread, the mean of 19,000 steps after 1,000. Needs AVX-512.
//   shared reads    each thread reads all of W₁, then updates its own rows (row tiles)
//   own rows        each thread reads only the rows it updates (passes of k)
//   streamed W      as "shared reads", W written with streaming stores
//   no reads        the update alone
#define _GNU_SOURCE
#include <immintrin.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { rows = 784, columns = 128, count = rows * columns, steps = 20000, warmup = 1000 };
enum Mode { sharedReads, ownRows, streamedW, noReads };
static const char *names[] = {"shared reads", "own rows", "streamed W", "no reads"};

static float *w, *v, *g[2];
static enum Mode mode;
static atomic_int arrived;
static double readTime[2], updateTime[2];
static volatile float sink;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static void barrier(int generation) {
    atomic_fetch_add(&arrived, 1);
    while (atomic_load(&arrived) < 2 * generation) _mm_pause();
}

static void *run(void *argument) {
    int thread = (int)(long)argument, generation = 0;
    int first = thread * count / 2, last = (thread + 1) * count / 2;
    __m512 sum = _mm512_setzero_ps();
    const __m512 mu = _mm512_set1_ps(0.9f), step = _mm512_set1_ps(-1e-6f);
    for (int s = 0; s < steps; s++) {
        double t0 = now();
        int from = mode == ownRows ? first : 0, to = mode == ownRows ? last : mode == noReads ? 0 : count;
        for (int i = from; i < to; i += 16) sum = _mm512_add_ps(sum, _mm512_load_ps(w + i));
        double t1 = now();
        barrier(++generation);
        double t2 = now();
        for (int i = first; i < last; i += 16) {
            _mm_prefetch((const char *)(v + i + 256), _MM_HINT_ET0);
            if (mode != streamedW) _mm_prefetch((const char *)(w + i + 256), _MM_HINT_ET0);
            __m512 velocity = _mm512_fmadd_ps(mu, _mm512_load_ps(v + i), _mm512_load_ps(g[thread] + i % (64 * columns)));
            _mm512_store_ps(v + i, velocity);
            __m512 weight = _mm512_fmadd_ps(step, velocity, _mm512_load_ps(w + i));
            if (mode == streamedW) _mm512_stream_ps(w + i, weight); else _mm512_store_ps(w + i, weight);
        }
        _mm_sfence();
        double t3 = now();
        barrier(++generation);
        if (s >= warmup) {
            readTime[thread] += t1 - t0;
            updateTime[thread] += t3 - t2;
        }
    }
    float lanes[16];
    _mm512_storeu_ps(lanes, sum);
    sink = lanes[0];
    return NULL;
}

int main(void) {
    size_t bytes = (count + 4096) * sizeof(float);
    w = aligned_alloc(64, bytes);
    v = aligned_alloc(64, bytes);
    memset(w, 0, bytes);
    memset(v, 0, bytes);
    for (int t = 0; t < 2; t++) {
        g[t] = aligned_alloc(64, 64 * columns * sizeof(float));
        memset(g[t], 0, 64 * columns * sizeof(float));
    }
    printf("%-14s %22s %22s\n", "", "read µs (t0 / t1)", "update µs (t0 / t1)");
    for (mode = sharedReads; mode <= noReads; mode++) {
        atomic_store(&arrived, 0);
        memset(readTime, 0, sizeof readTime);
        memset(updateTime, 0, sizeof updateTime);
        pthread_t other;
        pthread_create(&other, NULL, run, (void *)1L);
        run((void *)0L);
        pthread_join(other, NULL);
        double timed = (steps - warmup) * 1e3;
        printf("%-14s %10.1f / %-9.1f %10.1f / %-9.1f\n", names[mode], readTime[0] / timed, readTime[1] / timed,
               updateTime[0] / timed, updateTime[1] / timed);
    }
    return 0;
}
