/// The parser for /proc/PID/cmdline: the argv strings, each ended by NUL.
/// Empty for kernel threads and zombies. A process that rewrote its argv
/// (nginx, postgres) may use spaces instead of NULs; that is kept as one string.
public enum ProcCmdline {
    public static func parse(_ bytes: [UInt8]) -> [String] {
        var body = bytes[...]
        if body.last == 0 { body = body.dropLast() }
        if body.isEmpty { return [] }
        return body.split(separator: 0, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
    }
}
