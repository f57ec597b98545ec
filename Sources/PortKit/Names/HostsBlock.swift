/// The /etc/hosts lines for the router's names, for the clients that do not
/// resolve `*.localhost` themselves (glibc without nss-myhostname: Node,
/// Python, Go; docs/names.md). `portdash hosts --write` keeps them in one
/// marked block: only that block is replaced, the rest of the file stays
/// byte for byte.
public enum HostsBlock {
    public static let begin = "# BEGIN portdash (portdash hosts --write keeps this block; edits here are lost)"
    public static let end = "# END portdash"

    /// `127.0.0.1 NAME` and `::1 NAME` for portdash.localhost and every name, sorted.
    public static func lines(_ names: RouteNames) -> [String] {
        let hosts = ["portdash.localhost"] + names.routes.map(\.host)
        return hosts.flatMap { ["127.0.0.1\t\($0)", "::1\t\($0)"] }
    }

    /// The block, markers included, each line ending in a newline.
    public static func block(_ names: RouteNames) -> String {
        ([begin] + lines(names) + [end]).map { $0 + "\n" }.joined()
    }

    /// `file` with its portdash block replaced by `block` (or `block` appended
    /// when there is none). A begin with no end is refused: nil.
    public static func replacing(in file: String, with block: String) -> String? {
        var lines = file.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        guard let b = lines.firstIndex(where: { $0.hasPrefix("# BEGIN portdash") }) else {
            let base = file.isEmpty || file.hasSuffix("\n") ? file : file + "\n"
            return base + block
        }
        guard let e = lines[b...].firstIndex(of: end) else { return nil }
        let before = lines[..<b].map { $0 + "\n" }.joined()
        let after = lines[(e + 1)...].map { $0 + "\n" }.joined()
        return before + block + after
    }
}
