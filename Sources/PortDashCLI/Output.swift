// What every verb of every portdash executable prints and exits with: one
// line per message on stderr, sanitized; stdout in one write; core errors
// as their line and exit code.
import ArgumentParser
import PortKit
import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Prints a core error as one line on stderr and exits with its code.
public func fail(_ error: PortKitError) -> ExitCode {
    printError("portdash: \(error.description)")
    return ExitCode(error.exitCode)
}

/// Every message to stderr passes here, so every piece of outside text in it
/// (process, file and service names) is sanitized: one line stays one line.
public func printError(_ line: String) {
    var bytes = Array(sanitized(line).utf8)
    bytes.append(10)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

/// Writes to stdout in one syscall (no Foundation buffering on the hot path).
public func writeOut(_ text: String) {
    var text = text
    // A closed stdout (`| head`) is not an error worth a message.
    text.withUTF8 { buf in _ = try? FileDescriptor.standardOutput.writeAll(buf) }
}

public func environment(_ name: String) -> String? {
    guard let v = getenv(name) else { return nil }
    return String(cString: v)
}

/// Runs core work; a PortKitError becomes its one-line message and exit code.
/// (One place for it, which also sidesteps a Swift 6.3 SIL crash with
/// `catch let e as PortKitError` over typed throws.)
public func core<T>(_ body: () throws(PortKitError) -> T) throws -> T {
    let result: Result<T, PortKitError> = Result(catching: body)
    switch result {
    case .success(let value): return value
    case .failure(let error): throw fail(error)
    }
}
