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
        hosts(names).flatMap { ["127.0.0.1\t\($0)", "::1\t\($0)"] }
    }

    /// The names the block holds: the router's own, then every route's.
    public static func hosts(_ names: RouteNames) -> [String] {
        [RouteNames.routerLabel + RouteNames.suffix] + names.routes.map(\.host)
    }

    /// The block, markers included, each line ending in a newline.
    public static func block(_ names: RouteNames) -> String {
        ([begin] + lines(names) + [end]).map { $0 + "\n" }.joined()
    }

    /// `file` with its portdash block replaced by `block` (or `block` appended
    /// when there is none), as bytes: every byte before the begin line and
    /// after the end line is kept as it was, whatever its encoding (hosts
    /// files are not always UTF-8). Appending adds a newline first when the
    /// last line has none. A begin with no end is refused: nil.
    public static func replacing(in file: [UInt8], with block: String) -> [UInt8]? {
        let lines = lineRanges(file)
        let beginBytes = Array("# BEGIN portdash".utf8), endBytes = Array(end.utf8)
        guard let b = lines.firstIndex(where: { file[$0.text].starts(with: beginBytes) }) else {
            if block.isEmpty { return file }  // nothing to remove
            let separator: [UInt8] = file.isEmpty || file.last == 10 ? [] : [10]
            return file + separator + Array(block.utf8)
        }
        // "# END portdash", also as a CRLF file writes it.
        guard let e = lines[b...].firstIndex(where: { file[$0.text].elementsEqual(endBytes) || file[$0.text].elementsEqual(endBytes + [13]) }) else {
            return nil
        }
        return Array(file[..<lines[b].text.lowerBound]) + Array(block.utf8) + Array(file[lines[e].next...])
    }

    /// Each line's bytes (without its newline) and where the next line starts.
    static func lineRanges(_ bytes: [UInt8]) -> [(text: Range<Int>, next: Int)] {
        var lines: [(text: Range<Int>, next: Int)] = []
        var start = 0
        while start < bytes.count {
            let nl = bytes[start...].firstIndex(of: 10)
            let stop = nl ?? bytes.count
            lines.append((start..<stop, nl.map { $0 + 1 } ?? stop))
            start = stop + 1
        }
        return lines
    }
}
