/// The parser for /proc/net/tcp and /proc/net/tcp6 (one format, two address
/// widths), as printed by the kernel's tcp4_seq_show / tcp6_seq_show:
///
///     sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
///      0: 0100007F:1388 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 40123 1 ...
///
/// Addresses are the raw network-order words printed with %08X in host byte
/// order, so on x86 "0100007F" is 127.0.0.1; ports are %04X in host order
/// ("1388" is 5000). Worked examples (psutil's decode_address):
///   "0100007F:1388"                          -> 127.0.0.1:5000
///   "00000000000000000000000001000000:1388"  -> [::1]:5000
///   "0000000000000000FFFF00000100007F:1388"  -> [::ffff:127.0.0.1]:5000
///
/// Pure: it sees bytes and a name for error messages, never a file.
public enum NetTCPTable {
    /// Parses a whole table. With `ports`, rows whose local port is outside it
    /// are skipped after reading only the local port: a busy machine has tens of
    /// thousands of rows and we want a handful.
    public static func parse(
        _ bytes: [UInt8], family: AddressFamily, file: String, ports: ClosedRange<UInt16>? = nil
    ) throws(PortKitError) -> [TCPSocket] {
        var result: [TCPSocket] = []
        var lineNumber = 0
        var start = 0
        let count = bytes.count
        while start < count {
            var end = start
            while end < count && bytes[end] != 10 { end += 1 }
            lineNumber += 1
            // Line 1 is the header.
            if lineNumber > 1 && end > start {
                if let socket = try parseLine(bytes, start, end, family: family, file: file,
                                              line: lineNumber, ports: ports) {
                    result.append(socket)
                }
            }
            start = end + 1
        }
        return result
    }

    /// The kernel prints these tables a page at a time while the hash table
    /// may change under it (net/ipv4/tcp_ipv4.c, tcp_seek_last_pos), so one
    /// read can repeat a row or skip one. psutil and ss's /proc fallback both
    /// drop repeats; so do we: one row per inode, and for inode-0 rows (TIME_WAIT,
    /// orphans) one per (local, remote, state). First occurrence wins.
    public static func unique(_ sockets: [TCPSocket]) -> [TCPSocket] {
        struct Anonymous: Hashable { let local: Endpoint; let remote: Endpoint; let state: TCPState }
        var inodes = Set<UInt64>()
        var anonymous = Set<Anonymous>()
        return sockets.filter { s in
            s.inode != 0
                ? inodes.insert(s.inode).inserted
                : anonymous.insert(Anonymous(local: s.local, remote: s.remote, state: s.state)).inserted
        }
    }

    /// Field positions after splitting on blanks (the "sl" column keeps its colon).
    private enum Field {
        static let local = 1      // field 1: local_address ADDR:PORT
        static let remote = 2     // field 2: rem_address ADDR:PORT
        static let state = 3      // field 3: st, hex state (tcp_states.h)
        static let uid = 7        // field 7: uid, decimal
        static let inode = 9      // field 9: inode, decimal (0: no file holds it)
    }

    static func parseLine(
        _ b: [UInt8], _ start: Int, _ end: Int, family: AddressFamily, file: String, line: Int,
        ports: ClosedRange<UInt16>?
    ) throws(PortKitError) -> TCPSocket? {
        // Split into at most 10 fields; later columns are not needed.
        var fieldStart = [Int](repeating: 0, count: 10)
        var fieldEnd = [Int](repeating: 0, count: 10)
        var n = 0
        var i = start
        while i < end && n < 10 {
            while i < end && (b[i] == 32 || b[i] == 9) { i += 1 }
            if i >= end { break }
            fieldStart[n] = i
            while i < end && b[i] != 32 && b[i] != 9 { i += 1 }
            fieldEnd[n] = i
            n += 1
        }
        if n == 0 { return nil }  // blank line
        let text = { String(decoding: b[start..<end], as: UTF8.self) }
        func bad(_ field: String) -> PortKitError {
            .malformedProcLine(file: file, line: line, field: field, text: text())
        }
        let addressWidth = family == .ipv4 ? 8 : 32

        // The local port first, so out-of-range rows cost almost nothing.
        guard n > Field.local else { throw bad("local_address") }
        guard let localPort = parsePort(b, fieldStart[Field.local], fieldEnd[Field.local], addressWidth) else {
            throw bad("local_address")
        }
        if let ports, !ports.contains(localPort) { return nil }
        guard n == 10 else { throw bad(n <= Field.remote ? "rem_address" : n <= Field.state ? "st" : n <= Field.uid ? "uid" : "inode") }

        guard let localAddress = parseAddress(b, fieldStart[Field.local], addressWidth) else { throw bad("local_address") }
        guard let remotePort = parsePort(b, fieldStart[Field.remote], fieldEnd[Field.remote], addressWidth),
              let remoteAddress = parseAddress(b, fieldStart[Field.remote], addressWidth) else { throw bad("rem_address") }
        guard let rawState = parseHex(b, fieldStart[Field.state], fieldEnd[Field.state]), rawState <= 0xFF,
              let state = TCPState(rawValue: UInt8(rawState)) else { throw bad("st") }
        guard let uid = parseDecimal(b, fieldStart[Field.uid], fieldEnd[Field.uid]), uid <= UInt64(UInt32.max) else { throw bad("uid") }
        guard let inode = parseDecimal(b, fieldStart[Field.inode], fieldEnd[Field.inode]) else { throw bad("inode") }

        return TCPSocket(
            local: Endpoint(family: family, address: localAddress, port: localPort),
            remote: Endpoint(family: family, address: remoteAddress, port: remotePort),
            state: state, uid: UInt32(uid), inode: inode)
    }

    /// "ADDR:PORT" with ADDR exactly `width` hex digits and PORT exactly 4.
    private static func parsePort(_ b: [UInt8], _ s: Int, _ e: Int, _ width: Int) -> UInt16? {
        guard e - s == width + 5, b[s + width] == 58 /* : */ else { return nil }
        guard let v = parseHex(b, s + width + 1, e) else { return nil }
        return UInt16(v)
    }

    /// Turns the %08X words back into network-order bytes: each word was the
    /// address's memory read as a host-order integer, so its host-order bytes
    /// are the address bytes.
    private static func parseAddress(_ b: [UInt8], _ s: Int, _ width: Int) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(width / 2)
        var p = s
        while p < s + width {
            guard let word = parseHex(b, p, p + 8) else { return nil }
            withUnsafeBytes(of: UInt32(truncatingIfNeeded: word)) { out.append(contentsOf: $0) }
            p += 8
        }
        return out
    }

    static func parseHex(_ b: [UInt8], _ s: Int, _ e: Int) -> UInt64? {
        guard e > s, e - s <= 16 else { return nil }
        var v: UInt64 = 0
        for i in s..<e {
            let c = b[i]
            let d: UInt8
            switch c {
            case 48...57: d = c - 48
            case 65...70: d = c - 55
            case 97...102: d = c - 87
            default: return nil
            }
            v = v << 4 | UInt64(d)
        }
        return v
    }

    static func parseDecimal(_ b: [UInt8], _ s: Int, _ e: Int) -> UInt64? {
        guard e > s, e - s <= 20 else { return nil }
        var v: UInt64 = 0
        for i in s..<e {
            let c = b[i]
            guard c >= 48 && c <= 57 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(c - 48))
            if o1 || o2 { return nil }
            v = a
        }
        return v
    }
}
