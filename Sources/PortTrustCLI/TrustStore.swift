import PortTrust

/// One place that decides whether programs trust a certificate: the
/// system's store, an NSS database (Chromium, each Firefox profile), a
/// runtime with a store of its own (Node, Python requests). `trust` says
/// one line per store for each action.
protocol TrustStore: Sendable {
    /// "system store /usr/local/share/ca-certificates", "NSS db ~/.pki/nssdb (Chromium)", "Node".
    var title: String { get }
    func install(_ ca: LocalCA) -> StoreReport
    func uninstall(_ ca: LocalCA) -> StoreReport
    /// A real TLS handshake with `server` through the store's own client.
    func check(_ ca: LocalCA, server: CheckServer) -> StoreReport
}

/// What an action did to one store.
struct StoreReport: Sendable, Equatable {
    enum Outcome: Sendable, Equatable {
        /// Done, or already so.
        case ok
        /// Left to the user: a privileged step, a missing tool, a variable
        /// to export. The text says the exact command.
        case yours
        /// Tried and failed (`--check`: the store does not trust the CA).
        case failed
    }
    let outcome: Outcome
    let text: String

    static func ok(_ text: String) -> StoreReport { StoreReport(outcome: .ok, text: text) }
    static func yours(_ text: String) -> StoreReport { StoreReport(outcome: .yours, text: text) }
    static func failed(_ text: String) -> StoreReport { StoreReport(outcome: .failed, text: text) }
}
