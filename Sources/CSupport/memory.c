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
