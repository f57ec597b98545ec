// seccomp user notification for `binds = 3000`: see CLinux.h.
#include "CLinux.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SYS_process_vm_readv
#define SYS_process_vm_readv 310
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef MSG_CMSG_CLOEXEC
#define MSG_CMSG_CLOEXEC 0x40000000
#endif

#if defined(__x86_64__)
#define PD_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define PD_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "portdash's seccomp filter knows x86_64 and aarch64"
#endif

long pd_nr_bind(void) { return SYS_bind; }
long pd_nr_connect(void) { return SYS_connect; }

/// In the child, after fork and before exec (async-signal-safe calls only):
/// sets no_new_privs (what an unprivileged seccomp filter needs), installs
/// a filter that hands bind and connect of this architecture to a
/// listener, and returns the listener's descriptor; -1 with errno (EBUSY:
/// a filter with a listener is there already, one per process tree).
/// Another architecture's calls (a 32-bit program) are let through as
/// they are.
int pd_seccomp_listen(void) {
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PD_AUDIT_ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_bind, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_connect, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
    };
    struct sock_fprog prog = { .len = (unsigned short)(sizeof code / sizeof code[0]), .filter = code };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
    /* Killable waits (5.19): a signal to the caller while we answer does not
       make the kernel restart the call behind our back (a second bind of a
       bound socket: EINVAL). Older kernels refuse the flag: without it. */
    int fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                          SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, &prog);
    if (fd < 0 && errno == EINVAL) fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    return fd;
}

/// Sends one descriptor over a unix socket (SCM_RIGHTS). 0, or -1 with errno.
int pd_send_fd(int sock, int fd) {
    char byte = 0;
    struct iovec io = { .iov_base = &byte, .iov_len = 1 };
    union { struct cmsghdr h; char space[CMSG_SPACE(sizeof(int))]; } control;
    memset(&control, 0, sizeof control);
    struct msghdr msg = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = control.space, .msg_controllen = sizeof control.space };
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET; c->cmsg_type = SCM_RIGHTS; c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    ssize_t n;
    do { n = sendmsg(sock, &msg, MSG_NOSIGNAL); } while (n < 0 && errno == EINTR);
    return n == 1 ? 0 : -1;
}


/// Receives one descriptor sent with pd_send_fd, close-on-exec (no later
/// child inherits it). -1 with errno; EAGAIN when none was sent.
int pd_recv_fd(int sock) {
    char byte;
    struct iovec io = { .iov_base = &byte, .iov_len = 1 };
    union { struct cmsghdr h; char space[CMSG_SPACE(sizeof(int))]; } control;
    memset(&control, 0, sizeof control);
    struct msghdr msg = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = control.space, .msg_controllen = sizeof control.space };
    ssize_t n;
    do { n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT); } while (n < 0 && errno == EINTR);
    if (n <= 0) { if (n == 0) errno = EAGAIN; return -1; }
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) { errno = EBADMSG; return -1; }
    int fd; memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return fd;
}

/// SECCOMP_IOCTL_NOTIF_RECV: waits for the next stopped call. The kernel's
/// struct may grow, so the buffer is as large as it says
/// (SECCOMP_GET_NOTIF_SIZES). 0, or -1 with errno (ENOENT: the caller died
/// or was interrupted before we read it).
int pd_notif_recv(int listener, struct pd_notification *out) {
    struct seccomp_notif_sizes sizes;
    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0) return -1;
    size_t size = sizes.seccomp_notif > sizeof(struct seccomp_notif) ? sizes.seccomp_notif : sizeof(struct seccomp_notif);
    char buffer[512];
    if (size > sizeof buffer) { errno = ENOMEM; return -1; }
    memset(buffer, 0, size);
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, buffer) != 0) return -1;
    struct seccomp_notif *n = (struct seccomp_notif *)buffer;
    out->id = n->id; out->pid = (int32_t)n->pid; out->nr = n->data.nr;
    for (int i = 0; i < 6; i++) out->args[i] = n->data.args[i];
    return 0;
}

/// SECCOMP_IOCTL_NOTIF_ID_VALID: the caller still waits on this call (so
/// the pid we looked up is still that thread). 1 valid, 0 not.
int pd_notif_valid(int listener, uint64_t id) {
    return ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

/// Answers a stopped call: with `flags` CONTINUE the kernel runs it as the
/// program made it; else it returns `val`, or fails with `error` (an errno).
int pd_notif_answer(int listener, uint64_t id, int64_t val, int error, int continue_call) {
    struct seccomp_notif_resp r;
    memset(&r, 0, sizeof r);
    r.id = id;
    r.val = continue_call ? 0 : val;
    r.error = continue_call ? 0 : -error;
    r.flags = continue_call ? SECCOMP_USER_NOTIF_FLAG_CONTINUE : 0;
    return ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &r);
}

/// process_vm_readv(2) of `len` bytes at `address` in process `pid`.
long pd_read_memory(pid_t pid, uint64_t address, void *buffer, size_t len) {
    struct iovec local = { .iov_base = buffer, .iov_len = len };
    struct iovec remote = { .iov_base = (void *)(uintptr_t)address, .iov_len = len };
    return syscall(SYS_process_vm_readv, pid, &local, 1UL, &remote, 1UL, 0UL);
}

/// pidfd_getfd(2): our own descriptor for the process's descriptor `fd`
/// (the same open socket), close-on-exec.
int pd_pidfd_getfd(int pidfd, int fd) {
    return (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
}

