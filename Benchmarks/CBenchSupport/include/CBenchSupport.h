#ifndef CBENCHSUPPORT_H
#define CBENCHSUPPORT_H

// C helpers of the benchmark program only (never linked into the product).

/// Lets the calling thread run on CPU `cpu` only (threads it starts inherit that); the CPUs it
/// was allowed before are saved in `*saved` (the bytes of a cpu_set_t, `saved_size` of them).
/// Returns 0, or -1 with errno set.
int bench_pin_thread(int cpu, void *saved, unsigned long saved_size);

/// Gives the calling thread back the CPUs `bench_pin_thread` saved. Returns 0, or -1 with errno set.
int bench_restore_thread(const void *saved, unsigned long saved_size);

/// Bytes of the saved CPU set the two functions above take.
unsigned long bench_cpu_set_size(void);

/// Nanoseconds for a cache line to go from CPU `first_cpu` to `second_cpu` and back, the mean
/// of `rounds` round trips between two threads pinned there (the calling thread, its CPUs
/// restored after, and one it starts). Tells whether the host placed the two CPUs on one core
/// complex, sharing an L3 (tens of ns), or on two (hundreds). Returns -1 on failure.
double bench_cache_line_round_trip(int first_cpu, int second_cpu, long rounds);

#endif
