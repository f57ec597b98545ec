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
