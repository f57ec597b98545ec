import PortKit
import PortTrust
import SystemPackage
import Glibc

/// An NSS database (`cert9.db`): the one Chromium reads (`~/.pki/nssdb`,
/// or since Chromium 146 `~/.local/share/pki/nssdb` when the old one is
/// absent) and one per Firefox profile. certutil (libnss3-tools) adds the
/// CA with trust `C,,` (a CA for TLS servers only); tstclnt, NSS's own TLS
/// client, checks it with a real handshake.
struct NSSStore: TrustStore {
    let directory: String
    /// "(Chromium)", "(Firefox profile abc.default-release)".
    let role: String
    /// Whether `install` may create the database (the Chromium one, when there is none).
    let mayCreate: Bool
    let home: String

    var title: String {
        let shown = directory.hasPrefix(home + "/") ? "~" + directory.dropFirst(home.count) : Substring(directory)
        return "NSS db \(shown) \(role)"
    }
    var database: String { "sql:" + directory }

    /// Every database of the user's. Chromium's: those of its paths that
    /// exist; when none does, `~/.pki/nssdb`, to be created, which old and
    /// new Chromium both read. (Creating the old path beside an existing new
    /// one would make Chromium switch to it and lose what the new one holds.)
    static func found(home: String) -> [NSSStore] {
        let chromium = ["/.pki/nssdb", "/.local/share/pki/nssdb", "/snap/chromium/current/.pki/nssdb"].map { home + $0 }
        var out = chromium.filter(hasDatabase).map { NSSStore(directory: $0, role: "(Chromium)", mayCreate: false, home: home) }
        if out.isEmpty { out.append(NSSStore(directory: chromium[0], role: "(Chromium)", mayCreate: true, home: home)) }
        for base in ["/.mozilla/firefox", "/snap/firefox/common/.mozilla/firefox", "/.var/app/org.mozilla.firefox/.mozilla/firefox"] {
            for profile in subdirectories(home + base) where hasDatabase(profile) {
                out.append(NSSStore(directory: profile, role: "(Firefox profile \(profile.split(separator: "/").last ?? ""))", mayCreate: false, home: home))
            }
        }
        return out
    }

    static func hasDatabase(_ dir: String) -> Bool { access(dir + "/cert9.db", F_OK) == 0 }

    static func subdirectories(_ dir: String) -> [String] {
        entries(dir).map { dir + "/" + $0 }.filter { (try? Stat(FilePath($0)))?.type == .directory }
    }

    /// The names in a directory (not . and ..), sorted; none when it cannot be read.
    static func entries(_ dir: String) -> [String] {
        guard let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != ".", name != ".." { out.append(name) }
        }
        return out.sorted()
    }

    var exists: Bool { NSSStore.hasDatabase(directory) }

    func certutil() -> Tool? { Tool.find("certutil") }

    func has(_ ca: LocalCA, _ certutil: Tool) -> Bool {
        certutil.run(["-L", "-d", database, "-n", ca.nickname]).succeeded
    }

    func install(_ ca: LocalCA) -> StoreReport {
        guard let certutil = certutil() else { return .yours("needs certutil; run: \(InstallLine.nssTools), then portdash trust again") }
        if !exists {
            guard mayCreate else { return .failed("its database is gone") }
            if case .failure = PrivateDirectory.create(directory) { return .failed("cannot create \(directory)") }
            let made = certutil.run(["-N", "--empty-password", "-d", database])
            guard made.succeeded else { return .failed("certutil -N failed: \(made.lastLine)") }
        }
        if has(ca, certutil) { return .ok("already there") }
        let r = certutil.run(["-A", "-d", database, "-t", "C,,", "-n", ca.nickname, "-i", ca.files.rootPath])
        return r.succeeded ? .ok(mayCreate ? "created, and the CA installed" : "installed") : .failed("certutil -A failed: \(r.lastLine)")
    }

    func uninstall(_ ca: LocalCA) -> StoreReport {
        guard let certutil = certutil() else { return .yours("needs certutil to remove it; run: \(InstallLine.nssTools)") }
        guard has(ca, certutil) else { return .ok("not there") }
        let r = certutil.run(["-D", "-d", database, "-n", ca.nickname])
        return r.succeeded ? .ok("removed") : .failed("certutil -D failed: \(r.lastLine)")
    }

    /// tstclnt: NSS's TLS client, verifying the chain and the name against this database.
    func check(_ ca: LocalCA, server: CheckServer) -> StoreReport {
        guard let tstclnt = Tool.find("tstclnt") else { return .yours("cannot check without tstclnt; run: \(InstallLine.nssTools)") }
        // A request read from a file (-A), rather than -Q: with no session
        // ticket from the server, tstclnt -Q waits on after a TLS 1.3
        // handshake, and it waits the same on a request from a pipe.
        guard let request = TemporaryFile("GET / HTTP/1.0\r\nHost: \(CheckServer.name)\r\n\r\n") else {
            return .failed("cannot write a temporary file for tstclnt's request")
        }
        defer { request.remove() }
        let r = tstclnt.run(["-d", database, "-h", "127.0.0.1", "-p", String(server.port), "-a", CheckServer.name, "-A", request.path])
        return r.succeeded ? .ok("trusted (tstclnt handshake)") : .failed("NOT trusted (\(r.lastLine.hasPrefix("tstclnt:") ? r.lastLine : "tstclnt: " + r.lastLine)); fix: portdash trust")
    }
}
