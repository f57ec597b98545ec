/// Dev servers with a port flag: given the flag, they listen on the leased
/// port and print the right URL, which is cheaper than moving their bind
/// (`binds`). The one table of them; a command that already names a port
/// ({port}, $PORT, the tool's flag, an address argument) is never touched,
/// nor one the shell would read as more than one plain command.
public enum DevServerFlags {
    struct Tool: Sendable {
        /// The program's name, and the subcommands that serve ("" for none;
        /// nil: it takes no subcommand, its first argument is its app).
        let program: String
        let subcommands: [String]?
        /// Words that name a port already.
        let portFlags: [String]
        /// What to append, "%p" standing for the port.
        let flags: [String]
        /// It takes the port as a positional argument after the subcommand (django).
        var positional = false
        /// Options before the subcommand that take a value as the next word (`flask --app X run`).
        var valueOptions: [String] = []
    }

    static let table: [Tool] = [
        Tool(program: "vite", subcommands: ["", "dev", "serve", "preview"], portFlags: ["--port"], flags: ["--port", "%p", "--strictPort"]),
        Tool(program: "next", subcommands: ["dev", "start"], portFlags: ["-p", "--port"], flags: ["-p", "%p"]),
        Tool(program: "astro", subcommands: ["dev", "preview"], portFlags: ["--port"], flags: ["--port", "%p"]),
        Tool(program: "ng", subcommands: ["serve", "s"], portFlags: ["--port"], flags: ["--port", "%p"]),
        Tool(program: "react-router", subcommands: ["dev"], portFlags: ["--port"], flags: ["--port", "%p"]),
        Tool(program: "rsbuild", subcommands: ["dev", "preview"], portFlags: ["--port"], flags: ["--port", "%p"]),
        Tool(program: "expo", subcommands: ["start"], portFlags: ["--port", "-p"], flags: ["--port", "%p"]),
        Tool(program: "manage.py", subcommands: ["runserver"], portFlags: [], flags: ["%p"], positional: true),
        Tool(program: "flask", subcommands: ["run"], portFlags: ["--port", "-p"], flags: ["--port", "%p"],
             valueOptions: ["--app", "-A", "--env-file", "-e"]),
        Tool(program: "uvicorn", subcommands: nil, portFlags: ["--port", "--fd", "--uds"], flags: ["--port", "%p"]),
        Tool(program: "rails", subcommands: ["server", "s"], portFlags: ["-p", "--port"], flags: ["-p", "%p"]),
    ]

    /// Words run before the program: package runners and interpreters.
    static let wrappers: Set<String> = ["npx", "pnpx", "bunx", "exec", "pnpm", "yarn", "bun", "x", "dlx", "bundle", "python", "python3", "-m", "env"]

    /// The words to append so `words` listens on `port`; nil when it is no
    /// tool of the table or names a port already.
    public static func flags(for words: [String], port: UInt16) -> [String]? {
        let rest = Array(words.drop { wrappers.contains($0) || $0 == "run" && words.first == "bun" })
        guard let first = rest.first, let tool = table.first(where: { $0.program == basename(first) }) else { return nil }
        let sub = subcommand(rest.dropFirst(), tool: tool)
        if let serving = tool.subcommands, !serving.contains(sub) { return nil }
        if namesPort(rest.dropFirst(), tool: tool) { return nil }
        return tool.flags.map { $0 == "%p" ? String(port) : $0 }
    }

    /// A shell command with the flags appended, and the flags; nil when the
    /// command is not one plain command of a known tool, or names a port.
    public static func inject(into command: String, port: UInt16) -> (command: String, flags: [String])? {
        guard !command.contains(where: { ";&|<>()`'\"\\$\n{}*?#".contains($0) }) else { return nil }
        let words = command.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let flags = flags(for: words, port: port) else { return nil }
        return (command + " " + flags.joined(separator: " "), flags)
    }

    /// The first word that is neither an option nor an option's value: the subcommand ("" if none).
    static func subcommand(_ args: ArraySlice<String>, tool: Tool) -> String {
        var value = false
        for a in args {
            if value { value = false; continue }
            if a.hasPrefix("-") { value = tool.valueOptions.contains(a); continue }
            return a
        }
        return ""
    }

    static func namesPort(_ args: ArraySlice<String>, tool: Tool) -> Bool {
        for a in args {
            if a.contains("{port") || a.contains("PORT") { return true }
            if tool.portFlags.contains(where: { a == $0 || a.hasPrefix($0 + "=") || ($0.count == 2 && a.hasPrefix($0) && a.count > 2) }) { return true }
            if tool.positional && !a.hasPrefix("-") && a != "runserver" && (a.allSatisfy(\.isNumber) || a.contains(":")) { return true }
        }
        return false
    }

    static func basename(_ word: String) -> String {
        word.split(separator: "/").last.map(String.init) ?? word
    }
}
