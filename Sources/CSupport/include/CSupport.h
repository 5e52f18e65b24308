#ifndef CSUPPORT_H
#define CSUPPORT_H

#include <stddef.h>
#include <stdint.h>

/// Nonzero when the CPU and the OS support the AVX-512 subset that
/// `-target-cpu skylake-avx512` code may use (F, CD, BW, DQ, VL).
int csupport_cpu_has_avx512(void);

/// Nonzero when the CPU and the OS support what `-target-cpu haswell` code may
/// use (AVX2, FMA, F16C, BMI1/2, LZCNT, MOVBE, POPCNT).
int csupport_cpu_has_avx2_fma(void);

/// The processors this process may run on: its CPU affinity (`taskset`, a container's
/// cpuset), else every online one; at least 1.
int csupport_available_processors(void);

/// Flushes standard output: 0 when everything printed to it was written, else the `errno` of
/// the failure (-1 when an earlier write failed and errno is gone).
int csupport_flush_standard_output(void);

/// CRC-32C (Castagnoli) of `length` bytes, continuing from `crc` (0 to start).
/// Folds with carry-less multiplication when the CPU has PCLMULQDQ, uses tables otherwise.
uint32_t csupport_crc32c(uint32_t crc, const void *data, size_t length);

/// CRC-32 as zip, zlib and PNG use it, of `length` bytes, continuing from `crc` (0 to start);
/// computed as `csupport_crc32c` is.
uint32_t csupport_crc32(uint32_t crc, const void *data, size_t length);

/// CRC-32C computed with the portable tables only (for tests of the folding path).
uint32_t csupport_crc32c_portable(uint32_t crc, const void *data, size_t length);

/// CRC-32 computed with the portable tables only (for tests of the folding path).
uint32_t csupport_crc32_portable(uint32_t crc, const void *data, size_t length);

/// A SHA-256 in progress (see csupport_sha256_update); its fields are the implementation's.
typedef struct {
  uint32_t state[8];
  uint64_t length;
  uint8_t pending[64];
  uint32_t pending_count;
  uint32_t portable;
} csupport_sha256;

/// Nonzero when the CPU has the x86 SHA extensions (with SSSE3 and SSE4.1), which a SHA-256
/// started with csupport_sha256_init uses; elsewhere it runs in plain C.
int csupport_sha256_accelerated(void);

/// Starts a SHA-256, on the SHA extensions where the CPU has them.
void csupport_sha256_init(csupport_sha256 *h);

/// Starts a SHA-256 in plain C whatever the CPU (for tests of the accelerated path).
void csupport_sha256_init_portable(csupport_sha256 *h);

/// Adds `count` bytes to a SHA-256.
void csupport_sha256_update(csupport_sha256 *h, const void *bytes, size_t count);

/// Adds bytes to two SHA-256s at once, their blocks interleaved on this thread: on CPUs whose
/// SHA instructions wait on their latency (Zen 4) almost twice as fast as one after the other
/// (one after the other when either runs in plain C).
void csupport_sha256_update_pair(
    csupport_sha256 *a, const void *a_bytes, size_t a_count, csupport_sha256 *b, const void *b_bytes,
    size_t b_count);

/// The digest of the bytes added so far (the SHA-256 itself is left as it was).
void csupport_sha256_finish(const csupport_sha256 *h, uint8_t digest[32]);

/// Fixes the C library's mmap threshold at `bytes` (glibc: mallopt M_MMAP_THRESHOLD), so
/// large buffers are always mapped and returned to the system when freed; a no-op elsewhere.
void csupport_fix_mmap_threshold(size_t bytes);

/// Keeps freed memory for reuse instead of returning it to the system: blocks up to 32 MiB
/// come from the heap and up to 256 MiB of free heap is kept (glibc: M_MMAP_THRESHOLD and
/// M_TRIM_THRESHOLD), so a forward pass run again finds its tensors' pages already mapped
/// instead of faulting in and zeroing fresh ones; a no-op elsewhere.
void csupport_keep_freed_memory(void);

/// Caps the C library's malloc arenas at `arenas` (glibc: mallopt M_ARENA_MAX). Each arena of a
/// new thread reserves 64 MiB of address space, which under an address-space limit (`ulimit -v`)
/// left too little for the data itself.
void csupport_limit_malloc_arenas(int arenas);

/// Bytes of a transparent huge page (x86-64 and arm64 Linux with 4 KiB base pages).
#define CSUPPORT_HUGE_PAGE_BYTES ((size_t)2 << 20)

/// Asks the kernel to back `bytes` at `address` (a multiple of `CSUPPORT_HUGE_PAGE_BYTES`,
/// aligned to one) with transparent huge pages (Linux madvise MADV_HUGEPAGE, which takes
/// effect where the system's setting is `madvise` or `always`). A hint only: nothing happens
/// where huge pages are off or unknown. Returns 0, or -1 with errno set.
int csupport_advise_huge_pages(void *address, size_t bytes);

/// Renames `from` to `to` and `to` to `from` in one atomic step (Linux renameat2
/// RENAME_EXCHANGE, macOS RENAME_SWAP); both must exist. Returns 0, or -1 with errno set
/// (EINVAL when the file system cannot exchange).
int csupport_rename_exchange(const char *from, const char *to);

/// Renames `from` to `to` unless `to` exists (then fails with EEXIST), atomically. Returns 0,
/// or -1 with errno set (EINVAL when the file system does not support the flag).
int csupport_rename_noreplace(const char *from, const char *to);

/// Opens `path` for writing with O_DIRECT (Linux; writes then go from the caller's aligned
/// buffers to the device, bypassing the page cache). Returns the descriptor (close-on-exec),
/// or -1 with errno set; elsewhere always -1 with errno EINVAL.
int csupport_open_direct(const char *path);

/// Asks the kernel to start writing the dirty pages of `length` bytes at `offset` of the open
/// file `descriptor` to disk, without waiting (Linux sync_file_range with
/// SYNC_FILE_RANGE_WRITE); a no-op elsewhere or when unsupported. Durability still needs fsync.
void csupport_start_writeback(int descriptor, int64_t offset, int64_t length);

/// Installs the handler of SIGINT, SIGTERM and SIGHUP (except any inherited as ignored, as
/// under nohup) and unblocks them in the calling thread: it records the first signal's number
/// (see csupport_interrupt_signal) and writes one byte, the signal number, to `descriptor` per
/// signal. Returns 0, or -1 with errno set.
int csupport_record_interrupts(int descriptor);

/// The number of the first SIGINT, SIGTERM or SIGHUP received since
/// csupport_record_interrupts, or 0.
int csupport_interrupt_signal(void);

/// Asks for SIGTERM when the thread that started this process ends (Linux PR_SET_PDEATHSIG),
/// so that a child outlives no parent, even one killed with SIGKILL. Returns 0, 1 when
/// `parent` is no longer the parent (it ended before the request), or -1 with errno set (and
/// always -1 where the request does not exist).
int csupport_end_with_parent(int parent);

/// Asks the CPU to bring the cache line holding `address` into L1 for reading, without
/// waiting for it (Swift has no prefetch). Inlined at each use: the GEMM micro-kernels fetch
/// the packed B panel a few steps ahead of their loads.
static inline __attribute__((always_inline)) void csupport_prefetch(const void *address) {
  __builtin_prefetch(address, 0, 3);
}

/// Asks the CPU to bring the cache line holding `address` into L1 to be written, without
/// waiting for it: the GEMM micro-kernel fetches its C tile shortly before it stores it.
static inline __attribute__((always_inline)) void csupport_prefetch_for_write(const void *address) {
  __builtin_prefetch(address, 1, 3);
}

/// Records that `length` bytes from `start` map the file at `path` (up to 1023 bytes of it are
/// kept), for csupport_report_bus_errors and csupport_mapped_file_containing. Returns the slot
/// to pass to csupport_unregister_mapping, or -1 when all 256 slots are taken (the mapping is
/// then not named).
int csupport_register_mapping(const void *start, size_t length, const char *path);

/// Forgets the mapping of `slot` (before it is unmapped); -1 does nothing.
void csupport_unregister_mapping(int slot);

/// What happened to a mapped file whose pages fault: the reason csupport_report_bus_errors
/// prints and a write that fails with EFAULT from such a page gives.
#define CSUPPORT_TRUNCATED_MAPPING_REASON "was truncated by another program while this one read it"

/// The path of a registered mapping that holds a byte of `length` bytes from `address` (a
/// write from it failed with EFAULT: its file was truncated), or NULL.
const char *csupport_mapped_file_containing(const void *address, size_t length);

/// Handles SIGBUS: a fault in a registered mapping prints `prefix`, the file's path (control
/// characters escaped) and ": " CSUPPORT_TRUNCATED_MAPPING_REASON (or, when the file still
/// reaches the page, ": could not be read (an input/output error ...)") on standard error and
/// exits with status 2, once however many threads fault; any other SIGBUS gets the handler
/// there was before (the Swift runtime's crash report) or the default action. Returns 0, or -1
/// with errno set.
int csupport_report_bus_errors(const char *prefix);

/// Opens /dev/null, read-only, on any of standard input, output and error that is closed, so
/// that no file the program opens later takes descriptor 0, 1 or 2 (and receives its messages);
/// writes to them still fail, as they did while closed.
void csupport_open_standard_descriptors(void);

/// Writes `length` bytes to standard error, retrying after EINTR and short writes; a failure
/// (a full disk, a closed descriptor) is ignored: the message is lost, the program goes on. (A
/// pipe closed by its reader still ends the program with SIGPIPE, as any write to it does.)
void csupport_write_standard_error(const void *bytes, size_t length);

#endif
