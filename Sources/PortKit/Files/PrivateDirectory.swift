import SystemPackage
import Glibc

/// A directory only its owner can change, like OpenSSH's StrictModes:
/// whoever can write to a directory can replace the files in it (rename over
/// them, unlink them). The state file's directory and the local CA's both
/// follow this one rule.
package enum PrivateDirectory {
    package enum Verdict: Equatable, Sendable {
        case safe
        case absent
        case unreadable(Errno)
        case notDirectory
        /// Writable by group or others (without the sticky bit, where that
        /// counts), or owned by someone it must not be.
        case unsafe(mode: UInt32, owner: UInt32)
    }

    /// `rootMayOwn`: a directory of root's is fine too (the state file in
    /// /var/tmp); `stickyCounts`: the sticky bit makes group/other write
    /// harmless (/tmp: others cannot remove or rename our files there).
    package static func check(_ dir: String, rootMayOwn: Bool = true, stickyCounts: Bool = true) -> Verdict {
        let st: Stat
        do { st = try Stat(FilePath(dir)) } catch {
            return error == .noSuchFileOrDirectory ? .absent : .unreadable(error)
        }
        guard st.type == .directory else { return .notDirectory }
        let permissions = st.permissions
        let writable = !permissions.isDisjoint(with: [.groupWrite, .otherWrite])
        let openToOthers = writable && !(stickyCounts && permissions.contains(.saveText))
        let owner = st.userID.rawValue
        let ownerOK = owner == geteuid() || (rootMayOwn && owner == 0)
        return openToOthers || !ownerOK ? .unsafe(mode: UInt32(permissions.rawValue & 0o7777), owner: owner) : .safe
    }

    /// `mkdir -p` where each directory made is 0700 whatever the umask and
    /// checked right after (someone may have raced us to the name); on
    /// failure the directory that could not be made and why.
    package static func create(_ dir: String, rootMayOwn: Bool = true) -> Result<Void, CreateFailure> {
        var prefix = dir.hasPrefix("/") ? "" : "."
        for part in dir.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += "/" + part
            if mkdir(prefix, 0o700) == 0 {
                chmod(prefix, 0o700)
                let verdict = check(prefix, rootMayOwn: rootMayOwn)
                if verdict != .safe { return .failure(.unsafe(prefix, verdict)) }
            } else if errno != EEXIST {
                return .failure(.cannotMake(prefix, Errno(rawValue: errno)))
            }
        }
        return .success(())
    }

    package enum CreateFailure: Error, Equatable {
        case cannotMake(String, Errno)
        case unsafe(String, Verdict)
    }

    /// Why a directory is unsafe, in words: "is writable by its group and
    /// others (mode 0777)", "belongs to uid 1001 (it must be yours, uid 1000)".
    package static func reason(mode: UInt32, owner: UInt32, rootMayOwn: Bool = true) -> String {
        let me = geteuid()
        if owner != me && !(rootMayOwn && owner == 0) {
            return "belongs to uid \(owner) (it must be yours, uid \(me)\(rootMayOwn ? ", or root's" : ""))"
        }
        return "is writable by \(writers(mode)) (mode \(octal(mode)))"
    }

    /// Who may write, by the mode's group and other bits: "its group and others", "its group", "others".
    package static func writers(_ mode: UInt32) -> String {
        mode & 0o020 != 0 ? (mode & 0o002 != 0 ? "its group and others" : "its group") : "others"
    }

    /// 0o755 → "0755".
    package static func octal(_ mode: UInt32) -> String {
        let text = String(mode & 0o7777, radix: 8)
        return String(repeating: "0", count: max(0, 4 - text.count)) + text
    }
}
