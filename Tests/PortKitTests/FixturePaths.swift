import PortKit
import SystemPackage

/// The fixture /proc tree checked in beside the tests.
let fixtureProc: String = {
    let file = String(#filePath)
    let dir = file[..<file.lastIndex(of: "/")!]
    return dir + "/Fixtures/proc"
}()

/// A probe that answers from a table instead of binding: fixture ports are
/// not real, and each test says what bind would say.
struct FakeProbe: PortProbing {
    var inUse: Set<UInt16> = []
    var failures: [UInt16: Errno] = [:]
    func probe(_ port: UInt16) -> ProbeResult {
        if let e = failures[port] { return ProbeResult(ipv4: .failed(e), ipv6: .free) }
        return inUse.contains(port) ? ProbeResult(ipv4: .inUse, ipv6: .inUse) : ProbeResult(ipv4: .free, ipv6: .free)
    }
}

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }
