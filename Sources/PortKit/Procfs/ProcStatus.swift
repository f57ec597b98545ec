/// The parser for the lines of /proc/PID/status that portdash needs (proc(5)):
///
///     Uid:\t1000\t1000\t1000\t1000     (real, effective, saved, filesystem)
public struct ProcStatus: Sendable, Equatable {
    public let realUID: UInt32
    public let effectiveUID: UInt32

    public static func parse(_ bytes: [UInt8], file: String) throws(PortKitError) -> ProcStatus {
        var lineNumber = 0
        for line in bytes.split(separator: 10, omittingEmptySubsequences: false) {
            lineNumber += 1
            guard line.starts(with: Array("Uid:".utf8)) else { continue }
            let ids = line.dropFirst(4).split(whereSeparator: { $0 == 9 || $0 == 32 })
                .map { NetTCPTable.parseDecimal(Array($0), 0, $0.count) }
            guard ids.count >= 2, let real = ids[0], let effective = ids[1],
                  real <= UInt64(UInt32.max), effective <= UInt64(UInt32.max) else {
                throw .malformedProcLine(file: file, line: lineNumber, field: "Uid",
                                         text: String(decoding: line, as: UTF8.self))
            }
            return ProcStatus(realUID: UInt32(real), effectiveUID: UInt32(effective))
        }
        throw .malformedProcLine(file: file, line: lineNumber, field: "Uid", text: "(no Uid: line)")
    }
}

extension ProcStatus {
    /// The "Tgid:" line: the process a thread belongs to; nil without one.
    public static func threadGroup(_ bytes: [UInt8]) -> Int32? {
        for line in bytes.split(separator: 10) where line.starts(with: Array("Tgid:".utf8)) {
            let digits = Array(line.dropFirst(5).drop { $0 == 9 || $0 == 32 })
            return NetTCPTable.parseDecimal(digits, 0, digits.count).flatMap { Int32(exactly: $0) }
        }
        return nil
    }
}
