import ArgumentParser
import PortKit
import PortProject
import SystemPackage
import Glibc

/// What every verb prints and exits with: one line per message on stderr,
/// sanitized; stdout in one write; any layer's error as its line and exit code.
public enum Output {
    /// Prints an error of any layer as one line on stderr; returns its exit code.
    public static func fail(_ error: any UserFacingError) -> ExitCode {
        printError("portdash: \(error.description)")
        return ExitCode(error.exitCode)
    }

    // One per layer's type, so that `fail(.noProject(…))` names its case alone.
    public static func fail(_ error: PortKitError) -> ExitCode { fail(error as any UserFacingError) }
    public static func fail(_ error: ProjectError) -> ExitCode { fail(error as any UserFacingError) }
    public static func fail(_ error: CommandError) -> ExitCode { fail(error as any UserFacingError) }

    /// Every message to stderr passes here, so every piece of outside text in it
    /// (process, file and service names) is sanitized: one line stays one line.
    public static func printError(_ line: String) {
        var bytes = Array(sanitized(line).utf8)
        bytes.append(10)
        _ = try? FileDescriptor.standardError.writeAll(bytes)  // one write: lines of two processes never interleave mid-line
    }

    /// Writes to stdout in one syscall (no Foundation buffering on the hot path).
    public static func writeOut(_ text: String) {
        var text = text
        // A closed stdout (`| head`) is not an error worth a message.
        text.withUTF8 { buf in _ = try? FileDescriptor.standardOutput.writeAll(buf) }
    }

    /// Runs library work; its error becomes its one-line message and exit code.
    /// (One place for it, which also sidesteps a Swift 6.3 SIL crash with
    /// `catch let e as PortKitError` over typed throws.)
    public static func core<T, E: UserFacingError>(_ body: () throws(E) -> T) throws -> T {
        let result: Result<T, E> = Result(catching: body)
        switch result {
        case .success(let value): return value
        case .failure(let error): throw fail(error)
        }
    }
}
