/// The parser for /proc/PID/stat (proc(5)). The command name (field 2) is in
/// parentheses and may itself contain spaces and ')', so fields after it are
/// counted from the *last* ')'.
public struct ProcStat: Sendable, Equatable {
    public let pid: Int32
    /// field 2: comm, at most 15 bytes, as the kernel truncated it
    public let comm: String
    /// field 3: state (R, S, D, Z, …)
    public let state: Character
    /// field 4: ppid
    public let ppid: Int32
    /// field 14: utime, clock ticks
    public let utime: UInt64
    /// field 15: stime, clock ticks
    public let stime: UInt64
    /// field 22: starttime, clock ticks after boot. Together with the pid it
    /// names one process for good: a reused pid gets a later start time.
    public let startTime: UInt64
    /// field 5: pgrp, the process group; field 6: session.
    public let pgrp: Int32
    public let session: Int32
    /// field 20: num_threads, the zombie main thread of a process included.
    public let threads: Int

    public init(pid: Int32, comm: String, state: Character, ppid: Int32, utime: UInt64, stime: UInt64, startTime: UInt64,
                pgrp: Int32 = 0, session: Int32 = 0, threads: Int = 1) {
        self.pid = pid; self.comm = comm; self.state = state; self.ppid = ppid
        self.utime = utime; self.stime = stime; self.startTime = startTime
        self.pgrp = pgrp; self.session = session; self.threads = threads
    }

    /// Gone but not yet reaped: a zombie (Z) or dead (X) with no thread
    /// left. A main thread that exited while others run on shows Z too, but
    /// its process lives (and holds its sockets).
    public var hasEnded: Bool { (state == "Z" || state == "X") && threads <= 1 }

    public static func parse(_ bytes: [UInt8], file: String) throws(PortKitError) -> ProcStat {
        let text = { String(decoding: bytes.prefix(200), as: UTF8.self) }
        guard let open = bytes.firstIndex(of: 40 /* ( */),
              let close = bytes.lastIndex(of: 41 /* ) */), close > open else {
            throw .malformedProcLine(file: file, line: 1, field: "comm", text: text())
        }
        guard let pid = Int32(String(decoding: bytes[..<open], as: UTF8.self).trimming()) else {
            throw .malformedProcLine(file: file, line: 1, field: "pid", text: text())
        }
        let comm = String(decoding: bytes[(open + 1)..<close], as: UTF8.self)
        // Fields from 3 on, split on single spaces.
        let rest = bytes[(close + 1)...].split(separator: 32, omittingEmptySubsequences: true)
        func field(_ n: Int, _ name: String) throws(PortKitError) -> UInt64 {
            let index = n - 3
            guard index < rest.count,
                  let v = NetTCPTable.parseDecimal(Array(rest[rest.startIndex + index]), 0, rest[rest.startIndex + index].count)
            else { throw .malformedProcLine(file: file, line: 1, field: name, text: text()) }
            return v
        }
        guard let stateByte = rest.first?.first else {
            throw .malformedProcLine(file: file, line: 1, field: "state", text: text())
        }
        let ppid = try field(4, "ppid")
        return ProcStat(
            pid: pid, comm: comm, state: Character(UnicodeScalar(stateByte)),
            ppid: Int32(truncatingIfNeeded: ppid),
            utime: try field(14, "utime"), stime: try field(15, "stime"),
            startTime: try field(22, "starttime"),
            pgrp: Int32(truncatingIfNeeded: try field(5, "pgrp")), session: Int32(truncatingIfNeeded: try field(6, "session")),
            threads: Int(min(try field(20, "num_threads"), 1 << 30)))
    }
}
