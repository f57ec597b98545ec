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
#include <string.h>
#include <sys/wait.h>

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


#include <fcntl.h>
#include <sys/socket.h>
#include <errno.h>
#include "rebind.h"

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
    int rebind_socket;         /* -1, or a unix socket the seccomp listener is sent over (rebind.h) */
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
static inline pid_t pd_spawn(const struct pd_spawn_request *r, int *stage, int *err) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) { *stage = PD_STAGE_FORK; *err = errno; return -1; }
    pid_t pid = fork();
    if (pid < 0) { *stage = PD_STAGE_FORK; *err = errno; close(report[0]); close(report[1]); return -1; }
    if (pid == 0) {
        int failed[2] = {0, 0};
        close(report[0]);
        if (r->cgroup_procs_fd >= 0 && write(r->cgroup_procs_fd, "0", 1) != 1) { failed[0] = PD_STAGE_CGROUP; goto fail; }
        for (int sig = 1; sig < NSIG; sig++) {
            if (sig == SIGKILL || sig == SIGSTOP) continue;
            struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_handler = SIG_DFL;
            sigaction(sig, &sa, NULL);  /* EINVAL for the signals glibc keeps: fine */
        }
        sigset_t none; sigemptyset(&none);
        if (sigprocmask(SIG_SETMASK, &none, NULL) != 0) { failed[0] = PD_STAGE_SIGNALS; goto fail; }
        if (r->new_process_group && setpgid(0, 0) != 0) { failed[0] = PD_STAGE_PGROUP; goto fail; }
        if (r->death_signal && prctl(PR_SET_PDEATHSIG, r->death_signal, 0, 0, 0) != 0) { failed[0] = PD_STAGE_DEATHSIG; goto fail; }
        if (r->null_input) {
            int n = open("/dev/null", O_RDONLY);
            if (n < 0 || dup2(n, 0) < 0) { failed[0] = PD_STAGE_INPUT; goto fail; }
            if (n != 0) close(n);
        }
        if (r->input_fd >= 0 && dup2(r->input_fd, 0) < 0) { failed[0] = PD_STAGE_INPUT; goto fail; }
        if (r->output_fd >= 0 && (dup2(r->output_fd, 1) < 0 || dup2(r->output_fd, 2) < 0)) { failed[0] = PD_STAGE_OUTPUT; goto fail; }
        if (r->directory && chdir(r->directory) != 0) { failed[0] = PD_STAGE_CHDIR; goto fail; }
        if (r->rebind_socket >= 0) {
            /* Last: from here on bind and connect wait for the supervisor. */
            int listener = pd_seccomp_listen();
            if (listener < 0 || pd_send_fd(r->rebind_socket, listener) != 0) { failed[0] = PD_STAGE_SECCOMP; goto fail; }
            close(listener);
            close(r->rebind_socket);
        }
        execve(r->path, r->argv, r->envp);
        failed[0] = PD_STAGE_EXEC;
    fail:
        failed[1] = errno;
        (void)!write(report[1], failed, sizeof failed);
        _exit(127);
    }
    close(report[1]);
    int failed[2] = {0, 0};
    ssize_t n;
    do { n = read(report[0], failed, sizeof failed); } while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == (ssize_t)sizeof failed) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        *stage = failed[0]; *err = failed[1];
        return -1;
    }
    return pid;
}

/// pipe2(2) with O_CLOEXEC (Glibc's module has no _GNU_SOURCE).
extern int pipe2(int fds[2], int flags);
static inline int pd_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

/// SO_PEERCRED's uid of a connected unix socket's peer; -1 on failure.
static inline long pd_peer_uid(int fd) {
    struct { pid_t pid; uid_t uid; gid_t gid; } cred;  /* struct ucred, socket(7); glibc hides it without _GNU_SOURCE */
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return -1;
    return (long)cred.uid;
}

/// waitid(P_PIDFD, …, WEXITED | WNOHANG): reaps exactly the process the
/// pidfd names. Returns 1 with *status (as waitpid's) when it had ended,
/// 0 while it runs, -1 with errno.
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
static inline int pd_reap_pidfd(int pidfd, int *status) {
    siginfo_t info; memset(&info, 0, sizeof info);
    if (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &info, WEXITED | WNOHANG) != 0) return -1;
    if (info.si_pid == 0) return 0;
    *status = info.si_code == CLD_EXITED ? (info.si_status & 0xff) << 8 : (info.si_status & 0x7f);
    return 1;
}

#endif
