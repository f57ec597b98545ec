import PortKit

/// The query of /port-status: nothing (the pool), `all=1` (every listener,
/// like `status --all`), or `port=A&port=B` (those ports, like `status A B`).
enum PortStatusQuery: Equatable, Sendable {
    case pool
    case all
    case ports([UInt16])

    init(parsing query: String, maxPorts: Int) throws(HTTPFailure) {
        var all = false
        var ports: [UInt16] = []
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let value = kv.count > 1 ? kv[1] : ""
            switch kv[0] {
            case "all":
                guard ["1", "true", ""].contains(value) else { throw .badRequest("all takes 1, e.g. ?all=1") }
                all = true
            case "port":
                guard let p = UInt16(value), p > 0 else { throw .badRequest("port=\(value.prefix(20)) is not a port from 1 to 65535") }
                ports.append(p)
            default:
                throw .badRequest("unknown parameter \(kv[0].prefix(40)); /port-status takes all=1 or port=N (repeatable)")
            }
        }
        guard ports.count <= maxPorts else { throw .badRequest("at most \(maxPorts) port parameters") }
        if all && !ports.isEmpty { throw .badRequest("give port=N or all=1, not both") }
        self = all ? .all : ports.isEmpty ? .pool : .ports(ports)
    }

    /// What `status --all` and `status PORT…` refresh.
    var scope: ScanScope? {
        switch self {
        case .pool: return nil
        case .all: return .listeners(within: nil, uid: nil, namespaces: true)
        case .ports(let p): return .ports(p)
        }
    }
}
