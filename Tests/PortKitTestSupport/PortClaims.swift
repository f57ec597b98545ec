import PortKit
import Glibc

/// Blocks of test ports claimed across every test process on the machine.
///
/// A port found free by a probe can be taken before the test binds it — by
/// another test of this run, or by another `swift test` running at the same
/// time (whose portdash binaries bind-probe their ranges all the time). Each
/// block of 16 ports has a lock file; a process that holds its flock owns
/// the block until it exits (the kernel drops the lock with the process,
/// so a crashed run leaves nothing to clean up). Within a process each block
/// is handed out once.
public final class PortClaims: @unchecked Sendable {
    public static let shared = PortClaims()
    public static let blockSize = 16
    static let firstPort = 20000
    static let blocks = 750  // 20000-31999
    static let directory = "/tmp/portdash-test-ports"

    private var lock = pthread_mutex_t()
    private var next: Int
    private var scanned = 0
    /// Lock descriptors kept open on purpose: closing one drops the claim.
    private var held: [Int32] = []

    init() {
        pthread_mutex_init(&lock, nil)
        // Start somewhere that depends on the pid, so two runs rarely even
        // try the same blocks first.
        next = Int(getpid()) &* 7919 % PortClaims.blocks
        mkdir(PortClaims.directory, 0o1777)
        chmod(PortClaims.directory, 0o1777)
    }

    /// The first port of a block no other process holds and this one has not
    /// handed out yet.
    public func claimBlock() -> UInt16 {
        pthread_mutex_lock(&lock); defer { pthread_mutex_unlock(&lock) }
        while true {
            precondition(scanned < PortClaims.blocks * 2, "no unclaimed block of test ports left in 20000-31999")
            let block = next
            next = (next + 1) % PortClaims.blocks
            scanned += 1
            if tryLock(block) { return UInt16(PortClaims.firstPort + block * PortClaims.blockSize) }
        }
    }

    private func tryLock(_ block: Int) -> Bool {
        let path = PortClaims.directory + "/" + String(PortClaims.firstPort + block * PortClaims.blockSize)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o666)
        // No usable lock directory (another user's): fall back to claims
        // inside this process only.
        if fd < 0 { return true }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            close(fd)
            return false
        }
        held.append(fd)
        return true
    }
}
