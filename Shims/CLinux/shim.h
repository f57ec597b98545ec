// Linux kernel interfaces that Swift's Glibc module does not expose:
// sockaddr_nl for the sock_diag netlink protocol (what `ss` uses),
// signalfd, and the pidfd and getdents64 syscalls. syscall(2) is variadic,
// which Swift cannot call, hence the wrappers.
#ifndef PORTDASH_CLINUX_SHIM_H
#define PORTDASH_CLINUX_SHIM_H

#include <sys/types.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <linux/netlink.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

/// pidfd_open(2): a file descriptor that names one process for its lifetime,
/// so a later signal cannot reach a different process that reused the pid.
static inline int pd_pidfd_open(pid_t pid) {
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

/// pidfd_send_signal(2).
static inline int pd_pidfd_send_signal(int pidfd, int sig) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

/// si_code of a siginfo_t (union members are awkward from Swift).
static inline int pd_siginfo_code(const siginfo_t *info) { return info->si_code; }

/// getdents64(2) straight into a caller's buffer: for walking /proc/PID/fd
/// without opendir's allocation, fstat and fcntl per directory.
static inline long pd_getdents64(int fd, void *buf, unsigned long len) {
    return syscall(SYS_getdents64, fd, buf, len);
}

/// posix_spawn_file_actions_addchdir_np (glibc 2.29): the child starts in
/// `path` without the parent changing its own directory. Declared here
/// because Swift's Glibc module does not define _GNU_SOURCE.
extern int posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t *actions, const char *path);
static inline int pd_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

/// prctl(PR_SET_CHILD_SUBREAPER, 1): orphaned descendants become our
/// children rather than init's, so we reap them (no zombie keeps a stopped
/// service's process group alive) and see every one of them end.
static inline int pd_set_child_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }

#endif
