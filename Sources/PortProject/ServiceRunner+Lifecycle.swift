import PortKit
#if canImport(Glibc)
import Glibc
#endif

extension ServiceRunner {
    func perform(_ actions: [SupervisorAction]) {
        for a in actions {
            switch a {
            case .start(let n): start(n)
            case .signal(let n, let sig): services[n]?.group.signal(sig); services[n]?.lastSignal = sig
            case .kill(let n): services[n]?.group.signal(SIGKILL); services[n]?.lastSignal = SIGKILL
            case .say(let text): say(text)
            case .finish(let code): finished = code
            }
        }
    }

    func start(_ name: String) {
        guard let spec = project.service(name) else { return }
        let s: ServiceProcess
        if let known = services[name] {
            s = known
            guard retakeLeases(of: known) else { return }
        } else {
            switch ServiceGroup.make(mode, below: base, name: name) {
            case .failure(let e): perform(core.handle(.startFailed(name, why: e.description))); return
            case .success(let g): s = ServiceProcess(spec: spec, group: g); services[name] = s
            }
        }
        let all = ports.all
        let urls = self.urls()
        let vars = ServiceEnvironment.variables(for: spec, in: project, ports: all, urls: urls)
        let environment = childEnvironment(dropping: { ServiceEnvironment.isOurs($0, in: self.project) || $0 == ServiceProcess.tokenName },
                                           setting: vars.map { ($0.name, $0.value) } + [(ServiceProcess.tokenName, token(name))])
        var command = PortTemplate.fill(spec.command, service: spec.name, ports: all, urls: urls)
        if let port = all[ServicePort(service: name)], let added = DevServerFlags.inject(into: command, port: port) {
            command = added.command
            if s.pastPids.isEmpty { say("\(name): added \(added.flags.joined(separator: " ")) (its port flag; name a port in the command to stop this)") }
        }
        let rebind = ProjectRebinding(project: project, ports: all).rules(for: name)
        switch s.start(command: command, environment: environment, directory: project.root, rebind: rebind) {
        case .failure(let e):
            perform(core.handle(.startFailed(name, why: e.description(command: "/bin/sh", directory: project.root))))
        case .success(let pid):
            bindLeases(of: s)
            let port = all[ServicePort(service: name)].map { " on port \($0)" } ?? ""
            let wait = spec.ready == .none ? "" : "; waiting for it to listen"
            say("started \(name)\(port) (pid \(pid), \(s.group.description))\(wait)")
            perform(core.handle(.started(name, at: monotonicSeconds())))
        }
    }

    /// Every port's URL now (RouteNames.url(of:via:)): the router's names as
    /// the whole lease book resolves them (a checkout whose name another took
    /// gets its suffix) when a router runs, else direct.
    func urls() -> [ServicePort: String] {
        let router = RouterAddress.current(statePath: leaser.store.path)
        return (try? leaser.store.load()).map { ProjectURLs.of(project, in: $0, ports: ports.all, router: router) }
            ?? ProjectURLs.alone(project, ports: ports.all, router: router)
    }

    /// Before a service starts again: its leases, on the ports this run
    /// granted, are `up`'s (taken back if they went). False, said as a
    /// start failure, when one of its ports is another's now.
    func retakeLeases(of s: ServiceProcess) -> Bool {
        let mine = ports.all.filter { $0.key.service == s.spec.name }
        do {
            let taken = try leaser.retake(mine, owner: me)
            if !taken.isEmpty {
                say("\(s.spec.name): took back its lease of \(taken.map { "\(mine[$0]!)" }.joined(separator: ", ")) (it had ended)")
            }
            return true
        } catch {
            perform(core.handle(.startFailed(s.spec.name, why: "its port is not its own any more: \(error.description)")))
            return false
        }
    }

    /// The service's leases now belong to its group (cgroup mode) or its
    /// shell, with `up` as the supervisor.
    func bindLeases(of s: ServiceProcess) {
        guard let start = ProcessReader().startTime(s.pid) else { return }  // gone already: stays ours
        let owner = LeaseOwner(pid: s.pid, startTime: start, group: s.group.path, supervisor: me.process)
        let previous = s.owner ?? me
        s.owner = owner
        let mine = leaser.ports(of: [s.spec.name])
        do { try leaser.bind(mine, to: owner, from: previous) } catch { say("warning: \(error.description)") }
    }

    /// A service whose group emptied: its leases go back to `up`, so that
    /// its ports stay this checkout's while it waits to restart (or to be
    /// restarted), never free for another lease in between.
    func returnLeases(of s: ServiceProcess) {
        guard let owner = s.owner, owner != me else { return }
        do { try leaser.bind(leaser.ports(of: [s.spec.name]), to: me, from: owner) } catch { say("warning: \(error.description)") }
        s.owner = me
    }

    /// Reaps every child that ended: a service's main process is an event;
    /// orphans our subreaper adopted are only reaped.
    func reap() {
        while let (pid, status) = Syscalls.reapAnyChild() {
            guard let s = services.values.first(where: { $0.pid == pid && $0.mainRunning }) else { continue }
            s.mainRunning = false
            s.group.reaped(pid)
            perform(core.handle(.exited(s.spec.name, ExitStatus(waitStatus: status))))
        }
    }

    /// PORTDASH_SUPERVISED's value for a service: which `up` and service a
    /// process descends from, inherited through any fork, setsid or exec.
    func token(_ name: String) -> String { "\(me.pid).\(me.startTime).\(name)" }

    /// Readiness (every 100 ms) and empty groups, each turn.
    func watch() {
        trackOrphans(fresh: false)
        var rescanned = false
        for n in order {
            guard let s = services[n], core.services[n]?.groupEmpty == false else { continue }
            guard s.group.isEmpty else { s.emptyScans = 0; continue }
            if case .pidfd = mode {
                // Look again before calling a group empty, on two turns: an
                // orphan may be on its way to us (born after one scan read
                // /proc, its parent a zombie by the time the scan looked).
                if !rescanned { rescanned = true; trackOrphans(fresh: true) }
                if !s.group.isEmpty { s.emptyScans = 0; continue }
                s.emptyScans += 1
                if s.emptyScans < 3 { continue }
            }
            returnLeases(of: s)
            perform(core.handle(.emptied(n)))
        }
        let waiting = order.filter { n in
            if case .starting = core.services[n]?.state, services[n] != nil, !core.readyAtOnce.contains(n) { return true }
            return false
        }
        guard !waiting.isEmpty, monotonicSeconds() - lastReadiness >= 0.1 else { return }
        lastReadiness = monotonicSeconds()
        let main = { (n: String) in self.ports.all[ServicePort(service: n)] }
        let ready = readiness.ready(waiting.compactMap(main))
        for n in waiting {
            guard let p = main(n), ready.contains(p) else { continue }
            say("\(n) is ready: listening on port \(p), \(urls()[ServicePort(service: n)] ?? RouterAddress.direct(port: p))")
            perform(core.handle(.ready(n)))
        }
    }

    /// pidfd mode: pins every descendant of each service, and gives each
    /// orphan our subreaper adopted to the service its environment names
    /// (PORTDASH_SUPERVISED), or whose main process started its process
    /// group or session. Every 500 ms while running, each turn while
    /// stopping (a fork storm is caught as it forks).
    func trackOrphans(fresh: Bool) {
        guard case .pidfd = mode else { return }
        let now = monotonicSeconds()
        guard fresh || core.stopping != nil || core.services.values.contains(where: { if case .stopping = $0.state { return true }; return false })
                || now - lastTrack >= 0.5 else { return }
        lastTrack = now
        // Reap first: every zombie of ours makes the walk longer, and a
        // longer walk lets a fork chain leave more of them.
        reap()
        let mine = getpid()
        let table = ProcessTable.subtree(of: mine)
        let mains = Set(services.values.map(\.pid))
        let adopted = table.entries.filter { $0.value.ppid == mine && !mains.contains($0.key) && $0.key != keeperPid }
        let tokens = adopted.keys.reduce(into: [Int32: String]()) { $0[$1] = ServiceProcess.token(of: $1) }
        for s in services.values {
            let mark = token(s.spec.name)
            let ours = adopted.filter { tokens[$0.key] == mark || s.pastPids.contains($0.value.pgrp) || s.pastPids.contains($0.value.session) }.map(\.key)
            let new = s.group.track(table, adopted: ours)
            if let sig = s.lastSignal { for p in new { p.signal(sig) } }
        }
        // Adopted with no tell: stopped with everything, never with one service.
        if core.stopping != nil, let any = services.values.first {
            let claimed = Set(services.values.flatMap { $0.group.members() })
            let new = any.group.track(table, adopted: adopted.keys.filter { !claimed.contains($0) })
            for p in new { p.signal(any.lastSignal ?? SIGTERM) }
        }
    }

    var keeperPid: Int32 { -1 }
}
