#include "CPUFeatures.h"

int fastmlp_cpu_features_version(void) { return 1; }

unsigned long long fastmlp_add_chain(unsigned long long rounds) {
    unsigned long long x = rounds;
#if defined(__x86_64__)
    for (unsigned long long i = 0; i < rounds; i++) {
        // Eight additions, each waiting for the one before; the loop's own counter runs beside them.
        __asm__ volatile(
            "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\t"
            "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0"
            : "+r"(x) : "r"(i));
    }
#endif
    return x;
}
