import PortKit

/// What goes wrong with a project: its files (portdash.toml, Procfile, the
/// user's config), its services and their ports. A core failure met on the
/// way (the state file, the pool) is carried as it is.
public enum ProjectError: CarriesPortKitError, Equatable {
    case core(PortKitError)
    /// A project file (portdash.toml, Procfile) or the user's config cannot
    /// be used: the file, the line (when there is one) and the problem.
    case badProjectFile(path: String, line: Int?, problem: String)
    /// A file the user asked us to write (`env --dotenv`) cannot be, or may not be replaced.
    case cannotWriteFile(path: String, why: String)
    /// A project file or config whose commands we may not run (another
    /// user's, writable by others, not a regular file).
    case untrustedFile(path: String, why: String)
    /// No portdash.toml or Procfile in the directory or any parent.
    case noProject(directory: String)
    /// A service named on the command line that the project does not have.
    case unknownService(name: String, project: String, known: [String])
    /// The pool cannot hold every port a project's services need: nothing was leased.
    case projectPortsShort(project: String, needed: Int, short: [String], range: PortRange, obstacles: [Obstacle])
    /// A service did not become ready in time.
    case serviceNotReady(service: String, port: UInt16, seconds: Double)

    public init(core: PortKitError) { self = .core(core) }

    public var description: String {
        switch self {
        case .core(let e):
            return e.description
        case .badProjectFile(let path, let line, let problem):
            return "\(path)\(line.map { " line \($0)" } ?? ""): \(problem); nothing was started"
        case .cannotWriteFile(let path, let why):
            return "cannot write \(path): \(why)"
        case .untrustedFile(let path, let why):
            return "\(path) \(why)"
        case .noProject(let directory):
            return "no portdash.toml or Procfile in \(directory) or any directory above it; write one (see: portdash up --help)"
        case .unknownService(let name, let project, let known):
            return "\(project) has no service \"\(name)\"; its services are: \(known.joined(separator: ", "))"
        case .projectPortsShort(let project, let needed, let short, let range, let obstacles):
            let who = obstacles.isEmpty ? "" : "; the others are taken (" + BriefList.text(obstacles.map(\.description), separator: "; ") + ")"
            return "the pool \(range) (\(range.count) ports) cannot hold the \(needed) ports \(project) needs: "
                + "\(needed - short.count) fit, no port for \(BriefList.text(short))\(who); "
                + "nothing was leased or started. Release ports (portdash leases), or widen the pool with --range or [pool] in portdash.toml"
        case .serviceNotReady(let service, let port, let seconds):
            return "\(service) did not listen on port \(port) within \(secondsText(seconds)) s; stopped everything. "
                + "Check that it serves on $PORT, raise --timeout, or set ready = \"none\" for it"
        }
    }

    /// Exit status, following sysexits(3), as PortKitError's.
    public var exitCode: Int32 {
        switch self {
        case .core(let e): return e.exitCode
        case .unknownService: return 64      // EX_USAGE
        case .badProjectFile: return 65      // EX_DATAERR
        case .noProject: return 66           // EX_NOINPUT
        case .projectPortsShort, .serviceNotReady: return 69  // EX_UNAVAILABLE
        case .cannotWriteFile: return 73     // EX_CANTCREAT
        case .untrustedFile: return 77       // EX_NOPERM
        }
    }

    /// Runs core work in a project's function: its failure is carried as `.core`.
    static func wrapping<T>(_ body: () throws(PortKitError) -> T) throws(ProjectError) -> T {
        do { return try body() } catch { throw .core(error) }
    }
}
