// fork + exec for services, every set-up step checked: see CLinux.h.
#include "CLinux.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

pid_t pd_spawn(const struct pd_spawn_request *r, int *stage, int *err) {
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
