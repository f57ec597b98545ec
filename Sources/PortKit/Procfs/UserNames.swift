import Synchronization
import Glibc

/// uid → user name through getpwuid_r (so NSS/LDAP users work), cached:
/// a lookup may cost a file read or a network round trip.
public final class UserNames: Sendable {
    public static let shared = UserNames()
    /// Held across a lookup: one thread asks NSS for a uid, the others wait
    /// for its answer instead of asking again.
    private let cache: Mutex<[UInt32: String]>

    public init() { cache = Mutex([:]) }

    /// Fixed names, for tests and golden files that must not depend on the machine.
    public init(preset: [UInt32: String]) { cache = Mutex(preset) }

    public func name(_ uid: UInt32) -> String {
        cache.withLock { cache in UserNames.lookUp(uid, in: &cache) }
    }

    private static func lookUp(_ uid: UInt32, in cache: inout [UInt32: String]) -> String {
        if let cached = cache[uid] { return cached }
        var pwd = passwd()
        var result: UnsafeMutablePointer<passwd>? = nil
        var buffer = [CChar](repeating: 0, count: 4096)
        let name: String
        if getpwuid_r(uid, &pwd, &buffer, buffer.count, &result) == 0, result != nil {
            name = String(cString: pwd.pw_name)
        } else {
            name = String(uid)
        }
        cache[uid] = name
        return name
    }
}
