import PortKit

extension ProjectCheck {
    /// `binds`: no more hard-coded ports than the service has ports to move
    /// them to, and no hard-coded port claimed by two of them (a connection
    /// to it could reach only one).
    func binds() throws(ProjectError) {
        var claimed: [UInt16: String] = [:]
        for s in services {
            let key = ["services", s.name, "binds"]
            if s.binds.count > 1 + s.ports.count {
                throw problem(key, "\(s.name) binds \(s.binds.count) ports but has \(1 + s.ports.count) to move them to; "
                    + "name the others in ports = [...] (the first bind goes to the main port, the next to the first named port)")
            }
            for (i, b) in s.binds.enumerated() {
                let here = i == 0 ? s.name : "\(s.name).\(s.ports[i - 1])"
                if let other = claimed[b] {
                    throw problem(key, "\(other) and \(here) both bind \(b); a connection to \(b) could reach only one of them. "
                        + "Give \(here) its port in its command instead ({port} or $PORT, e.g. --port {port}) and remove its binds")
                }
                claimed[b] = here
            }
        }
    }
}
