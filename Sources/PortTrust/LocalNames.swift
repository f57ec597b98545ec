import SwiftASN1
import X509
import Glibc

/// What the local CA may sign, in one place: `localhost` and every name
/// below it (RFC 6761: loopback by definition), 127.0.0.0/8 and ::1.
/// The CA certificates carry it as critical Name Constraints (RFC 5280
/// §4.2.1.10: a DNS constraint `localhost` is met by `localhost` and by any
/// name made by adding labels on its left; an IP constraint is an address
/// and a mask); `issueLeaf` checks it again before it signs.
public enum LocalNames {
    public static let dnsDomain = "localhost"

    /// 127.0.0.0/8 and ::1/128 as RFC 5280 wants them: address bytes, then mask bytes.
    static let ipRanges: [[UInt8]] = [
        [127, 0, 0, 0, 255, 0, 0, 0],
        [UInt8](repeating: 0, count: 15) + [1] + [UInt8](repeating: 255, count: 16),
    ]

    /// The Name Constraints extension of every CA certificate.
    public static var constraints: NameConstraints {
        NameConstraints(permittedDNSDomains: [dnsDomain], permittedIPRanges: ipRanges.map { ASN1OctetString(contentBytes: $0[...]) })
    }

    /// Why `name` may not be in a leaf, or nil when it may: `localhost` or
    /// `*.localhost`, made of DNS labels (a-z, 0-9, `-`, 1 to 63 bytes each;
    /// 253 in all), no wildcard.
    public static func dnsProblem(_ name: String) -> String? {
        let lower = name.lowercased()
        guard lower == dnsDomain || lower.hasSuffix("." + dnsDomain) else {
            return "\(name) is not localhost or a name under .localhost"
        }
        guard lower.utf8.count <= 253 else { return "\(name) is longer than 253 bytes" }
        for label in lower.split(separator: ".", omittingEmptySubsequences: false) {
            let ok = label.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
            guard !label.isEmpty, label.utf8.count <= 63, ok else { return "\(name) is not a host name (label \"\(label)\")" }
        }
        return nil
    }

    /// The address's bytes when it is a loopback one (127.0.0.0/8, ::1), else why not.
    public static func loopbackBytes(_ text: String) -> Result<[UInt8], LeafRefusal> {
        var v4 = in_addr()
        if text.withCString({ inet_pton(AF_INET, $0, &v4) }) == 1 {
            let bytes = withUnsafeBytes(of: &v4) { [UInt8]($0) }
            return bytes[0] == 127 ? .success(bytes) : .failure(LeafRefusal(name: text, why: "\(text) is not in 127.0.0.0/8"))
        }
        var v6 = in6_addr()
        if text.withCString({ inet_pton(AF_INET6, $0, &v6) }) == 1 {
            let bytes = withUnsafeBytes(of: &v6) { [UInt8]($0) }
            return bytes == [UInt8](repeating: 0, count: 15) + [1] ? .success(bytes) : .failure(LeafRefusal(name: text, why: "\(text) is not ::1"))
        }
        return .failure(LeafRefusal(name: text, why: "\(text) is not an IP address"))
    }
}

/// A name or address `issueLeaf` will not sign.
public struct LeafRefusal: Error, Sendable, Equatable {
    public let name: String
    public let why: String
}
