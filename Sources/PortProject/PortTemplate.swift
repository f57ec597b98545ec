import PortKit

/// The port templates of `command` and `env`: `{port}`, `{port.NAME}`,
/// `{SERVICE.port}`, `{SERVICE.port.NAME}`, and the same with `url` for the
/// name through `portdash serve`'s router (`{url}`, `{api.url}`:
/// "http://api.shop.localhost:5099/", docs/names.md), and with `direct_url`
/// for the port itself ("http://127.0.0.1:5001/": `<SERVICE>_DIRECT_URL`, for
/// programs that cannot resolve `*.localhost`). Braces that hold anything else
/// (`${HOME}`, `awk '{print $1}'`) are not templates and stay as written;
/// so does `${port}`, which is the shell's.
public enum PortTemplate {
    /// One template found in a text.
    public struct Reference: Equatable, Sendable {
        /// The service named, nil for "this service".
        public let service: String?
        public let portName: String?
        /// `{url}` rather than `{port}`.
        public var isURL = false
        /// `{direct_url}`: `http://127.0.0.1:PORT/`.
        public var isDirectURL = false
        /// As written, braces included: "{api.port}".
        public let text: String
        let range: Range<String.Index>
    }

    public enum Problem: Error, Equatable, Sendable {
        /// "{port.a.b}": looks like a template but is none of the four forms.
        case malformed(String)
    }

    /// The templates in `text`, in order.
    public static func references(in text: String) throws(Problem) -> [Reference] {
        var out: [Reference] = []
        var i = text.startIndex
        while let open = text[i...].firstIndex(of: "{") {
            guard let close = text[open...].firstIndex(of: "}") else { break }
            i = text.index(after: open)
            let inner = text[text.index(after: open)..<close]
            let afterDollar = open > text.startIndex && text[text.index(before: open)] == "$"
            guard !afterDollar, let ref = try reference(inner, range: open..<text.index(after: close)) else { continue }
            out.append(ref)
            i = text.index(after: close)
        }
        return out
    }

    /// nil when `inner` is not meant as a template (no "port" part in either place).
    static func reference(_ inner: Substring, range: Range<String.Index>) throws(Problem) -> Reference? {
        let allowed = inner.unicodeScalars.allSatisfy { u in
            (u >= "a" && u <= "z") || (u >= "A" && u <= "Z") || (u >= "0" && u <= "9") || u == "-" || u == "_" || u == "."
        }
        var parts = inner.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let kind = parts.count > 1 && ["url", "direct_url"].contains(parts[1]) ? parts[1] : parts[0]
        let isURL = kind == "url", isDirectURL = kind == "direct_url"
        if isURL || isDirectURL { parts = parts.map { $0 == kind ? "port" : $0 } }
        guard allowed, parts.first == "port" || (parts.count > 1 && parts[1] == "port") else { return nil }
        let text = "{" + inner + "}"
        var ref: Reference
        switch (parts.count, parts[0] == "port") {
        case (1, true): ref = Reference(service: nil, portName: nil, text: text, range: range)
        case (2, true): ref = Reference(service: nil, portName: parts[1], text: text, range: range)
        case (2, false): ref = Reference(service: parts[0], portName: nil, text: text, range: range)
        case (3, false): ref = Reference(service: parts[0], portName: parts[2], text: text, range: range)
        default: throw .malformed(text)
        }
        ref.isURL = isURL
        ref.isDirectURL = isDirectURL
        return ref
    }

    /// `text` with every template replaced by its port (or URL). Call after `references`
    /// has accepted the text and every reference has a port in `ports`.
    /// A `{url}` with no entry in `urls` becomes `${SERVICE_URL}`: commands run
    /// through `/bin/sh -c` with that variable set (ServiceEnvironment).
    public static func fill(_ text: String, service: String, ports: [ServicePort: UInt16], urls: [ServicePort: String] = [:]) -> String {
        guard let refs = try? references(in: text), !refs.isEmpty else { return text }
        var out = ""
        var i = text.startIndex
        for r in refs {
            out += text[i..<r.range.lowerBound]
            let key = ServicePort(service: r.service ?? service, name: r.portName)
            if r.isDirectURL {
                out += ports[key].map { RouterAddress.direct(port: $0) } ?? r.text
            } else if r.isURL {
                out += urls[key] ?? (ports[key] != nil ? "${\(EnvName.url(key))}" : r.text)
            } else {
                out += ports[key].map { String($0) } ?? r.text
            }
            i = r.range.upperBound
        }
        return out + text[i...]
    }
}
