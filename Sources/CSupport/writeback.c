// Starting the write-back of a file's pages early, so that the fsync that ends a long write
// waits for the last few megabytes instead of all of them.
#define _GNU_SOURCE
#include "CSupport.h"

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
