// Getting a long write's data to disk: starting the write-back of a file's pages early, so that
// the fsync that ends it waits for the last few megabytes instead of all of them, or writing
// past the page cache altogether.
#define _GNU_SOURCE
#include "CSupport.h"

#include <errno.h>
#include <fcntl.h>

void csupport_start_writeback(int descriptor, int64_t offset, int64_t length) {
#if defined(__linux__)
  // Asynchronous: queues the dirty pages of the range for writing and returns. A failure
  // (a file system without it) changes nothing: fsync still writes everything.
  (void)sync_file_range(descriptor, offset, length, SYNC_FILE_RANGE_WRITE);
#else
  (void)descriptor;
  (void)offset;
  (void)length;
#endif
}

int csupport_open_direct(const char *path) {
#if defined(__linux__)
  return open(path, O_WRONLY | O_DIRECT | O_CLOEXEC);
#else
  (void)path;
  errno = EINVAL;
  return -1;
#endif
}
