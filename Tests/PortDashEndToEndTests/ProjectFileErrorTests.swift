import Testing
import PortKitTestSupport
import PortKit

/// A bad project file: one line naming the file, the line and the problem,
/// exit 65, and nothing leased or started.
@Suite("bad project files (the binary)", .blocking)
struct ProjectFileErrorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let file: String
        let text: String
        let line: Int?
        let says: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "unknown key", file: "portdash.toml", text: "[services.web]\ncommand = \"x\"\ncomand = \"y\"\n", line: 3,
             says: "unknown key \"comand\" in [services.web]; the keys are: command, preferred, depends_on, ports, env, ready"),
        Case(name: "unknown top-level key", file: "portdash.toml", text: "[service.web]\ncommand = \"x\"\n", line: 1,
             says: "unknown key \"service\" at the top level"),
        Case(name: "dependency cycle", file: "portdash.toml",
             text: "[services.a]\ncommand = \"x\"\ndepends_on = [\"b\"]\n\n[services.b]\ncommand = \"y\"\ndepends_on = [\"a\"]\n", line: 3,
             says: "dependency cycle: a → b → a"),
        Case(name: "a dependency that is no service", file: "portdash.toml", text: "[services.a]\ncommand = \"x\"\ndepends_on = [\"db\"]\n", line: 3,
             says: "a depends on \"db\", which is not a service here"),
        Case(name: "template naming an unknown service", file: "portdash.toml",
             text: "[services.web]\ncommand = \"x\"\nenv = { API = \"http://h:{api.port}\" }\n", line: 3,
             says: "template {api.port} names no service of this project"),
        Case(name: "template naming an unknown port", file: "portdash.toml", text: "[services.web]\ncommand = \"serve --debug {port.debug}\"\n",
             line: 2, says: "template {port.debug} names port \"debug\", but web has no named ports"),
        Case(name: "a port asked for twice", file: "portdash.toml", text: "[services.web]\ncommand = \"x\"\nports = [\"debug\", \"debug\"]\n",
             line: 3, says: "duplicate port request: web asks for the port \"debug\" twice"),
        Case(name: "one port preferred twice", file: "portdash.toml",
             text: "[services.a]\ncommand = \"x\"\npreferred = 5001\n[services.b]\ncommand = \"y\"\npreferred = 5001\n", line: 6,
             says: "duplicate port request: a and b both prefer port 5001"),
        Case(name: "a named port and a service making one variable (A_PORT_PORT)", file: "portdash.toml",
             text: "[services.a]\ncommand = \"x\"\nports = [\"port\"]\n\n[services.a_port]\ncommand = \"y\"\n", line: 5,
             says: "a's port \"port\" and the service a_port's port would both be A_PORT_PORT; rename one"),
        Case(name: "a service named port and a named port \"port\" (PORT_PORT)", file: "portdash.toml",
             text: "[services.port]\ncommand = \"x\"\n\n[services.web]\ncommand = \"y\"\nports = [\"port\"]\n", line: 6,
             says: "the service port's port and web's port \"port\" (its own PORT_PORT) would both be PORT_PORT in web's environment; rename one"),
        Case(name: "two services making one variable (API_V2_PORT)", file: "portdash.toml",
             text: "[services.api-v2]\ncommand = \"x\"\n[services.api_v2]\ncommand = \"y\"\n", line: 3,
             says: "the service api-v2's port and the service api_v2's port would both be API_V2_PORT; rename one"),
        Case(name: "a named port and a service making one URL variable (A_URL_PORT)", file: "portdash.toml",
             text: "[services.a]\ncommand = \"x\"\nports = [\"port\"]\n[services.a_url]\ncommand = \"y\"\n", line: 3,
             says: "the service a_url's port and the URL of a's port \"port\" would both be A_URL_PORT; rename one"),
        Case(name: "two services making one .localhost name (w-eb, w__eb: w-eb.<checkout>.localhost)", file: "portdash.toml",
             text: "[services.w-eb]\ncommand = \"x\"\n\n[services.w__eb]\ncommand = \"y\"\n", line: 4,
             says: "the services w-eb and w__eb would both be named w-eb.<checkout>.localhost; rename one"),
        Case(name: "two services one trailing - apart (web, web-)", file: "portdash.toml",
             text: "[services.web]\ncommand = \"x\"\n[services.web-]\ncommand = \"y\"\n", line: 3,
             says: "the services web and web- would both be named web.<checkout>.localhost; rename one"),
        Case(name: "two named ports making one .localhost name (debug-x, debug__x)", file: "portdash.toml",
             text: "[services.web]\ncommand = \"x\"\nports = [\"debug-x\", \"debug__x\"]\n", line: 3,
             says: "web's ports \"debug-x\" and \"debug__x\" would both be named debug-x.web.<checkout>.localhost; rename one"),
        Case(name: "two Procfile processes making one .localhost name", file: "Procfile", text: "w-eb: x\nw__eb: y\n", line: nil,
             says: "the services w-eb and w__eb would both be named w-eb.<checkout>.localhost; rename one"),
        Case(name: "a \\u0000 escape in a command", file: "portdash.toml", text: "[services.web]\ncommand = " + #""serve\u0000 --cut-here""# + "\n", line: 2,
             says: #"services.web.command: a string holds \u0000 (NUL), which no command, name or value can carry"#),
        Case(name: "a \\U00000000 escape in an env value", file: "portdash.toml",
             text: "[services.web]\ncommand = \"x\"\nenv = { A = " + #""1\U00000000""# + " }\n", line: 3, says: #"services.web.env.A: a string holds \u0000 (NUL)"#),
        Case(name: "a NUL escape in a multi-line string", file: "portdash.toml",
             text: "[services.web]\ncommand = \"\"\"\nserve\n--x=\\u0000\n\"\"\"\n", line: 2, says: #"services.web.command: a string holds \u0000 (NUL)"#),
        Case(name: "a raw NUL byte", file: "portdash.toml", text: "[services.web]\ncommand = \"x\"\n\u{0}[services.api]\n", line: 3,
             says: "holds a NUL byte, which no command, name or value can carry; remove it"),
        Case(name: "a value of the wrong type", file: "portdash.toml", text: "[services.web]\ncommand = [\"x\"]\n", line: 2,
             says: "services.web.command must be a string, not an array"),
        Case(name: "TOML syntax", file: "portdash.toml", text: "[services.web]\ncommand = \"x\n", line: 2, says: "is not valid TOML"),
        Case(name: "a Procfile line that is not name: command", file: "Procfile", text: "web: serve\njust words\n", line: 2,
             says: "is not \"name: command\""),
    ]

    @Test("one line with file, line and problem; exit 65; nothing leased", arguments: cases)
    func badFile(_ c: Case) throws {
        let f = ProjectFixture(ports: 2)
        f.write(c.file, c.text)
        for verb in [["up"], ["env"]] {
            let r = f.portdash(verb)
            #expect(r.status == 65, "\(verb): \(r.stderr)")
            let place = f.dir + "/" + c.file + (c.line.map { " line \($0)" } ?? "") + ": "
            #expect(r.stderr.hasPrefix("portdash: " + place), "\(r.stderr)")
            #expect(r.stderr.contains(c.says), "\(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1 && r.stdout.isEmpty)
        }
        #expect(f.book().leases.isEmpty)
    }

    @Test("no project file: exit 66; an unknown service: exit 64; status still runs beside a broken service")
    func otherMistakes() throws {
        let f = ProjectFixture(ports: 2)
        let none = f.portdash(["up"])
        #expect(none.status == 66 && none.stderr.contains("no portdash.toml or Procfile in \(f.dir)"))
        f.write("portdash.toml", "[pool]\nrange = \"1-2\"\n[services.web]\ncommand = \"x {nope.port}\"\n")
        let unknown = f.portdash(["up", "db"])
        #expect(unknown.status == 65)  // the file is checked first
        f.write("portdash.toml", "[services.web]\ncommand = \"x\"\n")
        let u = f.portdash(["up", "db"])
        #expect(u.status == 64 && u.stderr.contains("has no service \"db\"; its services are: web"))
        f.write("portdash.toml", "[services.web]\ncommand = \"x {nope.port}\"\n")
        #expect(f.portdash(["status"]).status == 0)
    }
}
