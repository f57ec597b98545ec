import ArgumentParser
import PortKit
import PortProject

/// Shell completion of the current project's services (`up`, `env`, `wait`,
/// `release`). The shell runs `portdash ---completion …` (ArgumentParser's
/// hidden entry point) in the directory being typed in, which lands here.
/// Outside a project, or with a file that cannot be read, there is nothing
/// to offer: a completion never prints an error.
enum ServiceCompletion {
    static func project() -> Project? {
        guard let cwd = StatePath.currentDirectory() else { return nil }
        return try? ProjectLoader.load(from: cwd)
    }

    /// `up`, `env`: the service names.
    static let services: CompletionKind = .custom { _, _, prefix in
        (project()?.serviceNames ?? []).filter { $0.hasPrefix(prefix) }
    }

    /// `wait`: the services, and their named ports as SERVICE.NAME.
    static let servicePorts: CompletionKind = .custom { _, _, prefix in
        let all = (project()?.services ?? []).flatMap { s in [s.name] + s.ports.map { s.name + "." + $0 } }
        return all.filter { $0.hasPrefix(prefix) }
    }

    /// `release`: what it takes: a lease by name alone by its name, and a
    /// project's lease (this project's) by its port or service name, from the state file
    /// that --state would default to.
    static let leases: CompletionKind = .custom { _, _, prefix in
        guard let path = try? StatePath.resolve(explicit: nil, environment: processEnvironment),
              let book = try? LeaseStore(path: path, lockTimeout: 0).load() else { return [] }
        let root = project()?.root
        let names = book.leases.flatMap { lease -> [String] in
            guard let p = lease.project else { return [lease.service] }
            return p.root == root ? [String(lease.port), p.portName.map { lease.service + "." + $0 } ?? lease.service] : []
        }
        return names.filter { $0.hasPrefix(prefix) }
    }
}
