import Testing
import PortKitTestSupport
import PortKit
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// `portdash env` in each format, and `portdash wait`.
@Suite("portdash env and wait (the binary)", .blocking)
struct ProjectEnvWaitTests {
    static let project = """
        [services.api]
        command = "python3 server.py"

        [services.web]
        command = "python3 web.py"
        ports = ["debug"]
        env = { API_URL = "http://127.0.0.1:{api.port}", GREETING = "it's {port.debug}" }

        """

    @Test("env: <SERVICE>_URL and {url} templates name the ports through the router PORTDASH_ROUTER_PORT names; status --json and leases --json without one are direct")
    func urls() throws {
        let f = ProjectFixture()
        f.write("portdash.toml", """
            [services.web]
            command = "python3 web.py"
            ports = ["debug"]
            env = { SELF = "{url}", DEBUG = "{url.debug}", CALLBACK = "{web.url}auth" }

            """)
        let checkout = RouteNames.label(RouteNames.directoryName(f.dir))
        let r = TestSupport.runCommand([TestSupport.portdashBinary, "env", "web", "--json", "--range", "\(f.range.first)-\(f.range.last)", "--state", f.state],
                                       environment: f.environment.merging(["PORTDASH_ROUTER_PORT": "80"]) { _, b in b }, directory: f.dir)
        struct EnvJSON: Decodable { let variables: [String: String] }
        let vars = try JSONDecoder().decode(EnvJSON.self, from: Data(r.stdout.utf8)).variables
        #expect(vars["WEB_URL"] == "http://web.\(checkout).localhost/", "\(r.stderr)")
        #expect(vars["WEB_URL_DEBUG"] == "http://debug.web.\(checkout).localhost/")
        #expect(vars["SELF"] == vars["WEB_URL"] && vars["DEBUG"] == vars["WEB_URL_DEBUG"] && vars["CALLBACK"] == "http://web.\(checkout).localhost/auth")
        // No router runs for this state file, and no PORTDASH_ROUTER_PORT: straight to the port.
        let port = try #require(vars["WEB_PORT"])
        let status = f.portdash(["status", "--json"]).stdout
        #expect(status.contains("\"url\":\"http://127.0.0.1:\(port)/\""), "\(status)")
        #expect(f.portdash(["leases", "--json"]).stdout.contains("\"url\":\"http://127.0.0.1:\(port)/\""))
    }

    @Test("env: plain lines, --export for eval, --json, --dotenv; ports leased once and the same every time")
    func formats() throws {
        let f = ProjectFixture()
        f.write("portdash.toml", Self.project)
        let plain = f.portdash(["env"])
        #expect(plain.status == 0, "\(plain.stderr)")
        let all = plain.stdout.split(separator: "\n").map(String.init)
        #expect(all.map { String($0.prefix { $0 != "=" }) } == ["API_PORT", "WEB_PORT", "WEB_PORT_DEBUG", "API_URL", "WEB_URL", "WEB_URL_DEBUG",
                                                                  "API_DIRECT_URL", "WEB_DIRECT_URL", "WEB_DIRECT_URL_DEBUG"])
        let lines = all.filter { $0.contains("_PORT") }
        let ports = Dictionary(uniqueKeysWithValues: lines.map { l in (String(l.prefix { $0 != "=" }), String(l.drop { $0 != "=" }.dropFirst())) })
        #expect(Set(ports.values).count == 3 && ports.values.allSatisfy { UInt16($0).map(f.range.contains) == true })
        #expect(f.portdash(["env"]).stdout == plain.stdout)  // leased once, read back after

        let exported = f.portdash(["env", "web", "--export"])
        #expect(exported.stdout.contains("export PORT=\(ports["WEB_PORT"]!)\n") && exported.stdout.contains("export PORT_DEBUG=\(ports["WEB_PORT_DEBUG"]!)\n"))
        let shell = TestSupport.runCommand(["sh", "-c", exported.stdout + "printf '%s|%s|%s' \"$API_URL\" \"$GREETING\" \"$API_PORT\""])
        #expect(shell.stdout == "http://127.0.0.1:\(ports["API_PORT"]!)|it's \(ports["WEB_PORT_DEBUG"]!)|\(ports["API_PORT"]!)")

        struct EnvJSON: Decodable {
            struct P: Decodable { let service: String; let portName: String?; let port: UInt16; let variable: String }
            let service: String?; let variables: [String: String]; let ports: [P]
        }
        let json = try JSONDecoder().decode(EnvJSON.self, from: Data(f.portdash(["env", "web", "--json"]).stdout.utf8))
        #expect(json.service == "web" && json.variables["PORT"] == ports["WEB_PORT"] && json.variables["GREETING"] == "it's \(ports["WEB_PORT_DEBUG"]!)")
        #expect(json.ports.count == 3 && json.ports.contains { $0.portName == "debug" && $0.variable == "WEB_PORT_DEBUG" })

        let dotenv = f.portdash(["env", "web", "--dotenv", ".env"])
        #expect(dotenv.status == 0 && dotenv.stdout.isEmpty && dotenv.stderr.contains("wrote 12 variables to .env"))
        let file = String(decoding: TestSupport.readFile(f.dir + "/.env") ?? [], as: UTF8.self)
        #expect(file.contains("API_PORT=\(ports["API_PORT"]!)\n") && file.contains("GREETING=\"it's \(ports["WEB_PORT_DEBUG"]!)\"\n"))
        #expect(try f.leases().allSatisfy { $0.status == "idle" && $0.owner == nil })
    }

    @Test("wait: returns once a listener appears a second later; a timeout is one line and exit 69; --free")
    func waitForListener() throws {
        let f = ProjectFixture(ports: 2)
        let port = f.range.first
        let script = "import socket,time; time.sleep(1); s=socket.socket(); s.bind(('127.0.0.1', \(port))); s.listen(); time.sleep(600)"
        let waiter = ChildProcess([TestSupport.portdashBinary, "wait", String(port), "--timeout", "120"], environment: f.environment, captureOutput: true)
        let server = ChildProcess(["python3", "-c", script])
        let r = waiter.waitForExit()
        #expect(r.status == 0, "\(r.stderr)")
        #expect(TestSupport.runCommand(["ss", "-Hltn", "sport = :\(port)"]).stdout.contains(":\(port)"))

        let other = f.range.last
        let late = f.portdash(["wait", String(other), "--timeout", "0.5"])
        #expect(late.status == 69 && late.stderr == "portdash: nothing listens on port \(other) after 0.5 s\n")

        let freeWaiter = ChildProcess([TestSupport.portdashBinary, "wait", String(port), "--free", "--timeout", "120"], environment: f.environment,
                                      captureOutput: true)
        server.signal(SIGTERM)
        #expect(freeWaiter.waitForExit().status == 0)
    }

    @Test("wait SERVICE: a project's port, found in its lease once up has leased it")
    func waitForService() throws {
        let f = ProjectFixture()
        f.write("portdash.toml", "[services.api]\ncommand = \"python3 server.py\"\nenv = { DELAY = \"1\" }\n")
        f.write("server.py", ProjectFixture.server)
        let up = f.up()
        let w = f.portdash(["wait", "api", "--timeout", "120"])
        #expect(w.status == 0, "\(w.stderr)")
        #expect(up.log.contains("api | listening on") || up.waitFor("api | listening on"))
        up.interrupt()
        #expect(up.wait() == 128 + SIGINT)
        let unknown = f.portdash(["wait", "nope"])
        #expect(unknown.status == 64 && unknown.stderr.contains("has no service \"nope\""))
    }

    @Test("env never prints a raw control character; eval of --export in dash, bash and zsh gives each value back; JSON escaped",
          arguments: ["dash", "bash", "zsh"])
    func controlCharacters(_ shell: String) throws {
        guard TestSupport.runCommand(["/bin/sh", "-c", "command -v \(shell)"]).status == 0 else {
            try #require(shell == "zsh", "\(shell) is missing (.ci/run installs it)")
            print("skipped zsh: not installed")
            return
        }
        let f = ProjectFixture()
        f.write("portdash.toml", #"""
            [services.web]
            command = "x"
            env = { BELL = "a\u001b[31mred\u0007", MULTI = "one\ntwo\rthree\ttab", QUOTE = "it's \\ back\u0085", SEP = "x\u2028y", DEL = "\u007f", SHELLISH = "$HOME `id` $(id) \"q\" ~ *", TRAILING = "end\n\n" }

            """#)
        let expected = ["BELL": "a\u{1B}[31mred\u{07}", "MULTI": "one\ntwo\rthree\ttab", "QUOTE": "it's \\ back\u{85}", "SEP": "x\u{2028}y",
                        "DEL": "\u{7F}", "SHELLISH": "$HOME `id` $(id) \"q\" ~ *", "TRAILING": "end\n\n"]
        func isRaw(_ u: Unicode.Scalar) -> Bool { (u.value < 0x20 && u != "\n") || (0x7F...0x9F).contains(u.value) || u.value == 0x2028 }
        for args in [["env", "web"], ["env", "web", "--export"], ["env", "web", "--json"]] {
            let r = f.portdash(args)
            #expect(r.status == 0, "\(args): \(r.stderr)")
            #expect(!r.stdout.unicodeScalars.contains(where: isRaw), "\(args): \(r.stdout.debugDescription)")
        }
        // No $'…' (dash does not read it): printf's octal escapes, which every POSIX shell does.
        let exported = f.portdash(["env", "web", "--export"]).stdout
        #expect(exported.contains(#"export BELL='a'"$(printf '\033')"'[31mred'"$(printf '\007')""#) && !exported.contains("$'"), "\(exported)")
        // What eval makes of it is the value itself.
        let names = expected.keys.sorted()
        let script = #"eval "$("$0" env web --export --range "$1")" && printf '%s\0' "# + names.map { "\"$\($0)\"" }.joined(separator: " ")
        let r = TestSupport.runCommand([shell, "-c", script, TestSupport.portdashBinary, "\(f.range.first)-\(f.range.last)"],
                                       environment: f.environment, directory: f.dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.split(separator: "\0", omittingEmptySubsequences: false).dropLast().map(String.init) == names.map { expected[$0]! })
        struct Variables: Decodable { let variables: [String: String] }
        let json = try JSONDecoder().decode(Variables.self, from: Data(f.portdash(["env", "web", "--json"]).stdout.utf8))
        for (name, value) in expected { #expect(json.variables[name] == value, "\(name)") }
    }

    @Test("release NAME inside a checkout releases that checkout's service (web, web.debug); outside it, the lease by name alone")
    func releaseInCheckout() throws {
        let f = ProjectFixture()
        f.write("portdash.toml", Self.project)
        #expect(f.portdash(["env"]).status == 0)
        let outside = TestSupport.temporaryDirectory("portdash-elsewhere")
        defer { TestSupport.removeTree(outside) }
        #expect(f.portdash(["lease", "web"], in: outside).status == 0)  // a lease by name alone, beside the project's web
        let web = try #require(try f.leases().first { $0.service == "web" && $0.project != nil && $0.project?.portName == nil })
        let r = f.portdash(["release", "web"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("released \(web.port) (web · "), "\(r.stderr)")
        var left = try f.leases()
        #expect(!left.contains { $0.service == "web" && $0.project != nil && $0.project?.portName == nil })
        #expect(left.contains { $0.service == "web" && $0.project == nil })
        #expect(left.contains { $0.service == "web" && $0.project?.portName == "debug" })
        #expect(f.portdash(["release", "web.debug"]).status == 0)
        left = try f.leases()
        #expect(!left.contains { $0.service == "web" && $0.project != nil })
        // Once the checkout's web holds nothing, the name alone is meant, here as elsewhere.
        let plain = f.portdash(["release", "web"])
        #expect(plain.status == 0 && plain.stderr.contains("(web)"), "\(plain.stderr)")
        #expect(try f.leases().contains { $0.service == "api" })
        #expect(f.portdash(["release", "web"]).status == 66)
    }
}
