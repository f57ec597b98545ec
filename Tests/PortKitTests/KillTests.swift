import Dispatch
import Testing
import PortKitTestSupport
@testable import PortKit
import Glibc

@Suite("Kill guard and process killer (real processes)")
struct KillTests {
    func target(_ pid: Int32, startTime: UInt64? = nil) -> KillTarget {
        let st = ProcessReader().stat(pid)
        return KillTarget(pid: pid, startTime: startTime ?? st?.startTime ?? 0, name: st?.comm ?? "?", user: "u", commandLine: "")
    }

    @Test("pid 0, pid 1, portdash itself and its ancestors are refused")
    func protectedPids() {
        let g = KillGuard()
        for pid: Int32 in [0, 1, -5, getpid(), getppid()] {
            #expect(throws: PortKitError.self, "pid \(pid)") { try g.check(target(pid)) }
        }
        #expect { try g.check(target(getppid())) } throws: { "\($0)".contains("ancestor") }
    }

    @Test("several targets share one grace period: every one gets SIGTERM before any is waited for")
    func oneGracePeriod() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { TestSupport.removeTree(dir) }
        // Workers that note SIGTERM in a file and keep running (like a server
        // finishing its requests).
        let workers = (0..<3).map { i in
            ChildProcess(["sh", "-c", "trap 'touch \(dir)/term-\(i)' TERM; while :; do sleep 0.05; done"])
        }
        for w in workers { #expect(waitUntil { TestSupport.signalMask(w.pid, "SigCgt", contains: SIGTERM) }) }
        let targets = workers.map { target($0.pid) }
        let done = DispatchSemaphore(value: 0)
        let box = ResultsBox()
        DispatchQueue.global().async {
            box.results = ProcessKiller().terminateAll(targets, signal: SIGTERM, timeout: 120)
            done.signal()
        }
        // One after another, the second would see SIGTERM only after the first's 120 s.
        #expect(waitUntil { (0..<3).allSatisfy { access("\(dir)/term-\($0)", F_OK) == 0 } })
        for w in workers { w.signal(SIGKILL) }
        done.wait()
        #expect(box.results.count == 3)
        for r in box.results {
            guard case .success(.exited(let sig, _)) = r else { Issue.record("\(r)"); continue }
            #expect(sig == SIGTERM)
        }
    }

    @Test("a pid whose start time changed (reused) is refused and not signalled")
    func reusedPid() throws {
        let child = ChildProcess(["sleep", "600"])
        let real = target(child.pid)
        let stale = KillTarget(pid: child.pid, startTime: real.startTime + 1, name: "sleep", user: "u", commandLine: "")
        #expect { try ProcessKiller().terminate(stale, timeout: 0.2) } throws: { "\($0)".contains("different process") }
        #expect(!child.hasExited)
        child.signal(SIGKILL)
    }

    @Test("a process that exited before the signal is reported as already gone, not as an error")
    func gone() throws {
        let child = ChildProcess(["sleep", "600"])
        let t = target(child.pid)
        child.signal(SIGKILL)
        child.wait()
        #expect(try ProcessKiller().terminate(t) == .alreadyGone)
    }

    @Test("SIGTERM ends a normal process within the grace period")
    func term() throws {
        let child = ChildProcess(["sleep", "600"])
        // A generous grace period: on a loaded machine the exit may take a
        // while, and what matters is that SIGTERM alone ended it.
        let outcome = try ProcessKiller().terminate(target(child.pid), timeout: 60)
        guard case .exited(let sig, _) = outcome else { Issue.record("\(outcome)"); return }
        #expect(sig == SIGTERM)
        #expect(child.wait() == 128 + SIGTERM)
    }

    @Test("a process that ignores SIGTERM gets SIGKILL after the timeout, with a countdown")
    func escalate() throws {
        let child = ChildProcess(["sh", "-c", "trap '' TERM; while :; do sleep 0.05; done"])
        // Signal only once sh has installed its trap (SIGTERM in SigIgn).
        #expect(waitUntil { TestSupport.signalMask(child.pid, "SigIgn", contains: SIGTERM) })
        var ticks: [Double] = []
        let outcome = try ProcessKiller().terminate(target(child.pid), timeout: 1) { ticks.append($0) }
        guard case .killed = outcome else { Issue.record("\(outcome)"); return }
        #expect(child.wait() == 128 + SIGKILL)
        #expect(ticks.count >= 2 && ticks.first! > ticks.last!)
    }
}

final class ResultsBox: @unchecked Sendable {
    var results: [Result<KillOutcome, PortKitError>] = []
}
