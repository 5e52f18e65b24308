// Atomic renames with flags the plain rename(2) lacks: exchanging two paths (so a folder can be
// replaced by another with the old or the new one at the name at every instant) and renaming
// without replacing (so an output that appeared meanwhile is never overwritten).
#define _GNU_SOURCE
#include "CSupport.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>

int csupport_rename_exchange(const char *from, const char *to) {
#if defined(__linux__)
  return renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_EXCHANGE);
#elif defined(__APPLE__)
  return renamex_np(from, to, RENAME_SWAP);
#else
  errno = ENOSYS;
  return -1;
#endif
}

int csupport_rename_noreplace(const char *from, const char *to) {
#if defined(__linux__)
  return renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
#elif defined(__APPLE__)
  return renamex_np(from, to, RENAME_EXCL);
#else
  errno = ENOSYS;
  return -1;
#endif
}
