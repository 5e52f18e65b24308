#include <errno.h>
#include <stdio.h>

#include "CSupport.h"

int csupport_flush_standard_output(void) {
  errno = 0;
  if (fflush(stdout) != 0) return errno != 0 ? errno : -1;
  return ferror(stdout) ? -1 : 0;
}
