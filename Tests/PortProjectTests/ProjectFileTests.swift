import Testing
import PortKit
import PortKitTestSupport
@testable import PortProject
import Glibc

@Suite("project files: key lines, templates, names, order")
struct ProjectFileTests {
    @Test("key lines: headers, dotted keys, quoted keys, inline tables, multi-line strings")
    func keyLines() {
        let text = """
            # a comment = 1
            [pool]
            range = "1-2"
            [services."web"]
            command = \"\"\"
            fake = "not a key"
            \"\"\"
            env = { API_URL = "x", "B" = 'y' }
            services.api.command = "z"
            """
        let l = TOMLKeyLines(text)
        #expect(l.line(of: ["pool", "range"]) == 3)
        #expect(l.line(of: ["services", "web"]) == 4)
        #expect(l.line(of: ["services", "web", "command"]) == 5)
        #expect(l.line(of: ["services", "web", "fake"]) == 4)  // inside a string: not a key; its table's line
        #expect(l.line(of: ["services", "web", "env", "API_URL"]) == 8 && l.line(of: ["services", "web", "env", "B"]) == 8)
        #expect(l.line(of: ["services", "web", "services", "api", "command"]) == 9)
        #expect(l.line(of: ["nowhere"]) == nil)
    }

    @Test("templates: the four forms; other braces are left alone; a malformed one is refused")
    func templates() throws {
        let refs = try PortTemplate.references(in: "serve {port} {port.debug} {api.port} {api.port.admin} ${port} {HOME} awk '{print $1}'")
        #expect(refs.map(\.text) == ["{port}", "{port.debug}", "{api.port}", "{api.port.admin}"])
        #expect(refs.map(\.service) == [nil, nil, "api", "api"] && refs.map(\.portName) == [nil, "debug", nil, "admin"])
        #expect(throws: PortTemplate.Problem.malformed("{port.a.b}")) { try PortTemplate.references(in: "x {port.a.b}") }
        let ports: [ServicePort: UInt16] = [ServicePort(service: "web"): 5000, ServicePort(service: "web", name: "debug"): 5001,
                                            ServicePort(service: "api"): 5002]
        #expect(PortTemplate.fill("{port}/{port.debug}/{api.port}/${port}", service: "web", ports: ports) == "5000/5001/5002/${port}")
        // {direct_url}: the port itself, whatever router runs (for programs that cannot resolve *.localhost).
        #expect(PortTemplate.fill("{direct_url} {api.direct_url} {direct_url.debug} {nope.direct_url}", service: "web", ports: ports)
                == "http://127.0.0.1:5000/ http://127.0.0.1:5002/ http://127.0.0.1:5001/ {nope.direct_url}")
    }

    @Test("environment names: upper case, non-alphanumerics as _")
    func envNames() {
        #expect(EnvName.shared(ServicePort(service: "api-v2", name: "debug.x")) == "API_V2_PORT_DEBUG_X")
        #expect(EnvName.own(ServicePort(service: "web")) == "PORT" && EnvName.own(ServicePort(service: "web", name: "debug")) == "PORT_DEBUG")
        #expect(EnvName.isValid("API_URL") && !EnvName.isValid("1X") && !EnvName.isValid("A-B"))
    }

    func project(_ text: String) throws -> Project {
        let dir = TestSupport.temporaryDirectory()
        defer { TestSupport.removeTree(dir) }
        TestSupport.writeFile(dir + "/portdash.toml", text)
        return try ProjectLoader.load(from: dir)
    }

    @Test("[proxy] default names the service <checkout>.localhost routes to, before the others in file order; it must be a service")
    func proxyDefault() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { TestSupport.removeTree(dir) }
        TestSupport.writeFile(dir + "/portdash.toml", "[proxy]\ndefault = \"web\"\n[services.api]\ncommand = \"a\"\n[services.web]\ncommand = \"w\"\n")
        #expect(try ProjectLoader.load(from: dir).services.count == 2)
        #expect(ProjectLoader.aliasOrder(root: dir) == ["web", "api", "web"])
        // Without [proxy] default: the file's order, not the names' (a Procfile's too).
        TestSupport.writeFile(dir + "/portdash.toml", "[services.web]\ncommand = \"w\"\n[services.api]\ncommand = \"a\"\n")
        #expect(ProjectLoader.aliasOrder(root: dir) == ["web", "api"])
        unlink(dir + "/portdash.toml")
        TestSupport.writeFile(dir + "/Procfile", "worker: w\napi: a\n")
        #expect(ProjectLoader.aliasOrder(root: dir) == ["worker", "api"])
        unlink(dir + "/Procfile")
        #expect(ProjectLoader.aliasOrder(root: dir).isEmpty)
        // proxy_host = "upstream" is read for the router, and only "client" or "upstream" is taken.
        TestSupport.writeFile(dir + "/portdash.toml", "[services.api]\ncommand = \"a\"\nproxy_host = \"upstream\"\n[services.web]\ncommand = \"w\"\nproxy_host = \"client\"\n")
        let loaded = try ProjectLoader.load(from: dir)
        #expect(loaded.service("api")?.proxyHost == .upstream && loaded.service("web")?.proxyHost == .client)
        #expect(ProjectLoader.proxySettings(root: dir).upstreamHost == ["api"])
        #expect(throws: ProjectError.self) { try project("[services.api]\ncommand = \"a\"\nproxy_host = \"origin\"\n") }
        #expect(throws: ProjectError.self) { try project("[proxy]\ndefault = \"nope\"\n[services.api]\ncommand = \"a\"\n") }
        #expect(throws: ProjectError.self) { try project("[proxy]\nport = 80\n[services.api]\ncommand = \"a\"\n") }
    }

    @Test("start order: dependencies first, otherwise the file's order; only what was asked and what it needs")
    func order() throws {
        let p = try project("""
            [services.web]
            command = "w"
            depends_on = ["api", "cache"]
            [services.worker]
            command = "k"
            [services.api]
            command = "a"
            depends_on = ["db"]
            [services.db]
            command = "d"
            [services.cache]
            command = "c"
            """)
        #expect(p.serviceNames == ["web", "worker", "api", "db", "cache"])
        let g = ServiceGraph(p)
        #expect(g.startOrder(p.serviceNames) == ["db", "api", "cache", "web", "worker"])
        #expect(g.startOrder(["web"]) == ["db", "api", "cache", "web"])
        #expect(g.startOrder(["worker"]) == ["worker"])
    }

    @Test("the variables a service gets: its own ports, every service's, then its env with templates filled")
    func variables() throws {
        let p = try project("""
            [services.api]
            command = "a"
            [services.web]
            command = "w"
            ports = ["debug"]
            env = { API_URL = "http://127.0.0.1:{api.port}", PORT_DEBUG = "overridden" }
            """)
        let ports: [ServicePort: UInt16] = [ServicePort(service: "api"): 5001, ServicePort(service: "web"): 5000,
                                            ServicePort(service: "web", name: "debug"): 5002]
        let urls = [ServicePort(service: "api"): "http://api.shop.localhost/", ServicePort(service: "web"): "http://web.shop.localhost/",
                    ServicePort(service: "web", name: "debug"): "http://debug.web.shop.localhost/"]
        let vars = ServiceEnvironment.variables(for: p.service("web"), in: p, ports: ports, urls: urls)
        #expect(vars.map { "\($0.name)=\($0.value)" } == ["PORT=5000", "API_PORT=5001", "WEB_PORT=5000", "WEB_PORT_DEBUG=5002",
                                                          "WEB_URL=http://web.shop.localhost/", "WEB_URL_DEBUG=http://debug.web.shop.localhost/",
                                                          "API_DIRECT_URL=http://127.0.0.1:5001/", "WEB_DIRECT_URL=http://127.0.0.1:5000/",
                                                          "WEB_DIRECT_URL_DEBUG=http://127.0.0.1:5002/",
                                                          "API_URL=http://127.0.0.1:5001", "PORT_DEBUG=overridden"])
        // Without a lease book: the project's names alone, from its directory.
        let alone = ServiceEnvironment.variables(for: nil, in: p, ports: ports)
        let checkout = RouteNames.label(RouteNames.directoryName(p.root))
        #expect(alone.contains { $0 == ("API_URL", "http://127.0.0.1:5001/") } && alone.contains { $0 == ("API_DIRECT_URL", "http://127.0.0.1:5001/") })
        let named = ProjectURLs.alone(p, ports: ports, router: RouterAddress(port: 5099))
        #expect(named[ServicePort(service: "api")] == "http://api.\(checkout).localhost:5099/")
        #expect(ServiceEnvironment.isOurs("WEB_DIRECT_URL", in: p) && ServiceEnvironment.isOurs("WEB_DIRECT_URL_DEBUG", in: p))
        // {url} in a command with no URL table is left to the shell, which has the variable.
        #expect(PortTemplate.fill("open {url} {api.url}x {port}", service: "web", ports: ports) == "open ${WEB_URL} ${API_URL}x 5000")
        #expect(PortTemplate.fill("open {url.debug}", service: "web", ports: ports, urls: urls) == "open http://debug.web.shop.localhost/")
        #expect(ServiceEnvironment.isOurs("WEB_URL", in: p) && ServiceEnvironment.isOurs("API_URL_X", in: p))
        #expect(ServiceEnvironment.isOurs("WEB_PORT_DEBUG", in: p) && ServiceEnvironment.isOurs("PORT", in: p) && !ServiceEnvironment.isOurs("PATH", in: p))
    }

    @Test("project names: the directory and the git branch, a worktree's own branch, a detached HEAD's short commit")
    func names() throws {
        let dir = TestSupport.temporaryDirectory("shop")
        defer { TestSupport.removeTree(dir) }
        let base = String(dir.split(separator: "/").last!)
        #expect(ProjectName.of(root: dir) == base)
        mkdir(dir + "/.git", 0o755)
        TestSupport.writeFile(dir + "/.git/HEAD", "ref: refs/heads/feature/x\n")
        mkdir(dir + "/sub", 0o755)
        #expect(ProjectName.of(root: dir + "/sub") == "sub@feature/x")
        mkdir(dir + "/wt", 0o755)
        mkdir(dir + "/.git/worktrees", 0o755)
        mkdir(dir + "/.git/worktrees/wt", 0o755)
        TestSupport.writeFile(dir + "/wt/.git", "gitdir: \(dir)/.git/worktrees/wt\n")
        TestSupport.writeFile(dir + "/.git/worktrees/wt/HEAD", "0123456789abcdef\n")
        #expect(ProjectName.of(root: dir + "/wt") == "wt@0123456")
    }
}
