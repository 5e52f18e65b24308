#define _GNU_SOURCE
#include "CBenchSupport.h"

#include <errno.h>
#include <sched.h>
#include <string.h>

unsigned long bench_cpu_set_size(void) { return sizeof(cpu_set_t); }

int bench_pin_thread(int cpu, void *saved, unsigned long saved_size) {
  if (cpu < 0 || cpu >= CPU_SETSIZE || saved_size < sizeof(cpu_set_t)) {
    errno = EINVAL;
    return -1;
  }
  if (sched_getaffinity(0, sizeof(cpu_set_t), (cpu_set_t *)saved) != 0) return -1;
  cpu_set_t only;
  CPU_ZERO(&only);
  CPU_SET(cpu, &only);
  return sched_setaffinity(0, sizeof(cpu_set_t), &only);
}

int bench_restore_thread(const void *saved, unsigned long saved_size) {
  if (saved_size < sizeof(cpu_set_t)) {
    errno = EINVAL;
    return -1;
  }
  return sched_setaffinity(0, sizeof(cpu_set_t), (const cpu_set_t *)saved);
}
