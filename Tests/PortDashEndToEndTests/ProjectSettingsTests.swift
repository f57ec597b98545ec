import Testing
import PortKitTestSupport
import PortKit
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// Settings by precedence, and the state file's move to version 2.
@Suite("settings and the state file's upgrade (the binary)", .blocking)
struct ProjectSettingsTests {
    struct ConfigJSON: Decodable {
        struct S: Decodable { let value: String; let source: String }
        let range: S
        let interval: S
    }

    func config(_ f: ProjectFixture, _ extra: [String] = [], env: [String: String] = [:]) throws -> ConfigJSON {
        var e = f.environment
        for (k, v) in env { e[k] = v }
        let r = TestSupport.runCommand([TestSupport.portdashBinary, "config", "--json"] + extra, environment: e, directory: f.dir)
        #expect(r.status == 0, "\(r.stderr)")
        return try JSONDecoder().decode(ConfigJSON.self, from: Data(r.stdout.utf8))
    }

    @Test("flag > environment > project file > user config > built-in, each value with where it came from")
    func precedence() throws {
        let f = ProjectFixture(ports: 1)
        #expect(try config(f).range.source == "built-in")
        mkdir(f.dir + "/config", 0o700)
        mkdir(f.dir + "/config/portdash", 0o700)
        f.write("config.toml", "[pool]\nrange = \"7000-7009\"\n\n[dashboard]\ninterval = 2.5\n", at: f.dir + "/config/portdash")
        var c = try config(f)
        #expect(c.range.value == "7000-7009" && c.range.source == "user config \(f.dir)/config/portdash/config.toml line 2")
        #expect(c.interval.value == "2.5 s" && c.interval.source.hasPrefix("user config"))
        f.write("portdash.toml", "[pool]\nrange = \"8000-8009\"\n\n[services.web]\ncommand = \"x\"\n")
        c = try config(f)
        #expect(c.range.value == "8000-8009" && c.range.source == "project file \(f.dir)/portdash.toml line 2")
        c = try config(f, env: ["PORTDASH_RANGE": "9000-9009", "PORTDASH_INTERVAL": "3"])
        #expect(c.range.source == "environment $PORTDASH_RANGE" && c.interval.source == "environment $PORTDASH_INTERVAL")
        c = try config(f, ["--range", "9100-9109", "--interval", "4"], env: ["PORTDASH_RANGE": "9000-9009"])
        #expect(c.range.value == "9100-9109" && c.range.source == "flag --range" && c.interval.value == "4 s")
        f.write("config.toml", "[pool]\nsize = 3\n", at: f.dir + "/config/portdash")
        TestSupport.removeTree(f.dir + "/portdash.toml")
        let bad = TestSupport.runCommand([TestSupport.portdashBinary, "status"], environment: f.environment, directory: f.dir)
        #expect(bad.status == 65 && bad.stderr.contains("config.toml line 2: unknown key \"size\" in [pool]"))
    }

    static let version1 = """
        {
          "version": 1,
          "leases": [
            {"service": "db", "port": 5003, "kind": "reservation", "granted": 1795760000}
          ],
          "lastUsed": {
            "web": 5001,
            "db": 5003
          }
        }

        """

    @Test("a version 1 file is read as it is, upgraded on the next write, and kept once as leases.json.v1; a newer one is refused")
    func upgrade() throws {
        let f = ProjectFixture(ports: 1)
        mkdir(f.dir + "/state", 0o700)
        TestSupport.writeFile(f.state, Self.version1, mode: 0o600)
        let range = "5000-5010"  // the file's ports; nothing is probed by leases or reserve of a leased port
        let list = TestSupport.runCommand([TestSupport.portdashBinary, "leases", "--range", range], environment: f.environment)
        #expect(list.status == 0 && list.stdout.contains("db") && access(f.state + ".v1", F_OK) != 0)
        #expect(TestSupport.readFile(f.state) == Array(Self.version1.utf8))  // reading changes nothing
        let released = TestSupport.runCommand([TestSupport.portdashBinary, "release", "db", "--range", range], environment: f.environment)
        #expect(released.status == 0, "\(released.stderr)")
        let upgraded = String(decoding: TestSupport.readFile(f.state) ?? [], as: UTF8.self)
        #expect(upgraded.contains("\"version\": 2") && upgraded.contains("{\"service\": \"web\", \"port\": 5001}"))
        #expect(TestSupport.readFile(f.state + ".v1") == Array(Self.version1.utf8))
        // Kept once: a later write leaves the copy as it was.
        TestSupport.writeFile(f.state, Self.version1.replacingAll("5003", with: "5004"), mode: 0o600)
        #expect(TestSupport.runCommand([TestSupport.portdashBinary, "release", "db", "--range", range], environment: f.environment).status == 0)
        #expect(TestSupport.readFile(f.state + ".v1") == Array(Self.version1.utf8))
        TestSupport.writeFile(f.state, "{\"version\": 3, \"leases\": [], \"lastUsed\": []}\n", mode: 0o600)
        let newer = TestSupport.runCommand([TestSupport.portdashBinary, "leases"], environment: f.environment)
        #expect(newer.status == 65 && newer.stderr.contains("was written by a newer portdash (schema version 3; this one reads 1 to 2)"), "\(newer.stderr)")
    }
}
