/// The fastest socket source this machine offers: sock_diag, falling back
/// to /proc/net/tcp{,6} if the kernel refuses it. No trial query up front:
/// an all-states dump walks every bucket of the kernel's connection hash,
/// which is a millisecond even on an idle machine.
public enum FastSocketSource {
    public static func best(root: ProcRoot = .system) -> any SocketTableSource {
        guard root == .system else { return ProcNetTCPSource(root: root) }
        return FallbackSource(primary: SockDiagSource(), fallback: ProcNetTCPSource(root: root))
    }
}
