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

    /// Writes the record, unless another serve that still runs wrote its own
    /// for this state file: that one stays the router URLs name (said once),
    /// so stopping this one later takes nothing from it.
    func write(http: UInt16?, https: UInt16? = nil) {
        guard let me else { return }
        if let other = RouterRecord.live(statePath: statePath), other.serve != me {
            Output.printError("portdash serve: warning: another portdash serve (pid \(other.serve.pid)) routes for \(sanitized(statePath)); "
                              + "URLs keep naming it, not this one (stop it first to make this one the router)")
            return
        }
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
