// The signal handler of SIGINT, SIGTERM and SIGHUP. It only records: the first signal's number
// in a flag the program polls, and one byte per signal on a pipe that a watcher thread reads.
// Everything else (removing temporaries, exiting) happens outside signal context.
#include "CSupport.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

static volatile sig_atomic_t first_signal = 0;
static int notify_descriptor = -1;

static void record(int number) {
  int saved = errno;
  if (first_signal == 0) first_signal = number;
  unsigned char byte = (unsigned char)number;
  ssize_t ignored = write(notify_descriptor, &byte, 1);
  (void)ignored;
  errno = saved;
}

int csupport_record_interrupts(int descriptor) {
  notify_descriptor = descriptor;
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = record;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  sigset_t handled;
  sigemptyset(&handled);
  const int numbers[] = {SIGINT, SIGTERM, SIGHUP};
  for (unsigned i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
    struct sigaction current;
    if (sigaction(numbers[i], NULL, &current) != 0) return -1;
    if (current.sa_handler == SIG_IGN) continue;  // ignored by who started us (nohup): keep it so
    if (sigaction(numbers[i], &action, NULL) != 0) return -1;
    sigaddset(&handled, numbers[i]);
  }
  // A parent may start us with the signals blocked (a thread of a Swift program that spawned
  // us through Foundation's Process does): then they would never arrive.
  return pthread_sigmask(SIG_UNBLOCK, &handled, NULL) == 0 ? 0 : -1;
}

int csupport_interrupt_signal(void) { return first_signal; }

int csupport_end_with_parent(int parent) {
#ifdef __linux__
  if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0) return -1;
  return getppid() == parent ? 0 : 1;
#else
  (void)parent;
  errno = ENOSYS;
  return -1;
#endif
}
