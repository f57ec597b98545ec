import Glibc

/// Turns /proc/PID/stat start times (clock ticks after boot) into wall time,
/// using `btime` from /proc/stat (proc(5): "boot time, in seconds since the epoch").
public final class BootClock: Sendable {
    public static let shared = BootClock(root: .system)
    public let bootTime: Int64?
    public let ticksPerSecond: Int

    public init(root: ProcRoot) {
        ticksPerSecond = max(1, Int(sysconf(Int32(_SC_CLK_TCK))))
        var boot: Int64? = nil
        if case .success(let bytes) = root.read("stat") {
            for line in bytes.split(separator: 10) where line.starts(with: Array("btime ".utf8)) {
                boot = Int64(String(decoding: line.dropFirst(6), as: UTF8.self).trimming())
            }
        }
        bootTime = boot
    }
}
