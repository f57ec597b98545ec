extension PortEvent {
    /// One event as `serve`'s `/events` sends it (docs/serve.md): the port, the kind
    /// of change, the state after it, the lease's service, the pids, the
    /// dashboard's sentence, and when the refresh that saw it was taken.
    /// Strings go through the JSON writer's escaping like every other output.
    public func jsonValue(time: Int64) -> JSONNode {
        .object([
            ("port", .uint(UInt64(port))),
            ("kind", .string(kind.rawValue)),
            ("state", .string(state.rawValue)),
            ("service", service.json),
            ("pids", .array(pids.map { .int(Int64($0)) })),
            ("text", .string(text)),
            ("time", .int(time)),
        ])
    }
}
