#define _GNU_SOURCE
#include "CBenchSupport.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

// A cache line passed back and forth between two threads, each pinned to its CPU (with
// `bench_pin_thread`): one writes an odd number and waits for the next even one, the other
// answers each odd number.
struct round_trip {
  _Alignas(64) _Atomic long line;
  _Alignas(64) _Atomic int failed;
  int cpu;
  long rounds;
};

static void *answer(void *argument) {
  struct round_trip *shared = argument;
  cpu_set_t before;
  if (bench_pin_thread(shared->cpu, &before, sizeof before) != 0) {
    atomic_store(&shared->failed, 1);
    return NULL;
  }
  for (long i = 0; i < shared->rounds; i++) {
    while (atomic_load_explicit(&shared->line, memory_order_acquire) != 2 * i + 1) {
    }
    atomic_store_explicit(&shared->line, 2 * i + 2, memory_order_release);
  }
  return NULL;
}

double bench_cache_line_round_trip(int first_cpu, int second_cpu, long rounds) {
  cpu_set_t saved;
  if (rounds <= 0 || bench_pin_thread(first_cpu, &saved, sizeof saved) != 0) return -1;
  struct round_trip shared;
  atomic_store(&shared.line, 0);
  atomic_store(&shared.failed, 0);
  shared.cpu = second_cpu;
  shared.rounds = rounds;
  pthread_t thread;
  if (pthread_create(&thread, NULL, answer, &shared) != 0) {
    bench_restore_thread(&saved, sizeof saved);
    return -1;
  }
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  long i = 0;
  for (; i < rounds; i++) {
    atomic_store_explicit(&shared.line, 2 * i + 1, memory_order_release);
    while (atomic_load_explicit(&shared.line, memory_order_acquire) != 2 * i + 2 &&
           !atomic_load_explicit(&shared.failed, memory_order_relaxed)) {
    }
    if (atomic_load(&shared.failed)) break;
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  pthread_join(thread, NULL);
  bench_restore_thread(&saved, sizeof saved);
  if (i < rounds) return -1;
  return ((end.tv_sec - start.tv_sec) * 1e9 + (end.tv_nsec - start.tv_nsec)) / rounds;
}
