/// The fastest socket source this machine offers.
public enum FastSocketSource {
    public static func best(root: ProcRoot = .system) -> any SocketTableSource {
        ProcNetTCPSource(root: root)
    }
}
