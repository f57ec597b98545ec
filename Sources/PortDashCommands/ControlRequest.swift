import ArgumentParser
import PortDashCLI
import PortKit
import PortProject

/// One request to the running `up` of this checkout (restart, stop): its
/// services checked against the project, the reply lines printed.
enum ControlRequest {
    static func send(_ verb: String, _ services: [String], _ global: GlobalOptions) throws {
        let p = try ProjectContext(global)
        for name in services { _ = try p.service(name) }
        switch ControlClient.send(([verb] + services).joined(separator: " "), root: p.project.root) {
        case .failure(let e):
            Output.printError("portdash: " + e.description)
            throw ExitCode(e.exitCode)
        case .success(let lines):
            for l in lines { Output.printError("portdash: " + l) }
            if lines.contains(where: { $0.hasPrefix("error") }) { throw ExitCode(64) }
        }
    }
}
