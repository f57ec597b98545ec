/// Environment variable names from service and port names: upper-cased,
/// every character that is not a letter or digit as `_` ("api-v2" → API_V2).
public enum EnvName {
    public static func of(_ name: String) -> String {
        String(name.unicodeScalars.map { u -> Character in
            (u >= "a" && u <= "z") ? Character(String(u).uppercased())
                : ((u >= "A" && u <= "Z") || (u >= "0" && u <= "9")) ? Character(u) : "_"
        })
    }

    /// PORT, PORT_DEBUG: a service's own ports.
    public static func own(_ port: ServicePort) -> String {
        port.name.map { "PORT_" + of($0) } ?? "PORT"
    }

    /// API_PORT, API_PORT_DEBUG: any service's ports, as every service sees them.
    public static func shared(_ port: ServicePort) -> String {
        of(port.service) + "_PORT" + (port.name.map { "_" + of($0) } ?? "")
    }

    /// API_URL, API_URL_DEBUG: a port's URL through the router (direct when none runs).
    public static func url(_ port: ServicePort) -> String {
        of(port.service) + "_URL" + (port.name.map { "_" + of($0) } ?? "")
    }

    /// API_DIRECT_URL, API_DIRECT_URL_DEBUG: a port's URL straight to it, `http://127.0.0.1:PORT/`.
    public static func directURL(_ port: ServicePort) -> String {
        of(port.service) + "_DIRECT_URL" + (port.name.map { "_" + of($0) } ?? "")
    }

    /// A name a shell accepts in `export NAME=…`.
    public static func isValid(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !(first >= "0" && first <= "9") else { return false }
        return name.unicodeScalars.allSatisfy { u in
            (u >= "a" && u <= "z") || (u >= "A" && u <= "Z") || (u >= "0" && u <= "9") || u == "_"
        }
    }
}
