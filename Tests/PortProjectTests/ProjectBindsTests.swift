import Testing
import PortKitTestSupport
@testable import PortProject
import PortKit

/// `binds` in portdash.toml: read, checked, and turned into each service's rules.
@Suite("project files: binds")
struct ProjectBindsTests {
    func project(_ text: String) throws(ProjectError) -> Project {
        let dir = TestSupport.temporaryDirectory()
        defer { TestSupport.removeTree(dir) }
        TestSupport.writeFile(dir + "/portdash.toml", text)
        return try ProjectLoader.load(from: dir)
    }

    func problem(_ text: String) -> String? {
        do { _ = try project(text); return nil } catch { return error.exitCode == 65 ? error.description : "exit \(error.exitCode): \(error)" }
    }

    @Test("binds = 3000 and binds = [3000, 3001]: the main port first, then the named ports in order")
    func reads() throws {
        let p = try project("""
            [services.api]
            command = "a"
            binds = 8000
            [services.web]
            command = "w"
            ports = ["admin"]
            binds = [3000, 3001]

            """)
        #expect(p.service("api")?.binds == [8000])
        #expect(p.service("web")?.binds(port: nil) == 3000 && p.service("web")?.binds(port: "admin") == 3001)
        let ports: [ServicePort: UInt16] = [ServicePort(service: "api"): 5001, ServicePort(service: "web"): 5002,
                                            ServicePort(service: "web", name: "admin"): 5003]
        let r = ProjectRebinding(project: p, ports: ports)
        #expect(r.rules(for: "web") == RebindRules(binds: [3000: 5002, 3001: 5003], connects: [8000: 5001, 3000: 5002, 3001: 5003]))
        #expect(r.rules(for: "api") == RebindRules(binds: [8000: 5001], connects: [8000: 5001, 3000: 5002, 3001: 5003]))
        #expect(r.lines(["api", "web"]) == ["api binds 8000 → 5001", "web binds 3000 → 5002", "web.admin binds 3001 → 5003"])
    }

    @Test("a project without binds runs nothing under the filter")
    func unused() throws {
        let p = try project("[services.web]\ncommand = \"w\"\n")
        #expect(ProjectRebinding(project: p, ports: [ServicePort(service: "web"): 5000]).rules(for: "web") == nil)
    }

    @Test("bad binds: not a port, more binds than ports, one port bound by two services: exit 65 naming them and the fix")
    func refused() {
        #expect(problem("[services.web]\ncommand = \"w\"\nbinds = \"3000\"\n")?.contains("binds must be the port") == true)
        #expect(problem("[services.web]\ncommand = \"w\"\nbinds = 0\n")?.contains("binds must be the port") == true)
        #expect(problem("[services.web]\ncommand = \"w\"\nbinds = 70000\n")?.contains("binds must be the port") == true)
        #expect(problem("[services.web]\ncommand = \"w\"\nbinds = [3000, 3001]\n")?.contains("web binds 2 ports but has 1") == true)
        let twice = problem("[services.a]\ncommand = \"a\"\nbinds = 3000\n[services.b]\ncommand = \"b\"\nbinds = 3000\n")
        #expect(twice?.contains("a and b both bind 3000") == true, "\(twice ?? "accepted")")
        // …and says how to fix it: the second one gets its port another way.
        #expect(twice?.contains("Give b its port in its command instead ({port} or $PORT") == true, "\(twice ?? "accepted")")
    }

    @Test("the first word of a command, for the set-user-ID check")
    func firstWord() {
        #expect(RebindSupport.firstWord("python3 -m http.server 8000") == "python3")
        #expect(RebindSupport.firstWord("  ./bin/server --port 3000") == "./bin/server")
        #expect(RebindSupport.firstWord("FOO=1 server") == nil)
        #expect(RebindSupport.firstWord("\"quoted prog\" x") == nil)
    }
}
