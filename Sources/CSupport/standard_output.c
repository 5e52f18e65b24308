#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "CSupport.h"

int csupport_flush_standard_output(void) {
  errno = 0;
  if (fflush(stdout) != 0) return errno != 0 ? errno : -1;
  return ferror(stdout) ? -1 : 0;
}

void csupport_open_standard_descriptors(void) {
  for (int descriptor = 0; descriptor <= 2; descriptor++) {
    if (fcntl(descriptor, F_GETFD) != -1 || errno != EBADF) continue;
    // open takes the lowest free descriptor: this one, those below it being open by now.
    // Read-only: a write to standard output or error still fails (EBADF) as it did while the
    // descriptor was closed, so a result printed there and lost is still reported.
    (void)open("/dev/null", O_RDONLY);
  }
}

void csupport_write_standard_error(const void *bytes, size_t length) {
  const char *next = bytes;
  while (length > 0) {
    ssize_t written = write(STDERR_FILENO, next, length);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return;
    next += written;
    length -= (size_t)written;
  }
}
