/// A request the server will not serve, as the status it answers with.
/// After any of these the connection is closed.
enum HTTPFailure: Error, Equatable, Sendable {
    case badRequest(String)
    /// The request line and headers went past ServeLimits.headBytes or .headerLines.
    case headTooLarge
    case versionNotSupported(String)
    /// The head did not arrive within ServeLimits.headSeconds.
    case timedOut

    var response: Response {
        switch self {
        case .badRequest(let why): return .error(400, why)
        case .headTooLarge: return .error(431, "request head too large")
        case .versionNotSupported(let v): return .error(505, "HTTP version \(v) not supported; use HTTP/1.1")
        case .timedOut: return .error(408, "request head not received in time")
        }
    }
}
