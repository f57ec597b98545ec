/// TCP states as numbered in the kernel's include/net/tcp_states.h, which is
/// what /proc/net/tcp's `st` column and sock_diag's idiag_state carry.
public enum TCPState: UInt8, Sendable, CaseIterable, Codable {
    case established = 0x01
    case synSent = 0x02
    case synRecv = 0x03
    case finWait1 = 0x04
    case finWait2 = 0x05
    case timeWait = 0x06
    case close = 0x07
    case closeWait = 0x08
    case lastAck = 0x09
    case listen = 0x0A
    case closing = 0x0B
    case newSynRecv = 0x0C

    /// The names `ss` and `netstat` print.
    public var name: String {
        switch self {
        case .established: return "ESTABLISHED"
        case .synSent: return "SYN_SENT"
        case .synRecv: return "SYN_RECV"
        case .finWait1: return "FIN_WAIT1"
        case .finWait2: return "FIN_WAIT2"
        case .timeWait: return "TIME_WAIT"
        case .close: return "CLOSE"
        case .closeWait: return "CLOSE_WAIT"
        case .lastAck: return "LAST_ACK"
        case .listen: return "LISTEN"
        case .closing: return "CLOSING"
        case .newSynRecv: return "NEW_SYN_RECV"
        }
    }
}
