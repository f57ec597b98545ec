import Dispatch
import PortDashCLI
import PortKit
import PortProject

extension Up {
    /// When a router runs, the URLs `up` hands out are names: check once,
    /// off the main thread (getaddrinfo may wait for a DNS server), that
    /// programs can resolve the first service's, and say the fix when not.
    static func checkNames(_ p: ProjectContext, order: [String]) {
        guard RouterAddress.current(statePath: p.ctx.store.path) != nil, let first = order.first,
              let book = try? p.ctx.store.load(),
              let lease = book.leases.first(where: { $0.project?.root == p.project.root && $0.service == first && $0.project?.portName == nil }),
              let host = RouteNames(leases: book.leases).host(of: lease) else { return }
        let variable = EnvName.directURL(ServicePort(service: first))
        DispatchQueue.global().async {
            if !NameResolution.resolves(host) { Output.printError("portdash: " + NameResolution.advice(host: host, directVariable: variable, directTemplate: "{\(first).direct_url}")) }
        }
    }
}
