/// What portdash shows about one process.
public struct ProcessDetails: Sendable, Equatable {
    public let pid: Int32
    public let ppid: Int32
    /// The command name (comm), e.g. "python3".
    public let name: String
    public let uid: UInt32
    public let user: String
    public let cmdline: [String]
    /// /proc/PID/stat field 22: clock ticks after boot.
    public let startTime: UInt64

    public init(pid: Int32, ppid: Int32, name: String, uid: UInt32, user: String, cmdline: [String], startTime: UInt64) {
        self.pid = pid; self.ppid = ppid; self.name = name; self.uid = uid
        self.user = user; self.cmdline = cmdline; self.startTime = startTime
    }

    /// The command line as one string, or "[name]" for a kernel thread.
    public var commandText: String {
        cmdline.isEmpty ? "[\(name)]" : cmdline.joined(separator: " ")
    }

    /// The command line for a narrow column, as a developer recognises it:
    /// the program's directory is dropped, and so is an interpreter's
    /// script's ("/root/.pyenv/versions/3.11.7/bin/python3 /srv/shop/app.py"
    /// reads "python3 app.py"), so rows differ where they matter. A
    /// forwarding proxy says where it forwards to.
    public var shortCommandText: String {
        guard let program = cmdline.first else { return "[\(name)]" }
        if let target = forwardsTo { return "\(name) → \(target)" }
        var words = [ProcessDetails.basename(program)] + cmdline.dropFirst()
        if ProcessDetails.isInterpreter(words[0]),
           let script = words.indices.dropFirst().first(where: { !words[$0].hasPrefix("-") }),
           words[script - 1] != "-m", words[script - 1] != "-c" {
            words[script] = ProcessDetails.basename(words[script])
        }
        return words.joined(separator: " ")
    }

    static let interpreters: Set<Substring> = ["python", "node", "nodejs", "ruby", "perl", "php", "bun", "deno", "bash", "sh", "dash", "zsh"]

    /// "python3.11", "node", "ruby3.2": an interpreter, whatever its version suffix.
    static func isInterpreter(_ program: String) -> Bool {
        var name = Substring(program)
        while let c = name.last, c.isNumber || c == "." { name.removeLast() }
        return interpreters.contains(name)
    }

    /// "/usr/bin/python3" → "python3"; a path with spaces (a process that
    /// rewrote its argv, like "nginx: master process") is left alone.
    static func basename(_ word: String) -> String {
        guard word.contains("/"), !word.contains(" "), let slash = word.lastIndex(of: "/"), slash != word.indices.last else { return word }
        return String(word[word.index(after: slash)...])
    }

    /// Where a port-forwarding proxy sends what it accepts: docker-proxy's
    /// `-container-ip 172.17.0.2 -container-port 80` → "172.17.0.2:80".
    public var forwardsTo: String? {
        guard name == "docker-proxy" else { return nil }
        func value(_ flag: String) -> String? {
            guard let i = cmdline.firstIndex(of: flag), i + 1 < cmdline.count else { return nil }
            return cmdline[i + 1]
        }
        guard let ip = value("-container-ip"), let port = value("-container-port") else { return nil }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }
}
