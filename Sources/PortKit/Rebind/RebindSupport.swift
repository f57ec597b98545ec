import CLinux
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Whether `binds` can work here, asked before anything starts: the
/// mechanism (seccomp user notification and pidfd_getfd) and the program.
public enum RebindSupport {
    /// Why moving hard-coded ports cannot work for `executables` (each
    /// command's first word), with the setting to change.
    public static func problem(executables: [String], environment: [String]) -> PortKitError? {
        if let why = ptraceScopeProblem() { return .rebindUnavailable(why) }
        if let why = probe() { return .rebindUnavailable(why) }
        for name in executables {
            guard let path = ChildSpawn.executable(name, environment: environment) else { continue }
            if isELF32(path) {
                return .rebindUnavailable("cannot move the hard-coded ports of \(sanitized(path)): it is a 32-bit program, "
                    + "whose system calls the filter does not see; run a 64-bit build of it, or run it without binds")
            }
            guard let st = try? Stat(FilePath(path)), !st.permissions.isDisjoint(with: [.setUserID, .setGroupID]) else { continue }
            return .rebindUnavailable("cannot move the hard-coded ports of \(sanitized(path)): it is set-user-ID or set-group-ID, "
                + "and the seccomp filter needs no_new_privs, under which it would run without its privileges; run it without binds")
        }
        return nil
    }

    /// An ELF file of class ELFCLASS32 (e_ident[EI_CLASS] = 1, elf(5)).
    static func isELF32(_ path: String) -> Bool {
        guard let fd = try? FileDescriptor.open(FilePath(path), .readOnly) else { return false }
        defer { try? fd.close() }
        var head = [UInt8](repeating: 0, count: 5)
        let n = (try? head.withUnsafeMutableBytes { try fd.read(into: $0) }) ?? 0
        return n == 5 && head[0..<4] == [0x7f, 0x45, 0x4c, 0x46] && head[4] == 1
    }

    /// A shell command's first word when it is a plain program name
    /// ("python3 -m http.server" → "python3"); nil for anything the shell
    /// would read otherwise (an assignment, a quote, a redirection).
    public static func firstWord(_ command: String) -> String? {
        guard let word = command.split(whereSeparator: { $0 == " " || $0 == "\t" }).first else { return nil }
        let plain = word.allSatisfy { $0.isLetter || $0.isNumber || "/._-+".contains($0) }
        return plain ? String(word) : nil
    }

    /// Yama's ptrace_scope 2 and 3 keep us from taking a service's socket
    /// (pidfd_getfd needs ptrace access); 2 allows it to root (CAP_SYS_PTRACE).
    static func ptraceScopeProblem() -> String? {
        guard case .success(let bytes) = ProcRoot.system.read("sys/kernel/yama/ptrace_scope"),
              let scope = Int(String(decoding: bytes, as: UTF8.self).filter(\.isNumber)) else { return nil }
        if scope >= 3 {
            return "cannot move hard-coded ports: kernel.yama.ptrace_scope is 3, which forbids portdash to take a service's socket until the next boot; boot with it at 1"
        }
        if scope == 2 && geteuid() != 0 {
            return "cannot move hard-coded ports: kernel.yama.ptrace_scope is 2, which forbids portdash to take a service's socket; set it to 1: sudo sysctl kernel.yama.ptrace_scope=1"
        }
        return nil
    }

    /// Starts `/bin/sh -c :` (what every service is started through) under
    /// the filter: the whole path a service takes.
    static func probe() -> String? {
        var request = SpawnRequest(argv: ["/bin/sh", "-c", ":"], environment: [])
        request.nullInput = true
        request.rebind = RebindRules(binds: [:], connects: [:])
        switch ChildSpawn.spawn(request) {
        case .failure(let f) where f.step == .seccomp && f.errno == .resourceBusy:
            return "cannot move hard-coded ports: this runs under the binds filter of a portdash up or run --binds already, "
                + "and the kernel allows one; start it outside that service, or move its ports in the outer one"
        case .failure(let f) where f.step == .seccomp:
            return "cannot move hard-coded ports: seccomp user notification is unavailable here (\(errnoText(f.errno))); "
                + "binds needs Linux 5.9 or later built with CONFIG_SECCOMP_FILTER, and a container that allows seccomp(2)"
        case .failure(let f):
            return "cannot move hard-coded ports: " + f.description(command: "/bin/sh", directory: nil)
        case .success(let pid):
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
        let me = pd_pidfd_open(getpid())
        defer { if me >= 0 { close(me) } }
        let fd = me >= 0 ? pd_pidfd_getfd(me, 1) : -1
        if fd >= 0 { close(fd); return nil }
        return "cannot move hard-coded ports: pidfd_getfd(2) is unavailable (\(errnoText(errno))); binds needs Linux 5.9 or later"
    }
}
