import PortKit
import PortProject
import PortTrust
import SystemPackage
import Glibc

/// The system's store: a directory of anchors and the command that turns it
/// into the bundle OpenSSL, curl, Python's ssl and most programs read. One
/// row per family; the first whose directory and command are both here is
/// the store. Writing it needs root: anyone else gets the exact sudo line.
struct SystemStore: TrustStore {
    struct Family: Sendable {
        let name: String
        let anchors: String
        let update: [String]
        /// The file the update writes, as clients read it.
        let bundle: String
        let suffix: String
        /// Where the update links each anchor (and its hash) to: Debian's
        /// update-ca-certificates leaves those links dangling when an anchor
        /// is removed (it prunes only when the set it counts changed), so
        /// uninstall removes ours itself. nil: the update rewrites all.
        var links: String? = nil
    }

    static let families = [
        Family(name: "Debian", anchors: "/usr/local/share/ca-certificates", update: ["update-ca-certificates"],
               bundle: "/etc/ssl/certs/ca-certificates.crt", suffix: ".crt", links: "/etc/ssl/certs"),
        Family(name: "Fedora", anchors: "/etc/pki/ca-trust/source/anchors", update: ["update-ca-trust", "extract"],
               bundle: "/etc/pki/tls/certs/ca-bundle.crt", suffix: ".pem"),
        Family(name: "Arch", anchors: "/etc/ca-certificates/trust-source/anchors", update: ["update-ca-trust", "extract"],
               bundle: "/etc/ssl/certs/ca-certificates.crt", suffix: ".pem"),
        Family(name: "openSUSE", anchors: "/etc/pki/trust/anchors", update: ["update-ca-certificates"],
               bundle: "/etc/ssl/ca-bundle.pem", suffix: ".pem"),
    ]

    let family: Family
    let update: Tool
    var isRoot: Bool { geteuid() == 0 }

    static func found() -> SystemStore? {
        for f in families where (try? Stat(FilePath(f.anchors)))?.type == .directory {
            if let tool = Tool.find(f.update[0]) { return SystemStore(family: f, update: tool) }
        }
        return nil
    }

    var title: String { "system store \(family.anchors)" }

    func file(_ ca: LocalCA) -> String { family.anchors + "/portdash-" + String(ca.fingerprint.prefix(8)) + family.suffix }

    func has(_ ca: LocalCA) -> Bool {
        guard case .success(let bytes) = Syscalls.readWholeFile(FilePath(file(ca)), limit: 1 << 16) else { return false }
        return String(decoding: bytes, as: UTF8.self) == ca.rootPEM
    }

    var updateLine: String { family.update.joined(separator: " ") }

    /// Whether the bundle programs read holds the CA: the anchor alone is not
    /// enough (a `trust` cut short after writing it, before the update ran).
    func bundleHas(_ ca: LocalCA) -> Bool { ca.isIn(bundle: family.bundle) }

    func install(_ ca: LocalCA) -> StoreReport {
        let dest = file(ca)
        if has(ca) && bundleHas(ca) { return .ok("already there (\(dest))") }
        if has(ca) {
            guard isRoot else { return .yours("there (\(dest)), but not yet in \(family.bundle); run: sudo \(updateLine)") }
            let r = update.run(Array(family.update.dropFirst()))
            return r.succeeded ? .ok("there, and now in \(family.bundle) (\(updateLine) run again)") : .failed("\(updateLine) failed: \(r.lastLine)")
        }
        guard isRoot else {
            return .yours("needs root; run: sudo install -m 644 \(ShellQuote.quoted(ca.files.rootPath)) \(dest) && sudo \(updateLine)")
        }
        let temporary = dest + ".new-\(getpid())"
        unlink(temporary)
        if case .failure(let e) = NewFile.write(Array(ca.rootPEM.utf8), to: temporary, mode: 0o644) {
            return .failed("cannot write \(temporary): \(errnoText(e))")
        }
        guard rename(temporary, dest) == 0 else {
            let e = errno
            unlink(temporary)
            return .failed("cannot write \(dest): \(errnoText(e))")
        }
        let r = update.run(Array(family.update.dropFirst()))
        return r.succeeded ? .ok("installed (\(dest), \(updateLine))") : .failed("\(updateLine) failed: \(r.lastLine)")
    }

    func uninstall(_ ca: LocalCA) -> StoreReport {
        let dest = file(ca)
        guard access(dest, F_OK) == 0 else { return .ok("not there") }
        guard isRoot else { return .yours("needs root; run: sudo rm \(dest) && sudo \(updateLine)") }
        guard unlink(dest) == 0 else { return .failed("cannot remove \(dest): \(errnoText(errno))") }
        if let links = family.links { SystemStore.removeLinks(in: links, to: dest) }
        let r = update.run(Array(family.update.dropFirst()))
        return r.succeeded ? .ok("removed (\(dest), \(updateLine))") : .failed("removed \(dest), but \(updateLine) failed: \(r.lastLine)")
    }

    /// Removes the symbolic links in `dir` to `file`, and those to them
    /// (Debian: `portdash-X.pem -> …/portdash-X.crt`, `c86028e2.0 -> portdash-X.pem`).
    static func removeLinks(in dir: String, to file: String) {
        var targets: Set<String> = [file]
        for _ in 0..<2 {
            for name in NSSStore.entries(dir) {
                guard let target = linkTarget(dir + "/" + name), targets.contains(target) || targets.contains(dir + "/" + target) else { continue }
                unlink(dir + "/" + name)
                targets.insert(name)
            }
        }
    }

    static func linkTarget(_ path: String) -> String? {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink(path, &buf, buf.count - 1)
        return n > 0 ? String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : nil
    }

    /// curl with exactly the system bundle (not $CURL_CA_BUNDLE), else openssl s_client.
    func check(_ ca: LocalCA, server: CheckServer) -> StoreReport {
        let fix = isRoot ? "portdash trust" : "sudo install -m 644 \(ShellQuote.quoted(ca.files.rootPath)) \(file(ca)) && sudo \(updateLine)"
        let result: Tool.Result
        let how: String
        if let curl = Tool.find("curl") {
            how = "curl --cacert \(family.bundle)"
            result = curl.run(["--silent", "--show-error", "--max-time", "30", "--output", "/dev/null", "--cacert", family.bundle,
                               "--resolve", "\(CheckServer.name):\(server.port):127.0.0.1", server.url])
        } else if let openssl = Tool.find("openssl") {
            how = "openssl s_client -CAfile \(family.bundle)"
            result = openssl.run(["s_client", "-connect", "127.0.0.1:\(server.port)", "-servername", CheckServer.name,
                                  "-verify_hostname", CheckServer.name, "-verify_return_error", "-CAfile", family.bundle, "-brief"])
        } else {
            return .yours("cannot check: neither curl nor openssl is installed (\(InstallLine.text(debian: "curl", fedora: "curl", arch: "curl")))")
        }
        return result.succeeded ? .ok("trusted (\(how))") : .failed("NOT trusted (\(how): \(result.firstLine)); fix: \(fix)")
    }
}

extension LocalCA {
    /// Whether the PEM file at `path` (a bundle of certificates) holds this CA's root.
    func isIn(bundle path: String) -> Bool {
        guard case .success(let bytes) = Syscalls.readWholeFile(FilePath(path), limit: 64 << 20) else { return false }
        let body = rootPEM.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").joined().contains(body)
    }
}
