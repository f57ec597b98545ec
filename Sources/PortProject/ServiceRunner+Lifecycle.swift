import CLinux
import PortKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension ServiceRunner {
    /// Starts every service whose dependencies are all ready, in order.
    func startUnblocked() {
        for name in order where phase == .running && !services.contains(where: { $0.spec.name == name }) {
            guard let spec = project.service(name) else { continue }
            let deps = spec.dependsOn.map { d in services.first { $0.spec.name == d } }
            guard deps.allSatisfy({ $0?.ready == true && $0?.exit == nil }) else { continue }
            start(spec)
        }
    }

    func start(_ spec: ServiceSpec) {
        let all = ports.all
        let vars = ServiceEnvironment.variables(for: spec, in: project, ports: all)
        let environment = childEnvironment(dropping: { ServiceEnvironment.isOurs($0, in: self.project) }, setting: vars.map { ($0.name, $0.value) })
        let command = PortTemplate.fill(spec.command, service: spec.name, ports: all)
        switch ServiceProcess.start(spec, command: command, environment: environment, directory: project.root) {
        case .failure(let e):
            say("cannot start \(spec.name): \(e)")
            beginStop(code: 71)
        case .success(let s):
            services.append(s)
            bindLeases(of: s)
            let port = all[ServicePort(service: spec.name)].map { " on port \($0)" } ?? ""
            if spec.ready == .none {
                s.ready = true
                say("started \(spec.name)\(port) (pid \(s.pid))")
            } else {
                say("started \(spec.name)\(port) (pid \(s.pid)); waiting for it to listen")
            }
        }
    }

    /// The service's leases now belong to its shell (and so to what it starts).
    func bindLeases(of s: ServiceProcess) {
        guard let start = ProcessReader().startTime(s.pid) else { return }  // gone already: stays ours
        let owner = LeaseOwner(pid: s.pid, startTime: start)
        owners[s.spec.name] = owner
        let mine = leaser.ports(of: [s.spec.name])
        do { try leaser.bind(mine, to: owner, from: me) } catch { say("warning: \(error.description)") }
    }

    /// `ready = "port"` services whose main port now listens, every 100 ms.
    func checkReadiness() {
        let waiting = services.filter { !$0.ready && $0.exit == nil }
        guard !waiting.isEmpty, monotonicSeconds() - lastCheck >= 0.1 else { return }
        lastCheck = monotonicSeconds()
        let wanted = waiting.compactMap { s in ports.all[ServicePort(service: s.spec.name)] }
        let ready = readiness.ready(wanted)
        for s in waiting {
            guard let p = ports.all[ServicePort(service: s.spec.name)], ready.contains(p) else { continue }
            s.ready = true
            say("\(s.spec.name) is ready: listening on port \(p)")
        }
    }

    func checkTimeouts() {
        for s in services where !s.ready && s.exit == nil && monotonicSeconds() - s.started > options.timeout {
            let port = ports.all[ServicePort(service: s.spec.name)] ?? 0
            say(ProjectError.serviceNotReady(service: s.spec.name, port: port, seconds: options.timeout).description)
            beginStop(code: ProjectError.serviceNotReady(service: "", port: 0, seconds: 0).exitCode)
            return
        }
    }

    /// Reaps every child that ended; one that ends on its own is said, and
    /// stops the others unless --keep-going (and always when services
    /// waiting for it could then never start).
    func reap() {
        var status: Int32 = 0
        while true {
            let pid = waitpid(-1, &status, WNOHANG)
            guard pid > 0 else { return }
            guard let s = services.first(where: { $0.pid == pid }) else { continue }
            s.exit = ExitStatus(waitStatus: status)
            guard phase == .running else { continue }
            say("\(s.spec.name) exited on its own with \(s.exit!)")
            let blocked = !s.ready && order.contains { project.service($0)?.dependsOn.contains(s.spec.name) == true }
            if !options.keepGoing || blocked { beginStop(code: s.exit!.code) }
        }
    }

    func handleSignals(_ sfd: Int32) {
        var info = signalfd_siginfo()
        while Glibc.read(sfd, &info, MemoryLayout<signalfd_siginfo>.size) == MemoryLayout<signalfd_siginfo>.size {
            let sig = Int32(info.ssi_signo)
            if sig == SIGCHLD { reap(); continue }
            if phase == .running {
                say("\(signalName(sig)): stopping \(runningNames.joined(separator: ", ")) (TERM, then KILL after \(secondsText(options.grace)) s)")
                beginStop(code: 128 + sig)
            } else if case .terminating = phase {
                killAll()  // asked twice: no more grace
            }
        }
        reap()  // a SIGCHLD merged with one read before the mask took it
    }

    var runningNames: [String] { services.filter(\.groupAlive).map(\.spec.name) }
}
