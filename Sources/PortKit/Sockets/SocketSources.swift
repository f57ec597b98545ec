/// Picks the socket source for a proc root: the one place that chooses.
public enum SocketSources {
    /// The fastest this machine offers: sock_diag, falling back to
    /// /proc/net/tcp{,6} if the kernel refuses it; a fixture root gets its
    /// own files. No trial query up front: an all-states dump walks every
    /// bucket of the kernel's connection hash, which is a millisecond even
    /// on an idle machine.
    public static func best(root: ProcRoot = .system) -> any SocketTableSource {
        guard root == .system else { return ProcNetTCPSource(root: root) }
        return FallbackSource(primary: SockDiagSource(), fallback: ProcNetTCPSource(root: root))
    }
}
