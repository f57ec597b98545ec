/// Which of the kernel's tables a socket is in (tcp or tcp6), and so
/// how many bytes its addresses have.
public enum AddressFamily: String, Sendable, Codable {
    case ipv4, ipv6
}
