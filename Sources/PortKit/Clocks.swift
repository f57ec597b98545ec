import Glibc

/// The two clocks portdash reads: wall time for what is stored (lease
/// times), the monotonic clock for what is measured (deadlines, intervals).
/// Not `Clock`: that is the standard library's protocol.
public enum Clocks {
    /// Wall-clock seconds since the epoch. The lease engine takes `now` as a
    /// parameter everywhere so tests inject their own.
    public static func epochSeconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec)
    }

    /// Monotonic seconds, for measuring intervals.
    public static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// `Clocks.epochSeconds`, under the short name its many callers use.
public func epochSeconds() -> Int64 { Clocks.epochSeconds() }

/// `Clocks.monotonicSeconds`, under the short name its many callers use.
public func monotonicSeconds() -> Double { Clocks.monotonicSeconds() }
