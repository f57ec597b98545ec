import SystemPackage
import Glibc

/// Where a running `portdash serve` listens, written by serve at start-up
/// beside the state file it serves (`<state file>.router`, 0600):
///
///     {"pid":4242,"startTime":123456,"http":5099,"https":5443}
///
/// `startTime` is /proc/PID/stat field 22, so a record whose serve is gone
/// (killed, the machine restarted, the pid reused) is ignored, not trusted.
/// serve removes it when it stops, if it is still its own. With two serve
/// at once the one that started last is named.
public struct RouterRecord: Sendable, Equatable {
    public var serve: ProcessStamp
    /// The plain-HTTP port, when serve listens on one.
    public var http: UInt16?
    /// The TLS port, when serve has TLS.
    public var https: UInt16?

    public init(serve: ProcessStamp, http: UInt16?, https: UInt16? = nil) {
        self.serve = serve; self.http = http; self.https = https
    }

    /// Larger is not a record serve wrote.
    static let limit = 4096

    public static func path(statePath: String) -> String { statePath + ".router" }

    var json: String {
        JSONNode.object([("pid", .int(Int64(serve.pid))), ("startTime", .uint(serve.startTime)),
                          ("http", http.map { .int(Int64($0)) } ?? .null), ("https", https.map { .int(Int64($0)) } ?? .null)]).serialized() + "\n"
    }

    /// Writes the record whole: beside it first, then renamed over it.
    public func write(statePath: String) -> Result<Void, Errno> {
        let path = RouterRecord.path(statePath: statePath)
        let temporary = path + ".\(serve.pid).tmp"
        unlink(temporary)
        return NewFile.write(Array(json.utf8), to: temporary, mode: 0o600, durably: false).flatMap {
            if rename(temporary, path) == 0 { return .success(()) }
            let e = Errno(rawValue: errno)
            unlink(temporary)
            return .failure(e)
        }
    }

    /// The record, if there is one of ours that parses; else nil (it is a
    /// hint: a damaged one means "no router known", never an error).
    public static func read(statePath: String) -> RouterRecord? {
        guard case .success(let fd) = Syscalls.open(FilePath(path(statePath: statePath)), .readOnly, [.noFollow, .nonBlocking]) else { return nil }
        defer { try? fd.close() }
        guard let st = try? fd.stat(), st.type == .regular, st.userID.rawValue == geteuid(),
              let bytes = try? Syscalls.readWhole(fd, limit: limit),
              let node = try? StrictJSONParser.parse(bytes), let f = try? FieldReader(node, path: "") else { return nil }
        guard let pid = try? f.integer("pid", in: 1...Int64(Int32.max)), let start = try? f.integer("startTime", in: 0...Int64.max) else { return nil }
        let port = { (key: String) -> UInt16? in
            guard let n = f.optional(key), n != .null else { return nil }
            return try? FieldReader.port(n, named: key)
        }
        return RouterRecord(serve: ProcessStamp(pid: Int32(pid), startTime: UInt64(start)), http: port("http"), https: port("https"))
    }

    /// The record when its serve still runs.
    public static func live(statePath: String, reader: ProcessReader = ProcessReader()) -> RouterRecord? {
        read(statePath: statePath).flatMap { reader.isRunning($0.serve) ? $0 : nil }
    }

    /// Removes the record if it is still `serve`'s (another serve may have written its own since).
    public static func remove(statePath: String, ifFrom serve: ProcessStamp) {
        if read(statePath: statePath)?.serve == serve { unlink(path(statePath: statePath)) }
    }
}
