#if canImport(Glibc)
import Glibc
#endif

/// Every process's parent at one moment (/proc/PID/stat fields 4 and 22):
/// what the pidfd mode walks to find a service's descendants.
public struct ProcessTable: Sendable {
    public struct Entry: Sendable {
        public let ppid: Int32
        public let startTime: UInt64
        /// Process group and session (fields 5, 6): an orphan's tell of
        /// which service's shell it came from.
        public let pgrp: Int32
        public let session: Int32
    }
    public let entries: [Int32: Entry]

    public init(entries: [Int32: Entry]) { self.entries = entries }

    /// A process vanishing mid-read is left out.
    public static func read(reader: ProcessReader = ProcessReader()) -> ProcessTable {
        var entries: [Int32: Entry] = [:]
        for pid in (try? reader.root.pids()) ?? [] {
            guard let st = reader.stat(pid), st.state != "Z" else { continue }
            entries[pid] = Entry(ppid: st.ppid, startTime: st.startTime, pgrp: st.pgrp, session: st.session)
        }
        return ProcessTable(entries: entries)
    }

    /// `root`'s descendants alone, found from parent to child through
    /// /proc/PID/task/TID/children (proc(5)): quick where a whole /proc
    /// scan is not, so that a fork chain (each process forks and exits in
    /// milliseconds) is seen as it is, not as it was a scan ago. Under a
    /// subreaper every process a service starts stays below it. Falls back
    /// to `read` where the kernel has no children files.
    public static func subtree(of root: Int32, reader: ProcessReader = ProcessReader()) -> ProcessTable {
        guard case .success = reader.root.read("\(root)/task/\(root)/children") else { return read(reader: reader) }
        var entries: [Int32: Entry] = [:]
        var queue = [root]
        while let pid = queue.popLast() {
            for child in children(of: pid, reader: reader) where entries[child] == nil {
                guard let st = reader.stat(child), st.state != "Z" else { continue }
                entries[child] = Entry(ppid: st.ppid, startTime: st.startTime, pgrp: st.pgrp, session: st.session)
                queue.append(child)
            }
        }
        return ProcessTable(entries: entries)
    }

    /// The children of every thread of `pid` ("4242 4250 " per task).
    static func children(of pid: Int32, reader: ProcessReader) -> [Int32] {
        guard let dir = opendir(reader.root.path + "/\(pid)/task") else { return [] }
        defer { closedir(dir) }
        var out: [Int32] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let tid = Int32(name), case .success(let bytes) = reader.root.read("\(pid)/task/\(tid)/children") else { continue }
            out += bytes.split(separator: 32).compactMap { Int32(String(decoding: $0, as: UTF8.self)) }
        }
        return out
    }

    /// The processes whose parent is one of `parents`, and theirs, and so on.
    public func descendants(of parents: Set<Int32>) -> [Int32] {
        var children: [Int32: [Int32]] = [:]
        for (pid, e) in entries { children[e.ppid, default: []].append(pid) }
        var out: [Int32] = []
        var queue = Array(parents)
        var seen = parents
        while let p = queue.popLast() {
            for c in children[p] ?? [] where seen.insert(c).inserted {
                out.append(c)
                queue.append(c)
            }
        }
        return out
    }
}
