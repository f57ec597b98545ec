import Testing
import PortKitTestSupport
import Glibc

/// `make install` and `make uninstall` into temporary directories, with the
/// binaries this test run built (SWIFT=true: no release build here).
@Suite("make install")
struct MakeInstallTests {
    /// The package's directory (this file is Tests/PortDashEndToEndTests/…).
    static let package = String(#filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast(3).joined(separator: "/"))

    let dir = TestSupport.temporaryDirectory("portdash-install")

    func make(_ target: String, _ variables: [String], unset: [String] = []) -> (status: Int32, stdout: String, stderr: String) {
        let built = String(TestSupport.portdashBinary.dropLast("/portdash".count))
        let argv = ["env"] + unset.flatMap { ["-u", $0] } + ["make", "-s", "-C", MakeInstallTests.package, target, "SWIFT=true", "STRIP=true",
                    "RELEASE=\(built)", "COMPLETIONS=\(dir)/completions"] + variables
        return TestSupport.runCommand(argv)
    }

    func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    @Test("a home install puts completions under $XDG_DATA_HOME (bash, zsh) and $XDG_CONFIG_HOME (fish); uninstall removes them")
    func xdgHome() throws {
        defer { TestSupport.removeTree(dir) }
        let home = dir + "/home", data = dir + "/data", config = dir + "/config"
        let vars = ["HOME=\(home)", "XDG_DATA_HOME=\(data)", "XDG_CONFIG_HOME=\(config)", "BASH_COMPLETION=\(TestSupport.portdashBinary)"]
        let r = make("install", vars, unset: ["BASH_COMPLETION_USER_DIR"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        for file in [home + "/.local/bin/portdash", home + "/.local/bin/portdash-serve", home + "/.local/share/man/man1/portdash.1",
                     data + "/bash-completion/completions/portdash", data + "/zsh/site-functions/_portdash",
                     config + "/fish/completions/portdash.fish"] {
            #expect(exists(file), "\(file) was not installed:\n\(r.stdout)")
        }
        #expect(!exists(home + "/.local/share/bash-completion/completions/portdash"))
        #expect(r.stdout.contains("fpath+=(\(data)/zsh/site-functions)"), "\(r.stdout)")
        // bash-completion is there (BASH_COMPLETION names a file that exists): nothing said about it.
        #expect(!r.stdout.contains("bash-completion package"), "\(r.stdout)")
        let u = make("uninstall", vars, unset: ["BASH_COMPLETION_USER_DIR"])
        #expect(u.status == 0, "\(u.stderr)")
        #expect(!exists(data + "/bash-completion/completions/portdash") && !exists(home + "/.local/bin/portdash"))
    }

    @Test("without $XDG_DATA_HOME, ~/.local/share; without bash-completion, install says bash needs it")
    func defaultHome() throws {
        defer { TestSupport.removeTree(dir) }
        let home = dir + "/home"
        let r = make("install", ["HOME=\(home)", "BASH_COMPLETION=\(dir)/no-such-file"],
                     unset: ["XDG_DATA_HOME", "XDG_CONFIG_HOME", "BASH_COMPLETION_USER_DIR"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(exists(home + "/.local/share/bash-completion/completions/portdash"))
        #expect(exists(home + "/.config/fish/completions/portdash.fish"))
        #expect(r.stdout.contains("bash: completion needs the bash-completion package"), "\(r.stdout)")
    }

    @Test("DESTDIR with PREFIX=/usr/local stages every file under DESTDIR, in the system's directories, and says nothing more")
    func staged() throws {
        defer { TestSupport.removeTree(dir) }
        let stage = dir + "/stage"
        let r = make("install", ["DESTDIR=\(stage)", "PREFIX=/usr/local", "XDG_DATA_HOME=\(dir)/data", "BASH_COMPLETION=\(dir)/no-such-file"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        for file in ["/usr/local/bin/portdash", "/usr/local/share/bash-completion/completions/portdash",
                     "/usr/local/share/zsh/site-functions/_portdash", "/usr/local/share/fish/vendor_completions.d/portdash.fish",
                     "/usr/local/share/man/man1/portdash.1"] {
            #expect(exists(stage + file), "\(file) was not staged:\n\(r.stdout)")
        }
        #expect(!exists(dir + "/data"))
        #expect(!r.stdout.contains("bash-completion package") && !r.stdout.contains("fpath"), "\(r.stdout)")
    }
}
