import PortKit
#if canImport(Glibc)
import Glibc
#endif

/// The `o` key: the URL handed to xdg-open, detached (through `sh -c '… &'`,
/// reaped at once), its output away from the dashboard's terminal.
enum BrowserOpener {
    static func open(_ url: String, path: String? = getenv("PATH").map { String(cString: $0) }) -> StatusMessage {
        guard let opener = find("xdg-open", in: path) else {
            return .init("no xdg-open here (no desktop?); the URL is \(url)", .normal)
        }
        var r = SpawnRequest(argv: ["/bin/sh", "-c", "\"$0\" \"$1\" >/dev/null 2>&1 </dev/null &", opener, url],
                             environment: childEnvironment(setting: []))
        r.nullInput = true
        r.newProcessGroup = true
        let null = Glibc.open("/dev/null", O_WRONLY | O_CLOEXEC)
        defer { if null >= 0 { close(null) } }
        if null >= 0 { r.output = null }
        switch ChildSpawn.spawn(r) {
        case .success(let pid):
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
            return .init("opening \(url)", .ok)
        case .failure(let e):
            return .init("cannot start xdg-open: \(e); the URL is \(url)", .error)
        }
    }

    static func find(_ name: String, in path: String?) -> String? {
        for dir in (path ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}
