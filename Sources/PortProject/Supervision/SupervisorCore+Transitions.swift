import PortKit
#if canImport(Glibc)
import Glibc
#endif

extension SupervisorCore {
    mutating func started(_ n: String, at time: Double) -> [SupervisorAction] {
        services[n]?.mainExited = nil
        services[n]?.groupEmpty = false
        services[n]?.ranOnce = true
        guard readyAtOnce.contains(n) else {
            services[n]?.state = .starting(since: time)
            return []
        }
        services[n]?.state = .ready(since: time)
        return startUnblocked()
    }

    mutating func startFailed(_ n: String, why: String) -> [SupervisorAction] {
        services[n]?.state = .ended(nil)
        return [.say("cannot start \(n): \(why)")] + stopAll(code: 71)
    }

    mutating func ready(_ n: String) -> [SupervisorAction] {
        guard case .starting(let since) = services[n]?.state else { return [] }
        services[n]?.state = .ready(since: since)
        return startUnblocked()
    }

    mutating func exited(_ n: String, _ status: ExitStatus) -> [SupervisorAction] {
        services[n]?.mainExited = status
        return services[n]?.groupEmpty == true ? ended(n) : []
    }

    mutating func emptied(_ n: String) -> [SupervisorAction] {
        guard services[n]?.groupEmpty == false else { return [] }
        services[n]?.groupEmpty = true
        return services[n]?.mainExited != nil ? ended(n) : []
    }

    /// Main process reaped and group empty: the service has ended.
    mutating func ended(_ n: String) -> [SupervisorAction] {
        guard let s = services[n], let status = s.mainExited else { return [] }
        switch s.state {
        case .stopping(_, _, let again) where again && stopping == nil:
            services[n]?.state = .waiting
            return [.start(n)]
        case .stopping:
            services[n]?.state = .ended(nil)  // stopped on purpose: not a failure
            return []
        case .starting(let since), .ready(let since):
            return endedOnItsOwn(n, status, ranFor: now - since)
        default:
            return []
        }
    }

    mutating func endedOnItsOwn(_ n: String, _ status: ExitStatus, ranFor: Double) -> [SupervisorAction] {
        let policy = restart[n] ?? .no
        if stopping == nil, policy.restarts(after: status.code) {
            let attempt = ranFor >= RestartPolicy.resetAfter ? 1 : (services[n]?.attempts ?? 0) + 1
            services[n]?.attempts = attempt
            let delay = RestartPolicy.backoff(attempt: attempt)
            services[n]?.state = .backingOff(until: now + delay)
            return [.say("\(n) \(Self.onItsOwn(status)); restarting in \(secondsText(delay)) s (restart = \"\(policy.rawValue)\", attempt \(attempt))")]
        }
        services[n]?.state = .ended(status)
        let blocked = order.contains { d in dependsOn[d]?.contains(n) == true && services[d]?.state == .waiting }
        var out: [SupervisorAction] = [.say("\(n) \(Self.onItsOwn(status))")]
        if stopping == nil && (!settings.keepGoing || blocked) { out += stopAll(code: status.code) }
        return out
    }

    /// "exited on its own with status 2", "ended on its own, killed by SIGPIPE (signal 13)".
    static func onItsOwn(_ status: ExitStatus) -> String {
        if case .exited = status { return "exited on its own with \(status)" }
        return "ended on its own, killed by \(status)"
    }

    mutating func signalled(_ sig: Int32) -> [SupervisorAction] {
        if stopping == nil {
            let names = runningNames.joined(separator: ", ")
            let say = SupervisorAction.say(names.isEmpty ? "\(signalName(sig)): no service runs; stopping"
                : "\(signalName(sig)): stopping \(names) (TERM, then KILL after \(secondsText(settings.grace)) s)")
            return [say] + stopAll(code: 128 + sig)
        }
        guard !killSent else { return [] }
        killSent = true  // asked twice: no more grace
        return killRemaining(reason: "asked again")
    }

    /// TERM to every running service; those not running end now.
    mutating func stopAll(code: Int32) -> [SupervisorAction] {
        guard stopping == nil else { return [] }
        stopping = code
        var out: [SupervisorAction] = []
        for n in order {
            switch services[n]!.state {
            case .starting, .ready:
                services[n]!.state = .stopping(deadline: now + settings.grace, killed: false, restart: false)
                out.append(.signal(n, SIGTERM))
            case .stopping(let d, let k, _):
                services[n]!.state = .stopping(deadline: d, killed: k, restart: false)
            case .waiting, .backingOff:
                services[n]!.state = .ended(nil)
            case .ended: break
            }
        }
        return out
    }

    mutating func killRemaining(reason: String) -> [SupervisorAction] {
        var out: [SupervisorAction] = []
        var names: [String] = []
        for n in order {
            guard case .stopping(_, false, let again) = services[n]!.state else { continue }
            services[n]!.state = .stopping(deadline: now + 5, killed: true, restart: again)
            names.append(n)
            out.append(.kill(n))
        }
        return names.isEmpty ? [] : [.say("\(reason): killing \(names.joined(separator: ", ")) (every process of each group)")] + out
    }

    mutating func tick() -> [SupervisorAction] {
        var out: [SupervisorAction] = []
        for n in order {
            switch services[n]!.state {
            case .backingOff(let until) where now >= until:
                services[n]!.state = .waiting
                out.append(.start(n))
            case .starting(let since) where now - since > settings.readyTimeout && stopping == nil:
                let port = ports[n].map { " on port \($0)" } ?? ""
                out.append(.say("\(n) did not listen\(port) within \(secondsText(settings.readyTimeout)) s; stopped everything. "
                                + "Check that it serves on $PORT, raise --timeout, or set ready = \"none\" for it"))
                out += stopAll(code: 69)
            case .stopping(let deadline, false, _) where now >= deadline:
                out += killOne(n, why: "still running after TERM")
            case .stopping(_, true, _) where now >= stoppingDeadline(n):
                out.append(.say("could not stop \(n): its processes outlived SIGKILL for 5 s (stuck in the kernel, state D); its leases are released anyway"))
                services[n]!.state = .ended(nil)
            default: break
            }
        }
        return out
    }

    func stoppingDeadline(_ n: String) -> Double {
        if case .stopping(let d, _, _) = services[n]!.state { return d }
        return .infinity
    }

    mutating func killOne(_ n: String, why: String) -> [SupervisorAction] {
        guard case .stopping(_, _, let again) = services[n]!.state else { return [] }
        services[n]!.state = .stopping(deadline: now + 5, killed: true, restart: again)
        return [.say("\(why): \(n); sending KILL to every process of its group"), .kill(n)]
    }

    mutating func restartRequested(_ names: [String]) -> [SupervisorAction] {
        guard stopping == nil else { return [.say("not restarting \(names.joined(separator: ", ")): everything is stopping")] }
        var out: [SupervisorAction] = []
        for n in names where services[n] != nil {
            switch services[n]!.state {
            case .starting, .ready:
                services[n]!.state = .stopping(deadline: now + settings.grace, killed: false, restart: true)
                services[n]!.attempts = 0
                out += [.say("restarting \(n) (asked by portdash restart)"), .signal(n, SIGTERM)]
            case .backingOff, .ended:
                services[n]!.state = .waiting
                services[n]!.attempts = 0
                out += [.say("starting \(n) again (asked by portdash restart)"), .start(n)]
            case .waiting, .stopping:
                break
            }
        }
        return out
    }

    mutating func stopRequested(_ names: [String]) -> [SupervisorAction] {
        var out: [SupervisorAction] = []
        for n in names where services[n] != nil {
            switch services[n]!.state {
            case .starting, .ready:
                services[n]!.state = .stopping(deadline: now + settings.grace, killed: false, restart: false)
                out += [.say("stopping \(n) (asked by portdash stop)"), .signal(n, SIGTERM)]
            case .backingOff, .waiting:
                services[n]!.state = .ended(nil)
                out.append(.say("\(n) will not be started (asked by portdash stop)"))
            case .stopping(let d, let k, _):
                services[n]!.state = .stopping(deadline: d, killed: k, restart: false)
            case .ended: break
            }
        }
        return out
    }

    /// Starts, in order, each waiting service whose dependencies are ready.
    mutating func startUnblocked() -> [SupervisorAction] {
        guard stopping == nil else { return [] }
        var out: [SupervisorAction] = []
        for n in order where services[n]!.state == .waiting && !services[n]!.ranOnce {
            let deps = dependsOn[n] ?? []
            guard deps.allSatisfy({ d in if case .ready = services[d]?.state { return true }; return false }) else { continue }
            out.append(.start(n))
            services[n]!.state = .starting(since: now)  // until the shell says it started
        }
        return out
    }

    /// Everything has ended: finish with the code of the stop, or the first
    /// failure, or 0.
    mutating func finishIfDone() -> [SupervisorAction] {
        let busy = services.values.contains { s in
            switch s.state {
            case .starting, .ready, .stopping, .backingOff: return true
            case .waiting: return stopping == nil
            case .ended: return false
            }
        }
        guard !busy, !finished else { return [] }
        finished = true
        let failure = order.compactMap { n -> Int32? in
            if case .ended(let s?) = services[n]!.state, s.code != 0 { return s.code }
            return nil
        }.first
        return [.finish(stopping ?? failure ?? 0)]
    }
}
