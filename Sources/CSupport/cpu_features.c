#include "CSupport.h"

#if defined(__x86_64__) || defined(__i386__)
int csupport_cpu_has_avx512(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vl") && csupport_cpu_has_avx2_fma();
}

int csupport_cpu_has_avx2_fma(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
         __builtin_cpu_supports("f16c") && __builtin_cpu_supports("bmi") &&
         __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt") &&
         __builtin_cpu_supports("movbe");
}
#else
int csupport_cpu_has_avx512(void) { return 0; }
int csupport_cpu_has_avx2_fma(void) { return 0; }
#endif
