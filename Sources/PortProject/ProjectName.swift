import SystemPackage
import PortKit
import Glibc

/// "shop@feature-x": a project's directory name and its git branch (or the
/// short commit of a detached HEAD), read from the files git keeps, without
/// running git. Worktrees have a `.git` file naming their own git directory,
/// hence their own HEAD and branch.
public enum ProjectName {
    public static func of(root: String) -> String {
        let base = root == "/" ? "/" : String(root.split(separator: "/").last ?? "")
        guard let branch = gitBranch(from: root) else { return base }
        return base + "@" + branch
    }

    /// The branch of the repository or worktree that holds `dir`.
    static func gitBranch(from dir: String) -> String? {
        var d = dir
        while true {
            if let gitDir = gitDirectory(at: d) { return branch(in: gitDir) }
            guard d != "/", let slash = d.lastIndex(of: "/") else { return nil }
            d = slash == d.startIndex ? "/" : String(d[..<slash])
        }
    }

    /// `DIR/.git` as a directory, or the `gitdir:` a `.git` file names (a worktree).
    static func gitDirectory(at dir: String) -> String? {
        let dotGit = (dir == "/" ? "" : dir) + "/.git"
        guard let st = try? Stat(FilePath(dotGit)) else { return nil }
        if st.type == .directory { return dotGit }
        guard case .text(let text)? = try? FileText.read(dotGit), text.hasPrefix("gitdir:") else { return nil }
        let target = text.dropFirst("gitdir:".count).trimming()
        return target.hasPrefix("/") ? target : dir + "/" + target
    }

    static func branch(in gitDir: String) -> String? {
        guard case .text(let head)? = try? FileText.read(gitDir + "/HEAD") else { return nil }
        let h = head.trimming()
        if h.hasPrefix("ref: ") {
            let ref = h.dropFirst(5)
            return String(ref.hasPrefix("refs/heads/") ? ref.dropFirst("refs/heads/".count) : ref)
        }
        return h.isEmpty ? nil : String(h.prefix(7))
    }
}
