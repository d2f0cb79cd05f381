#include "CPUFeatures.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <string.h>
#endif

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

int fastmlp_amd_family25(void) {
#if defined(__x86_64__)
    unsigned a, b, c, d;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return 0;
    char vendor[12];
    memcpy(vendor, &b, 4);
    memcpy(vendor + 4, &d, 4);
    memcpy(vendor + 8, &c, 4);
    if (memcmp(vendor, "AuthenticAMD", 12) != 0 || !__get_cpuid(1, &a, &b, &c, &d)) return 0;
    unsigned family = (a >> 8) & 0xf;
    if (family == 0xf) family += (a >> 20) & 0xff;
    return family == 25;
#else
    return 0;
#endif
}
