import PortKit

/// A Procfile, foreman's format: one `name: command` per line; blank lines
/// and lines starting with # are skipped. Each process gets a port in $PORT
/// (and the others' as NAME_PORT), starts at once (ready = "none": a worker
/// never listens), and depends on nothing.
enum ProcfileReader {
    static func services(_ text: String, path: String) throws(ProjectError) -> [ServiceSpec] {
        var out: [ServiceSpec] = []
        for (n, line) in TextLines.of(text).enumerated() {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else {
                throw .badProjectFile(path: path, line: n + 1, problem: "is not \"name: command\"")
            }
            let name = String(line[..<colon])
            let command = String(line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" })
            if let why = ServiceSpec.nameProblem(name) { throw .badProjectFile(path: path, line: n + 1, problem: "process name \"\(name)\" \(why)") }
            if command.isEmpty { throw .badProjectFile(path: path, line: n + 1, problem: "process \(name) has no command") }
            if out.contains(where: { $0.name == name }) {
                throw .badProjectFile(path: path, line: n + 1, problem: "process \(name) is defined twice")
            }
            var s = ServiceSpec(name: name, command: command)
            s.ready = .none
            s.line = n + 1
            out.append(s)
        }
        if out.isEmpty { throw .badProjectFile(path: path, line: nil, problem: "defines no process; write one \"name: command\" per line") }
        return out
    }
}
