#ifndef CSUPPORT_H
#define CSUPPORT_H

#include <stddef.h>
#include <stdint.h>

/// Nonzero when the CPU and the OS support the AVX-512 subset that
/// `-target-cpu skylake-avx512` code may use (F, CD, BW, DQ, VL).
int csupport_cpu_has_avx512(void);

/// Nonzero when the CPU and the OS support what `-target-cpu haswell` code may
/// use (AVX2, FMA, F16C, BMI1/2, LZCNT, MOVBE, POPCNT).
int csupport_cpu_has_avx2_fma(void);

/// CRC-32C (Castagnoli) of `length` bytes, continuing from `crc` (0 to start).
/// Uses the SSE4.2 instruction when the CPU has it, a table otherwise.
uint32_t csupport_crc32c(uint32_t crc, const void *data, size_t length);

/// CRC-32C computed with the portable table only (for tests of the dispatch).
uint32_t csupport_crc32c_portable(uint32_t crc, const void *data, size_t length);

/// Fixes the C library's mmap threshold at `bytes` (glibc: mallopt M_MMAP_THRESHOLD), so
/// large buffers are always mapped and returned to the system when freed; a no-op elsewhere.
void csupport_fix_mmap_threshold(size_t bytes);

#endif
