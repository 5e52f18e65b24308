// The files mapped into memory, by address range, and a SIGBUS handler that names them. A page
// of a mapping whose file another program truncated faults with SIGBUS when read (as does one
// the disk cannot read); the handler turns that crash into one error line naming the file and
// exit status 2 (temporaries beside an output are left, as after SIGKILL, for the next run to
// remove). A system call given such a page fails with EFAULT instead;
// csupport_mapped_file_containing names the file for that.
#include "CSupport.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SLOTS 256
#define PATH_BYTES 1024
#define PREFIX_BYTES 64

struct mapping {
  _Atomic(uintptr_t) start;  // 0: the slot is free
  _Atomic(size_t) length;
  char path[PATH_BYTES];     // as given, for stat and csupport_mapped_file_containing
  char shown[PATH_BYTES];    // control characters escaped, for the handler's message
};

static struct mapping mappings[SLOTS];
static pthread_mutex_t registration = PTHREAD_MUTEX_INITIALIZER;
static char message_prefix[PREFIX_BYTES];
static struct sigaction previous_action;
static atomic_int reporting = 0;

/// `path` into `out` (PATH_BYTES) with its control characters escaped as the program's messages
/// escape them (`\n`, `\r`, `\t`, `\u{1b}`), cut short rather than overflowing.
static void escape(const char *path, char *out) {
  size_t used = 0;
  for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
    char piece[12];
    if (*p == '\n') strcpy(piece, "\\n");
    else if (*p == '\r') strcpy(piece, "\\r");
    else if (*p == '\t') strcpy(piece, "\\t");
    else if (*p < 0x20 || *p == 0x7F) snprintf(piece, sizeof piece, "\\u{%x}", *p);
    else { piece[0] = (char)*p; piece[1] = 0; }
    size_t length = strlen(piece);
    if (used + length >= PATH_BYTES) break;
    memcpy(out + used, piece, length);
    used += length;
  }
  out[used] = 0;
}

int csupport_register_mapping(const void *start, size_t length, const char *path) {
  if (start == NULL || length == 0) return -1;
  pthread_mutex_lock(&registration);
  int found = -1;
  for (int slot = 0; slot < SLOTS && found < 0; slot++) {
    if (atomic_load(&mappings[slot].start) == 0) found = slot;
  }
  if (found >= 0) {
    struct mapping *entry = &mappings[found];
    atomic_store(&entry->length, length);
    strncpy(entry->path, path, PATH_BYTES - 1);
    entry->path[PATH_BYTES - 1] = 0;
    escape(path, entry->shown);
    atomic_store(&entry->start, (uintptr_t)start);  // published last: readers test it first
  }
  pthread_mutex_unlock(&registration);
  return found;
}

void csupport_unregister_mapping(int slot) {
  if (slot < 0 || slot >= SLOTS) return;
  atomic_store(&mappings[slot].start, 0);
}

/// The slot whose mapping holds a byte of [address, address + length), or -1; with the
/// mapping's start (a slot freed and taken again while it was read is skipped).
static int slot_containing(uintptr_t address, size_t length, uintptr_t *found_start) {
  for (int slot = 0; slot < SLOTS; slot++) {
    uintptr_t start = atomic_load(&mappings[slot].start);
    if (start == 0) continue;
    uintptr_t end = start + atomic_load(&mappings[slot].length);
    if (atomic_load(&mappings[slot].start) != start) continue;
    if (address < end && address + (length > 0 ? length : 1) > start) {
      *found_start = start;
      return slot;
    }
  }
  return -1;
}

const char *csupport_mapped_file_containing(const void *address, size_t length) {
  uintptr_t start;
  int slot = slot_containing((uintptr_t)address, length, &start);
  return slot < 0 ? NULL : mappings[slot].path;
}

/// `text` on standard error (async-signal-safe: csupport_write_standard_error only calls write).
static void write_text(const char *text) { csupport_write_standard_error(text, strlen(text)); }

static void on_bus_error(int number, siginfo_t *info, void *context) {
  uintptr_t start = 0;
  int slot = info->si_code > 0 ? slot_containing((uintptr_t)info->si_addr, 1, &start) : -1;
  if (slot < 0) {
    // Sent by kill, or a fault outside the mapped files: what the handler before this one (the
    // Swift runtime's crash report) or the default would have done.
    sigaction(number, &previous_action, NULL);
    if (info->si_code <= 0) raise(number);  // a fault repeats by itself when this returns
    (void)context;
    return;
  }
  // Threads reading the same file fault together: one reports, the others wait for the exit.
  if (atomic_exchange(&reporting, 1) != 0) {
    for (;;) pause();
  }
  struct stat now;
  uintptr_t offset = (uintptr_t)info->si_addr - start;
  int truncated = stat(mappings[slot].path, &now) != 0 || (uintptr_t)now.st_size <= offset;
  write_text(message_prefix);
  write_text(mappings[slot].shown);
  write_text(truncated ? ": " CSUPPORT_TRUNCATED_MAPPING_REASON "\n"
                       : ": could not be read (an input/output error of the disk or file system)\n");
  _exit(2);
}

int csupport_report_bus_errors(const char *prefix) {
  strncpy(message_prefix, prefix, PREFIX_BYTES - 1);
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = on_bus_error;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  return sigaction(SIGBUS, &action, &previous_action);
}
