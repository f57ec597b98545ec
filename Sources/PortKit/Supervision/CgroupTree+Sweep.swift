extension CgroupTree {
    /// Removes the groups `portdash-run-PID-START` and `portdash-up-PID-START`
    /// below `parent` whose run or up no longer runs and that hold no process
    /// any more: what a killed supervisor, or a service that outlived its
    /// `run`, left empty. A populated group stays (rmdir refuses it); so
    /// does one whose supervisor is alive.
    public func sweepAbandoned(below parent: String, reader: ProcessReader = ProcessReader()) {
        let base = parent == "/" ? "" : parent
        for name in subgroups(parent) {
            guard let owner = CgroupTree.supervisor(named: name), reader.startTime(owner.pid) != owner.startTime else { continue }
            let path = base + "/" + name
            if !isPopulated(path) { _ = remove(path) }
        }
    }

    /// The supervisor a group's name records: "portdash-up-4242-123456".
    static func supervisor(named name: String) -> ProcessStamp? {
        let parts = name.split(separator: "-")
        guard parts.count == 4, parts[0] == "portdash", parts[1] == "run" || parts[1] == "up",
              let pid = Int32(parts[2]), let start = UInt64(parts[3]) else { return nil }
        return ProcessStamp(pid: pid, startTime: start)
    }
}
