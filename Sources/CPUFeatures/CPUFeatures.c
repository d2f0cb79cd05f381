#include "CPUFeatures.h"

int fastmlp_cpu_features_version(void) { return 1; }
