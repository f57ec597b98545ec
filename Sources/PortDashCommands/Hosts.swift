import ArgumentParser
import PortDashCLI
import PortKit
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

struct Hosts: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hosts",
        abstract: "Print /etc/hosts lines for the leases' .localhost names; --write keeps them in /etc/hosts (root).",
        discussion: """
            Browsers and curl 7.85+ resolve *.localhost themselves; Node, Python and Go on a default Debian \
            (hosts: files dns) do not, and need these lines. --write replaces only the block between \
            "# BEGIN portdash" and "# END portdash" (adding it if missing), atomically. Details: docs/names.md.
            Example: sudo portdash hosts --write
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Write the block into the hosts file instead of printing it (needs root for /etc/hosts).")
    var write = false

    @Option(help: ArgumentHelp("The hosts file to write.", valueName: "path", visibility: .hidden))
    var file = "/etc/hosts"

    func run() throws {
        let ctx = try Context(global)
        let book = try core { () throws(PortKitError) in try ctx.store.load() }
        let names = RouteNames(leases: book.leases)
        let block = HostsBlock.block(names)
        guard write else {
            writeOut(block)
            return
        }
        let read: Result<[UInt8], Errno>
        do {
            let fd = try FileDescriptor.open(FilePath(file), .readOnly, options: [.closeOnExec])
            read = try fd.closeAfter { Syscalls.readAll(fd, limit: 4 << 20) }
        } catch {
            read = .failure(error as? Errno ?? .ioError)
        }
        guard case .success(let raw) = read else {
            if case .failure(let e) = read { printError("portdash: cannot read \(file): \(errnoText(e)); give an existing hosts file") }
            throw ExitCode(66)
        }
        let text = String(decoding: raw, as: UTF8.self)
        guard let updated = HostsBlock.replacing(in: text, with: block) else {
            printError("portdash: \(file) has a \"# BEGIN portdash\" line and no \"\(HostsBlock.end)\"; fix the file by hand, then run again")
            throw ExitCode(65)
        }
        if updated == text {
            printError("portdash: \(file) is up to date (\(names.routes.count) names)")
            return
        }
        var st = stat()
        let mode = stat(file, &st) == 0 ? st.st_mode & 0o7777 : 0o644
        let temp = file + ".portdash-\(getpid())"
        if case .failure(let e) = NewFile.write(Array(updated.utf8), to: temp, mode: mode, owner: (st.st_uid, st.st_gid)) {
            let fix = e == .permissionDenied || e == .readOnlyFileSystem ? "; run it as root: sudo portdash hosts --write" : ""
            printError("portdash: cannot write beside \(file): \(e)\(fix)")
            throw ExitCode(e == .permissionDenied ? 77 : 73)
        }
        guard rename(temp, file) == 0 else {
            let err = errno
            unlink(temp)
            printError("portdash: cannot replace \(file): \(errnoText(err))")
            throw ExitCode(73)
        }
        printError("portdash: wrote \(names.routes.count) names to \(file)")
    }
}
