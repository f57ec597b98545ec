import Testing
@testable import PortKit

@Suite("RouteNames: a .localhost name for every lease")
struct RouteNamesTests {
    func lease(_ service: String, _ port: UInt16, root: String? = nil, portName: String? = nil, granted: Int64 = 100) -> Lease {
        Lease(service: service, port: port, kind: .lease, granted: granted,
              project: root.map { LeaseProject(root: $0, name: RouteNames.directoryName($0), portName: portName) })
    }

    @Test("project services, named ports, the checkout alias, plain leases")
    func names() {
        let names = RouteNames(leases: [
            lease("web", 5000, root: "/src/shop", granted: 10),
            lease("api", 5001, root: "/src/shop", granted: 11),
            lease("api", 5002, root: "/src/shop", portName: "debug", granted: 11),
            lease("API", 5003, root: "/src/Shop-Feature_X", granted: 12),
            lease("db", 5004, granted: 1),
        ])
        #expect(names.routes.map(\.host) == [
            "api.shop-feature-x.localhost", "api.shop.localhost", "db.localhost", "debug.api.shop.localhost",
            "shop-feature-x.localhost", "shop.localhost", "web.shop.localhost",
        ])
        #expect(names.route(host: "Web.Shop.localhost:5099")?.lease.port == 5000)
        #expect(names.route(host: "shop.localhost.")?.lease.service == "web")
        #expect(names.route(host: "shop.localhost")?.isAlias == true)
        #expect(names.route(host: "debug.api.shop.localhost")?.lease.port == 5002)
        #expect(names.route(host: "nope.localhost") == nil)
        #expect(names.url(of: names.routes[2].lease, via: RouterAddress(port: 80)) == "http://db.localhost/")
        #expect(names.url(of: names.routes[2].lease, via: RouterAddress(port: 5099)) == "http://db.localhost:5099/")
        #expect(names.url(of: names.routes[2].lease, via: RouterAddress(port: 443, tls: true)) == "https://db.localhost/")
        #expect(names.url(of: names.routes[2].lease, via: RouterAddress(port: 8443, tls: true)) == "https://db.localhost:8443/")
        #expect(names.url(of: names.routes[2].lease, via: nil) == "http://127.0.0.1:\(names.routes[2].lease.port)/")
        #expect(names.collisions.isEmpty)
    }

    @Test("the checkout's alias: the first of the alias order that holds a lease; with no order known, the first service granted")
    func defaults() {
        let leases = [lease("web", 5000, root: "/a/shop", granted: 20), lease("api", 5001, root: "/a/shop", granted: 10)]
        #expect(RouteNames(leases: leases).route(host: "shop.localhost")?.lease.service == "api")
        #expect(RouteNames(leases: leases, aliasOrder: ["/a/shop": ["web", "api"]]).route(host: "shop.localhost")?.lease.service == "web")
        // The first in the order without a lease (not started) is passed over.
        #expect(RouteNames(leases: leases, aliasOrder: ["/a/shop": ["docs", "api", "web"]]).route(host: "shop.localhost")?.lease.service == "api")
    }

    @Test("two checkouts called shop: the first granted keeps the name, the other gets a suffix from its path, shown")
    func collisions() {
        let names = RouteNames(leases: [
            lease("web", 5000, root: "/b/shop", granted: 50),
            lease("web", 5001, root: "/a/shop", granted: 40),
            lease("shop", 5002, granted: 60),
        ])
        #expect(names.route(host: "web.shop.localhost")?.lease.port == 5001)
        let other = try! #require(names.collisions.first { $0.owner == "/b/shop" })
        #expect(other.wanted == "shop" && other.given.hasPrefix("shop-") && other.given.count == 9)
        #expect(names.route(host: "web.\(other.given).localhost")?.lease.port == 5000)
        #expect(names.collisions.count == 2)  // the plain lease "shop" came last
        // The same leases in another order give the same names.
        let again = RouteNames(leases: names.routes.map(\.lease).reversed())
        #expect(again.routes.map(\.host) == names.routes.map(\.host))
    }

    @Test("portdash.localhost is the router's own: a plain lease or a checkout named portdash gets a suffix, said as a collision")
    func routerKeepsItsName() {
        let names = RouteNames(leases: [lease("portdash", 5000, granted: 1), lease("web", 5001, root: "/src/portdash", granted: 2)])
        #expect(names.route(host: "portdash.localhost") == nil)
        #expect(names.collisions.count == 2 && names.collisions.allSatisfy { $0.wanted == "portdash" && $0.given.hasPrefix("portdash-") })
        let plain = try! #require(names.collisions.first { $0.owner == "portdash" })
        #expect(names.route(host: "\(plain.given).localhost")?.lease.port == 5000)
    }

    @Test("labels: lower case, a-z 0-9 and -, at most 63 bytes", arguments: [
        ("Shop", "shop"), ("shop_feature/x", "shop-feature-x"), ("--a..b--", "a-b"), ("é", "x"),
        (String(repeating: "a", count: 70), String(repeating: "a", count: 63)),
    ])
    func labels(_ text: String, _ label: String) {
        #expect(RouteNames.label(text) == label)
    }
}

@Suite("HostsBlock: the /etc/hosts lines, one marked block")
struct HostsBlockTests {
    let names = RouteNames(leases: [Lease(service: "db", port: 5004, kind: .reservation, granted: 1)])

    @Test("lines for portdash.localhost and each name, IPv4 and IPv6")
    func lines() {
        #expect(HostsBlock.lines(names) == ["127.0.0.1\tportdash.localhost", "::1\tportdash.localhost", "127.0.0.1\tdb.localhost", "::1\tdb.localhost"])
    }

    @Test("the block is appended once, then replaced in place; the rest of the file is kept byte for byte")
    func replacing() throws {
        let original = Array("127.0.0.1 localhost\n# a comment\n::1 localhost".utf8)
        let block = Array(HostsBlock.block(names).utf8)
        let first = try #require(HostsBlock.replacing(in: original, with: HostsBlock.block(names)))
        #expect(first == original + [10] + block)
        let more = RouteNames(leases: names.routes.map(\.lease) + [Lease(service: "web", port: 5000, kind: .lease, granted: 2)])
        let edited = first + Array("10.0.0.1 after\n".utf8)
        let second = try #require(HostsBlock.replacing(in: edited, with: HostsBlock.block(more)))
        #expect(second == original + [10] + Array(HostsBlock.block(more).utf8) + Array("10.0.0.1 after\n".utf8))
        #expect(HostsBlock.replacing(in: second, with: HostsBlock.block(more)) == second)
        #expect(HostsBlock.replacing(in: Array("# BEGIN portdash\n127.0.0.1 x\n".utf8), with: HostsBlock.block(names)) == nil)
    }

    @Test("bytes that are not UTF-8, CRLF lines and a last line without a newline, before and after the block, stay as they were")
    func bytesKept() throws {
        let before: [UInt8] = [0x31, 0x2E, 0x32, 0x20, 0xE9, 0x74, 0xE9, 0x0D, 0x0A, 0xFF, 0xFE, 0x0A]  // Latin-1 "été", CRLF, junk
        let after: [UInt8] = [0x0A, 0x23, 0x20, 0xC0, 0x80, 0x0D, 0x0A, 0x31, 0x20, 0x78]  // an empty line, an overlong NUL, no final newline
        let old = Array("# BEGIN portdash (old)\n127.0.0.1\told.localhost\n# END portdash\r\n".utf8)
        let result = try #require(HostsBlock.replacing(in: before + old + after, with: HostsBlock.block(names)))
        #expect(result == before + Array(HostsBlock.block(names).utf8) + after)
    }
}
