/// One socket of the kernel's TCP table.
public struct TCPSocket: Sendable, Equatable {
    public let local: Endpoint
    public let remote: Endpoint
    public let state: TCPState
    public let uid: UInt32
    /// 0 for sockets no file refers to (TIME_WAIT, orphans).
    public let inode: UInt64
    /// Set for a socket of another network namespace (a container, `ip
    /// netns`): it holds no port of this host.
    public var netns: NetNamespace? = nil

    public init(local: Endpoint, remote: Endpoint, state: TCPState, uid: UInt32, inode: UInt64) {
        self.local = local
        self.remote = remote
        self.state = state
        self.uid = uid
        self.inode = inode
    }
}
