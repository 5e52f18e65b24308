#include "CSupport.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

void csupport_fix_mmap_threshold(size_t bytes) {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, (int)bytes);
#else
  (void)bytes;
#endif
}

void csupport_keep_freed_memory(size_t bytes) {
#if defined(__GLIBC__)
  // glibc caps the mmap threshold at 32 MiB on 64-bit systems; larger blocks are still mapped.
  size_t threshold = bytes < ((size_t)32 << 20) ? bytes : ((size_t)32 << 20);
  mallopt(M_MMAP_THRESHOLD, (int)threshold);
  mallopt(M_TRIM_THRESHOLD, (int)bytes);
#else
  (void)bytes;
#endif
}
