import Testing
import PortKitTestSupport
import PortKit
import Glibc

/// Two `git worktree`s of one repository are two projects: each has its own
/// ports, both run at once, and each gets its own ports back on restart.
@Suite("two git worktrees of one project", .blocking)
struct ProjectWorktreeTests {
    static let project = """
        [services.api]
        command = "python3 server.py"

        [services.web]
        command = "python3 server.py"
        depends_on = ["api"]
        env = { SHOW = "API_PORT PORT" }

        """

    func git(_ args: [String], in dir: String) {
        let r = TestSupport.runCommand(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"] + args,
                                       directory: dir)
        #expect(r.status == 0, "git \(args): \(r.stderr)")
    }

    /// shop (branch main) and shop-feature (branch feature-x, a worktree of it).
    func repository(_ f: ProjectFixture) -> (main: String, feature: String) {
        let main = f.dir + "/shop", feature = f.dir + "/shop-feature"
        mkdir(main, 0o755)
        git(["init", "-q"], in: main)
        f.write("portdash.toml", Self.project, at: main)
        f.write("server.py", ProjectFixture.server, at: main)
        git(["add", "."], in: main)
        git(["commit", "-q", "-m", "project"], in: main)
        git(["worktree", "add", "-q", "-b", "feature-x", feature], in: main)
        return (main, feature)
    }

    /// Both checkouts up at once; each one's ports as its services saw them.
    func runBoth(_ f: ProjectFixture, _ dirs: (main: String, feature: String), round: Int) throws -> [String: [String: UInt16]] {
        let a = f.up(in: dirs.main, log: "main-\(round).log"), b = f.up(in: dirs.feature, log: "feature-\(round).log")
        #expect(a.waitFor("web is ready") && b.waitFor("web is ready"))
        // web's own lines (API_PORT among them) come through up's output pipe, maybe after "ready".
        #expect(a.waitFor("web | listening on") && b.waitFor("web | listening on"))
        var seen: [String: [String: UInt16]] = [:]
        for l in try f.leases() { seen[l.project?.name ?? "", default: [:]][l.service] = l.port }
        // Each web got its own checkout's api, not the other's.
        #expect(ProjectFixture.shown("API_PORT", in: a.log).flatMap { UInt16($0) } == seen["shop@main"]?["api"])
        #expect(ProjectFixture.shown("API_PORT", in: b.log).flatMap { UInt16($0) } == seen["shop-feature@feature-x"]?["api"])
        a.interrupt(); b.interrupt()
        #expect(a.wait() == 128 + SIGINT && b.wait() == 128 + SIGINT)
        #expect(f.book().leases.allSatisfy { $0.project == nil })
        return seen
    }

    @Test("both run at once on distinct ports, and each gets its ports back after a restart")
    func twoCheckouts() throws {
        let f = ProjectFixture()
        let dirs = repository(f)
        let first = try runBoth(f, dirs, round: 1)
        let main = try #require(first["shop@main"]), feature = try #require(first["shop-feature@feature-x"])
        #expect(main.count == 2 && feature.count == 2)
        #expect(Set(main.values).isDisjoint(with: feature.values))
        // Something else took a port meanwhile: the last-used rule still gives each checkout its own back.
        #expect(f.portdash(["lease", "intruder"]).status == 0)
        let second = try runBoth(f, dirs, round: 2)
        #expect(second["shop@main"] == main)
        #expect(second["shop-feature@feature-x"] == feature)
    }
}
