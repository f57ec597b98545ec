import Testing
@testable import PortKit

@Suite("/proc/PID/{stat,status,cmdline} parsers")
struct ProcessFileTests {
    @Test("stat: fields counted after the last ')', even when comm has spaces and parentheses")
    func statWithWeirdComm() throws {
        let raw = try ProcRoot(path: fixtureProc).read("301/stat").get()
        let s = try ProcStat.parse(raw, file: "301/stat")
        #expect(s.pid == 301)
        #expect(s.comm == "weird) (name")
        #expect(s.ppid == 300)
        #expect(s.startTime == 5100)
        #expect(s.utime == 7 && s.stime == 3)
        #expect(s.state == "S")
    }

    @Test("stat: a truncated line names the missing field")
    func statTruncated() {
        #expect {
            try ProcStat.parse(bytes("42 (x) S 1 42 42 0 -1 0 0 0"), file: "/proc/42/stat")
        } throws: { error in
            guard case .malformedProcLine(_, _, let field, _) = error as? PortKitError else { return false }
            return field == "utime"
        }
        #expect(throws: PortKitError.self) { try ProcStat.parse(bytes("garbage"), file: "x") }
    }

    @Test("status: the effective uid is the second Uid: column")
    func status() throws {
        let s = try ProcStatus.parse(bytes("Name:\tx\nUid:\t1000\t0\t0\t0\n"), file: "status")
        #expect(s.realUID == 1000 && s.effectiveUID == 0)
        #expect(throws: PortKitError.self) { try ProcStatus.parse(bytes("Name:\tx\n"), file: "status") }
        #expect(throws: PortKitError.self) { try ProcStatus.parse(bytes("Uid:\tx\ty\n"), file: "status") }
    }

    @Test("cmdline: NUL-separated argv, empty for kernel threads, empty args kept")
    func cmdline() {
        #expect(ProcCmdline.parse(bytes("python3\0app.py\0")) == ["python3", "app.py"])
        #expect(ProcCmdline.parse([]) == [])
        #expect(ProcCmdline.parse(bytes("a\0\0b\0")) == ["a", "", "b"])
        #expect(ProcCmdline.parse(bytes("nginx: master process")) == ["nginx: master process"])
    }

    @Test("process details from the fixture tree; a vanished pid is nil, not an error")
    func details() {
        let reader = ProcessReader(root: ProcRoot(path: fixtureProc))
        let d = reader.details(100)
        #expect(d?.name == "python3")
        #expect(d?.uid == 1000)
        #expect(d?.cmdline == ["python3", "-m", "flask", "run", "--port", "5000"])
        #expect(d?.startTime == 4200)
        #expect(reader.details(200) == nil)
        #expect(reader.details(99999) == nil)
        // 301 → 300 → 1 (init ends the chain).
        #expect(reader.ancestors(of: 301) == [300, 1])
        #expect(reader.ancestors(of: 99999) == [])
        #expect(reader.isRunning(LeaseOwner(pid: 150, startTime: 4300)))
        #expect(!reader.isRunning(LeaseOwner(pid: 150, startTime: 4301)))  // a reused pid
        #expect(!reader.isRunning(LeaseOwner(pid: 200, startTime: 1)))     // vanished
    }

    @Test("pids: only numeric entries of the root")
    func pids() throws {
        let pids = try ProcRoot(path: fixtureProc).pids().sorted()
        #expect(pids == [2, 100, 150, 200, 300, 301])
    }
}
