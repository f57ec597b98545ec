// Linux interfaces that Swift's Glibc module does not expose, as a C target
// compiled with _GNU_SOURCE (Package.swift's cSettings), the way SwiftNIO's
// CNIOLinux is built: this header declares, the .c files beside it define.
// syscall(2) is variadic, which Swift cannot call, hence the wrappers;
// glibc's GNU extensions (pipe2, struct ucred, strerrorname_np,
// posix_spawn_file_actions_addchdir_np) are reached through functions here
// rather than looked up by name at run time.
//
// - process.c: pidfds, getdents64, pipes, peer credentials, errno names.
// - spawn.c:   fork + exec for services, every set-up step checked.
// - rebind.c:  seccomp user notification for `binds = 3000`.
#ifndef PORTDASH_CLINUX_H
#define PORTDASH_CLINUX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <spawn.h>
#include <linux/netlink.h>

// MARK: - process.c

/// pidfd_open(2): a file descriptor that names one process for its lifetime,
/// so a later signal cannot reach a different process that reused the pid.
int pd_pidfd_open(pid_t pid);

/// pidfd_send_signal(2).
int pd_pidfd_send_signal(int pidfd, int sig);

/// si_code of a siginfo_t (union members are awkward from Swift).
int pd_siginfo_code(const siginfo_t *info);

/// getdents64(2) straight into a caller's buffer: for walking /proc/PID/fd
/// without opendir's allocation, fstat and fcntl per directory.
long pd_getdents64(int fd, void *buf, unsigned long len);

/// posix_spawn_file_actions_addchdir_np (glibc 2.29): the child starts in
/// `path` without the parent changing its own directory.
int pd_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path);

/// prctl(PR_SET_CHILD_SUBREAPER, 1): orphaned descendants become our
/// children rather than init's, so we reap them (no zombie keeps a stopped
/// service's process group alive) and see every one of them end.
int pd_set_child_subreaper(void);

/// pipe2(2): both ends get `flags` (O_CLOEXEC, O_NONBLOCK) from the start,
/// so no child spawned by another thread in between inherits them.
int pd_pipe2(int fds[2], int flags);

/// pipe2(fds, O_CLOEXEC).
int pd_pipe_cloexec(int fds[2]);

/// SO_PEERCRED's uid of a connected unix socket's peer (struct ucred,
/// socket(7)); -1 on failure.
long pd_peer_uid(int fd);

/// strerrorname_np(3) (glibc 2.32): an errno's symbolic name ("EADDRINUSE"),
/// NULL for a number it does not know.
const char *pd_errno_name(int err);

/// waitid(P_PIDFD, …, WEXITED | WNOHANG): reaps exactly the process the
/// pidfd names. Returns 1 with *status (as waitpid's) when it had ended,
/// 0 while it runs, -1 with errno.
int pd_reap_pidfd(int pidfd, int *status);

// MARK: - spawn.c

/// What pd_spawn needs, all prepared by the caller: the child only makes
/// async-signal-safe calls between fork(2) and execve(2).
struct pd_spawn_request {
    const char *path;          /* the executable, already found on PATH */
    char *const *argv;
    char *const *envp;
    const char *directory;     /* NULL: ours */
    int cgroup_procs_fd;       /* -1, or an open cgroup.procs the child joins first */
    int new_process_group;
    int null_input;
    int input_fd;              /* -1, or the child's stdin (a keeper's pipe) */
    int output_fd;             /* -1: ours; else stdout and stderr */
    int death_signal;          /* 0, or PR_SET_PDEATHSIG's signal */
    int rebind_socket;         /* -1, or a unix socket the seccomp listener is sent over (rebind.c) */
};

/// The set-up steps, so a failure names its cause ("no such directory"
/// is not "no such command").
enum { PD_STAGE_FORK = 1, PD_STAGE_CGROUP, PD_STAGE_SIGNALS, PD_STAGE_PGROUP, PD_STAGE_DEATHSIG,
       PD_STAGE_INPUT, PD_STAGE_OUTPUT, PD_STAGE_CHDIR, PD_STAGE_EXEC, PD_STAGE_SECCOMP };

/// fork + exec whose every set-up call is checked. The child joins its
/// cgroup before anything else, so nothing it ever forks is outside it;
/// its signal mask is emptied and every disposition reset (ignored ones
/// survive exec). On failure the child writes {stage, errno} to a
/// close-on-exec pipe and exits 127; the parent reaps it and returns -1
/// with *stage and *err set. On success returns the pid.
pid_t pd_spawn(const struct pd_spawn_request *r, int *stage, int *err);

// MARK: - rebind.c
// seccomp user notification for `binds = 3000` (seccomp_unotify(2)): a
// service's bind(2) and connect(2) stop in the kernel and are handed to
// portdash, which reads the address, and either lets the call go on as it
// is or performs it itself, on the service's own socket (pidfd_getfd(2)),
// with the leased port in place of the hard-coded one. It reaches programs
// that skip libc (Go, static binaries), which an LD_PRELOAD library cannot.

/// The system call numbers the filter stops.
long pd_nr_bind(void);
long pd_nr_connect(void);

/// In the child, after fork and before exec (async-signal-safe calls only):
/// sets no_new_privs (what an unprivileged seccomp filter needs), installs
/// a filter that hands bind and connect of this architecture to a
/// listener, and returns the listener's descriptor; -1 with errno (EBUSY:
/// a filter with a listener is there already, one per process tree).
/// Another architecture's calls (a 32-bit program) are let through as
/// they are.
int pd_seccomp_listen(void);

/// Sends one descriptor over a unix socket (SCM_RIGHTS). 0, or -1 with errno.
int pd_send_fd(int sock, int fd);

/// Receives one descriptor sent with pd_send_fd, close-on-exec (no later
/// child inherits it). -1 with errno; EAGAIN when none was sent.
int pd_recv_fd(int sock);

/// One stopped system call, as Swift reads it: which thread, which call,
/// its arguments.
struct pd_notification {
    uint64_t id;
    int32_t pid;   /* the calling thread's id, in our pid namespace */
    int32_t nr;
    uint64_t args[6];
};

/// SECCOMP_IOCTL_NOTIF_RECV: waits for the next stopped call. 0, or -1
/// with errno (ENOENT: the caller died or was interrupted before we read it).
int pd_notif_recv(int listener, struct pd_notification *out);

/// SECCOMP_IOCTL_NOTIF_ID_VALID: the caller still waits on this call (so
/// the pid we looked up is still that thread). 1 valid, 0 not.
int pd_notif_valid(int listener, uint64_t id);

/// Answers a stopped call: with `continue_call` the kernel runs it as the
/// program made it; else it returns `val`, or fails with `error` (an errno).
int pd_notif_answer(int listener, uint64_t id, int64_t val, int error, int continue_call);

/// process_vm_readv(2) of `len` bytes at `address` in process `pid`.
long pd_read_memory(pid_t pid, uint64_t address, void *buffer, size_t len);

/// pidfd_getfd(2): our own descriptor for the process's descriptor `fd`
/// (the same open socket), close-on-exec.
int pd_pidfd_getfd(int pidfd, int fd);

#endif
