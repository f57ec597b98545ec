/// The services' dependencies: which to start for a request, and in what order.
public struct ServiceGraph: Sendable {
    let project: Project

    public init(_ project: Project) { self.project = project }

    /// A cycle, as the names around it ("web → api → web"), if there is one.
    public func cycle() -> [String]? {
        var state: [String: Bool] = [:]  // false: on the current path, true: done
        var path: [String] = []
        func visit(_ name: String) -> [String]? {
            if state[name] == true { return nil }
            if state[name] == false { return Array(path[path.firstIndex(of: name)!...]) + [name] }
            state[name] = false
            path.append(name)
            for d in project.service(name)?.dependsOn ?? [] {
                if let c = visit(d) { return c }
            }
            path.removeLast()
            state[name] = true
            return nil
        }
        for s in project.services { if let c = visit(s.name) { return c } }
        return nil
    }

    /// `chosen` and everything they depend on, dependencies first; among
    /// services free to start, the file's order. Assumes no cycle.
    public func startOrder(_ chosen: [String]) -> [String] {
        var order: [String] = []
        var seen = Set<String>()
        func add(_ name: String) {
            guard seen.insert(name).inserted, let s = project.service(name) else { return }
            for d in s.dependsOn { add(d) }
            order.append(name)
        }
        let wanted = Set(chosen)
        for s in project.services where wanted.contains(s.name) { add(s.name) }
        return order
    }
}
