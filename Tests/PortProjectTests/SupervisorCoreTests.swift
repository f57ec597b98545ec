import Testing
import PortKit
@testable import PortProject
#if canImport(Glibc)
import Glibc
#endif

/// The runner's pure core, transition by transition: events in, actions out.
@Suite("SupervisorCore (pure)")
struct SupervisorCoreTests {
    /// api, and web depending on it; grace 3 s, ready timeout 30 s.
    func core(restart: [String: RestartPolicy] = [:], keepGoing: Bool = false, readyAtOnce: Set<String> = []) -> SupervisorCore {
        var s = SupervisorCore.Settings()
        s.keepGoing = keepGoing
        return SupervisorCore(order: ["api", "web"], dependsOn: ["web": ["api"]], restart: restart,
                              readyAtOnce: readyAtOnce, ports: ["api": 5001, "web": 5000], settings: s)
    }

    /// Both started and ready at t = 0.
    func running(_ c: inout SupervisorCore) {
        #expect(c.begin(at: 0) == [.start("api")])
        _ = c.handle(.started("api", at: 0))
        #expect(c.handle(.ready("api")) == [.start("web")])
        _ = c.handle(.started("web", at: 0))
        _ = c.handle(.ready("web"))
    }

    func says(_ actions: [SupervisorAction], _ text: String) -> Bool {
        actions.contains { if case .say(let s) = $0 { return s.contains(text) }; return false }
    }

    @Test("begin starts only what waits for nothing; a dependent starts once its dependency is ready")
    func startOrder() {
        var c = core()
        #expect(c.begin(at: 0) == [.start("api")])
        #expect(c.handle(.started("api", at: 0)).isEmpty)
        #expect(c.handle(.ready("api")) == [.start("web")])
        #expect(c.handle(.ready("api")).isEmpty)  // said twice: nothing new
    }

    @Test("ready = none: ready when started, so its dependents start at once")
    func readyAtOnce() {
        var c = core(readyAtOnce: ["api"])
        _ = c.begin(at: 0)
        #expect(c.handle(.started("api", at: 0)) == [.start("web")])
    }

    @Test("a main process that exits while its group lives (a daemon) does not end the service")
    func daemonKeepsRunning() {
        var c = core()
        running(&c)
        #expect(c.handle(.exited("api", .exited(0))).isEmpty)
        #expect(c.isRunning("api"))
        let out = c.handle(.emptied("api"))
        #expect(says(out, "api exited on its own with status 0"))
        #expect(out.contains(.signal("web", SIGTERM)))  // not --keep-going: everything stops
    }

    @Test("the group emptying before the main process is reaped: ended once both are known")
    func emptiedThenExited() {
        var c = core(keepGoing: true)
        running(&c)
        #expect(c.handle(.emptied("web")).isEmpty)
        #expect(says(c.handle(.exited("web", .exited(2))), "web exited on its own with status 2"))
        #expect(!c.isRunning("web") && c.isRunning("api"))
    }

    @Test("a service a signal ended is said with the signal's name and number, the word \"signal\" once")
    func endedBySignal() {
        var c = core(keepGoing: true)
        running(&c)
        _ = c.handle(.emptied("web"))
        let out = c.handle(.exited("web", .signaled(SIGPIPE)))
        #expect(says(out, "web ended on its own, killed by SIGPIPE (signal 13)"), "\(out)")
        #expect(!says(out, "signal signal"))
        #expect(ExitStatus.signaled(SIGPIPE).ending == "was killed by SIGPIPE (signal 13)")
        #expect(ExitStatus.signaled(__libc_current_sigrtmin() + 2).description.hasPrefix("SIGRTMIN+2 (signal "))
        #expect(signalName(SIGCHLD) == "SIGCHLD" && signalName(SIGWINCH) == "SIGWINCH" && signalName(200) == "signal 200")
    }

    @Test("--keep-going: the others run on; up finishes when the last group empties, with the first failure")
    func keepGoing() {
        var c = core(keepGoing: true)
        running(&c)
        _ = c.handle(.exited("web", .exited(3)))
        #expect(!c.handle(.emptied("web")).contains(.finish(3)))
        _ = c.handle(.exited("api", .exited(0)))
        #expect(c.handle(.emptied("api")).contains(.finish(3)))
    }

    @Test("--keep-going, but a dependency ends before it was ready: its dependents could never start, so all stop")
    func blockedDependent() {
        var c = core(keepGoing: true)
        _ = c.begin(at: 0)
        _ = c.handle(.started("api", at: 0))
        _ = c.handle(.exited("api", .exited(1)))
        let out = c.handle(.emptied("api"))
        #expect(out.contains(.finish(1)))
    }

    @Test("a signal: TERM to every running group, once; a second one kills them at once")
    func signalStops() {
        var c = core()
        running(&c)
        let out = c.handle(.signal(SIGINT))
        #expect(says(out, "SIGINT: stopping api, web"))
        #expect(out.contains(.signal("api", SIGTERM)) && out.contains(.signal("web", SIGTERM)))
        let again = c.handle(.signal(SIGINT))
        #expect(again.contains(.kill("api")) && again.contains(.kill("web")))
        #expect(c.handle(.signal(SIGINT)).isEmpty)
    }

    @Test("the grace period: a group still running then is killed; every group empty finishes with 128+N")
    func graceThenKill() {
        var c = core()
        running(&c)
        _ = c.handle(.signal(SIGTERM))
        #expect(c.handle(.tick(2.9)).isEmpty)
        let late = c.handle(.tick(3.1))
        #expect(late.contains(.kill("api")) && late.contains(.kill("web")))
        #expect(says(late, "still running after TERM: api; sending KILL"))
        for n in ["api", "web"] { _ = c.handle(.exited(n, .signaled(SIGKILL))) }
        _ = c.handle(.emptied("api"))
        #expect(c.handle(.emptied("web")) == [.finish(128 + SIGTERM)])
    }

    @Test("a group that outlives KILL by 5 s is given up on, said, and up finishes")
    func stuckInKernel() {
        var c = core()
        running(&c)
        _ = c.handle(.signal(SIGTERM))
        _ = c.handle(.tick(3.1))
        for n in ["api", "web"] { _ = c.handle(.exited(n, .signaled(SIGKILL))); _ = c.handle(.emptied(n)) } 
        var d = core()
        running(&d)
        _ = d.handle(.signal(SIGTERM))
        _ = d.handle(.tick(3.1))
        let out = d.handle(.tick(8.2))
        #expect(says(out, "could not stop api"))
        #expect(out.last == .finish(128 + SIGTERM))
    }

    @Test("restart = on-failure: a failure restarts with 1 s, 2 s, 4 s … backoff; status 0 does not")
    func onFailure() {
        var c = core(restart: ["web": .onFailure], keepGoing: true)
        running(&c)
        _ = c.handle(.exited("web", .exited(1)))
        #expect(says(c.handle(.emptied("web")), "restarting in 1 s"))
        #expect(c.handle(.tick(0.5)).isEmpty)
        #expect(c.handle(.tick(1.0)) == [.start("web")])
        _ = c.handle(.started("web", at: 1.0))
        _ = c.handle(.exited("web", .exited(1)))
        #expect(says(c.handle(.emptied("web")), "restarting in 2 s (restart = \"on-failure\", attempt 2)"))
        _ = c.handle(.tick(3.0))
        _ = c.handle(.started("web", at: 3.0))
        _ = c.handle(.exited("web", .exited(0)))
        let out = c.handle(.emptied("web"))
        #expect(says(out, "web exited on its own with status 0") && !says(out, "restarting"))
    }

    @Test("backoff doubles to 30 s and starts anew after 60 s of running")
    func backoff() {
        #expect((1...7).map(RestartPolicy.backoff) == [1, 2, 4, 8, 16, 30, 30])
        var c = core(restart: ["api": .always], keepGoing: true)
        running(&c)
        _ = c.handle(.tick(100))
        _ = c.handle(.exited("api", .exited(0)))
        #expect(says(c.handle(.emptied("api")), "attempt 1"))
    }

    @Test("restart = always: even status 0; the dependents are left alone")
    func always() {
        var c = core(restart: ["api": .always])
        running(&c)
        _ = c.handle(.exited("api", .exited(0)))
        let out = c.handle(.emptied("api"))
        #expect(!out.contains(.signal("web", SIGTERM)) && c.isRunning("web"))
    }

    @Test("portdash restart: TERM to that group only; once empty it starts again; a stopped one starts at once")
    func restartRequest() {
        var c = core()
        running(&c)
        let out = c.handle(.restart(["api"]))
        #expect(out.contains(.signal("api", SIGTERM)) && !out.contains(.signal("web", SIGTERM)))
        _ = c.handle(.exited("api", .signaled(SIGTERM)))
        #expect(c.handle(.emptied("api")) == [.start("api")])
        _ = c.handle(.started("api", at: 1))
        #expect(c.isRunning("web"))
    }

    @Test("portdash stop: that group stops for good; up finishes when none is left")
    func stopRequest() {
        var c = core()
        running(&c)
        #expect(c.handle(.stop(["web"])).contains(.signal("web", SIGTERM)))
        _ = c.handle(.exited("web", .signaled(SIGTERM)))
        #expect(c.handle(.emptied("web")).isEmpty)
        #expect(c.isRunning("api") && !c.isRunning("web"))
        _ = c.handle(.stop(["api"]))
        _ = c.handle(.exited("api", .signaled(SIGTERM)))
        #expect(c.handle(.emptied("api")) == [.finish(0)])
    }

    @Test("restart during a stop of everything is refused in one line")
    func restartWhileStopping() {
        var c = core()
        running(&c)
        _ = c.handle(.signal(SIGHUP))
        let out = c.handle(.restart(["api"]))
        #expect(says(out, "everything is stopping") && !out.contains(.start("api")))
    }

    @Test("a service that never gets ready: stopped at the time-out, exit 69")
    func readyTimeout() {
        var c = core()
        _ = c.begin(at: 0)
        _ = c.handle(.started("api", at: 0))
        let out = c.handle(.tick(31))
        #expect(says(out, "api did not listen on port 5001 within 30 s; stopped everything"))
        #expect(out.contains(.signal("api", SIGTERM)))
        _ = c.handle(.exited("api", .signaled(SIGTERM)))
        #expect(c.handle(.emptied("api")) == [.finish(69)])
    }

    @Test("a start that fails: said, everything stops, exit 71")
    func startFails() {
        var c = core()
        _ = c.begin(at: 0)
        let out = c.handle(.startFailed("api", why: "cannot enter the working directory /x"))
        #expect(says(out, "cannot start api: cannot enter the working directory /x"))
        #expect(out.last == .finish(71))
    }

    @Test("after finish nothing more happens")
    func finished() {
        var c = core()
        _ = c.begin(at: 0)
        _ = c.handle(.startFailed("api", why: "x"))
        #expect(c.handle(.signal(SIGINT)).isEmpty && c.handle(.tick(100)).isEmpty)
    }
}
