#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// uid → user name through getpwuid_r (so NSS/LDAP users work), cached:
/// a lookup may cost a file read or a network round trip.
public final class UserNames: @unchecked Sendable {
    public static let shared = UserNames()
    private var cache: [UInt32: String] = [:]
    private var lock = pthread_mutex_t()

    public init() { pthread_mutex_init(&lock, nil) }

    /// Fixed names, for tests and golden files that must not depend on the machine.
    public convenience init(preset: [UInt32: String]) {
        self.init()
        cache = preset
    }

    public func name(_ uid: UInt32) -> String {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
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
