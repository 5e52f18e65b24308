#include "CSupport.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif
#if defined(__linux__)
#include <sys/mman.h>
#endif

void csupport_fix_mmap_threshold(size_t bytes) {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, (int)bytes);
#else
  (void)bytes;
#endif
}

void csupport_keep_freed_memory(void) {
#if defined(__GLIBC__)
  // 32 MiB is glibc's cap for the mmap threshold on 64-bit systems; larger blocks are still
  // mapped. Up to 256 MiB of free heap is kept.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

int csupport_advise_huge_pages(void *address, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  return madvise(address, bytes, MADV_HUGEPAGE);
#else
  (void)address;
  (void)bytes;
  return 0;
#endif
}

void csupport_limit_malloc_arenas(int arenas) {
#if defined(__GLIBC__)
  mallopt(M_ARENA_MAX, arenas);
#else
  (void)arenas;
#endif
}
