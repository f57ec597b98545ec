import PortDashCLI
import PortKit
import Glibc

/// serve's record of where it listens (RouterRecord), beside the state file
/// it serves: every URL elsewhere (env, up, status --json, the dashboard)
/// follows it. Written once the sockets listen, removed when serve stops.
struct RouterRecording {
    let statePath: String
    let me: ProcessStamp?

    init(statePath: String) {
        self.statePath = statePath
        me = ProcessReader().startTime(getpid()).map { ProcessStamp(pid: getpid(), startTime: $0) }
    }

    func write(http: UInt16?, https: UInt16? = nil) {
        guard let me else { return }
        let dir = statePath.lastIndex(of: "/").map { String(statePath[..<$0]) } ?? "."
        _ = PrivateDirectory.create(dir.isEmpty ? "/" : dir)
        if case .failure(let e) = RouterRecord(serve: me, http: http, https: https).write(statePath: statePath) {
            Output.printError("portdash serve: warning: cannot write \(RouterRecord.path(statePath: statePath)) (\(errnoText(e))); "
                       + "URLs elsewhere stay direct (http://127.0.0.1:PORT/) unless PORTDASH_ROUTER_PORT names this port")
        }
    }

    func remove() {
        if let me { RouterRecord.remove(statePath: statePath, ifFrom: me) }
    }
}
