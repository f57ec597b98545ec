import PortKit
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// The services' output, interleaved line by line on our stdout, each line
/// behind its service's name in its own colour (foreman's and overmind's
/// `web | …`). A line is written whole, so two services never mix within
/// one; a partial line waits for its end (or for the service to end).
public final class OutputPrefixer {
    /// Foreman's order: cyan, yellow, green, magenta, blue, red, then bright.
    static let colors = [36, 33, 32, 35, 34, 31, 96, 93, 92, 95, 94, 91]
    /// A line longer than this is written in pieces rather than held.
    static let maxLine = 64 * 1024

    let color: Bool
    let width: Int
    /// Where whole lines go (the runner's stdout sink).
    let emit: ([UInt8]) -> Void
    private var buffers: [String: [UInt8]] = [:]
    private var prefixes: [String: [UInt8]] = [:]

    public init(names: [String], color: Bool, emit: @escaping ([UInt8]) -> Void = OutputPrefixer.write) {
        self.color = color
        self.emit = emit
        width = names.map(\.count).max() ?? 0
        for (i, name) in names.enumerated() {
            let padded = name + String(repeating: " ", count: width - name.count) + " | "
            let c = OutputPrefixer.colors[i % OutputPrefixer.colors.count]
            prefixes[name] = Array((color ? "\u{1B}[\(c)m\(padded)\u{1B}[0m" : padded).utf8)
        }
    }

    /// Bytes a service wrote: every complete line goes out now.
    public func take(_ bytes: ArraySlice<UInt8>, from name: String) {
        var buffer = buffers[name, default: []] + bytes
        var out: [UInt8] = []
        while let nl = buffer.firstIndex(of: 10) ?? (buffer.count >= OutputPrefixer.maxLine ? OutputPrefixer.maxLine - 1 : nil) {
            out += prefixes[name, default: []] + buffer[...nl]
            if buffer[nl] != 10 { out.append(10) }
            buffer.removeSubrange(...nl)
        }
        buffers[name] = buffer
        if !out.isEmpty { emit(out) }
    }

    /// The service's last, unfinished line, when its output ends.
    public func flush(_ name: String) {
        guard let rest = buffers[name], !rest.isEmpty else { return }
        buffers[name] = []
        emit(prefixes[name, default: []] + rest + [10])
    }

    public static func write(_ bytes: [UInt8]) {
        // swift-system retries EINTR and short writes; a closed stdout drops the line.
        _ = try? FileDescriptor.standardOutput.writeAll(bytes)
    }
}
