import Crypto
import Dispatch
import PortKitTestSupport
import SwiftASN1
import Synchronization
import Testing
import X509
@testable import PortTrust
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// The local CA as swift-certificates and OpenSSL read it back: what it may
/// sign, what it refuses, where its key lives.
@Suite struct LocalCATests {
    /// A CA made in a new temporary directory.
    static func made() throws -> (ca: LocalCA, dir: String) {
        let base = TestSupport.temporaryDirectory("portdash-ca")
        let dir = base + "/data/portdash/ca"
        let (ca, created) = try LocalCA.loadOrCreate(directory: dir)
        #expect(created)
        return (ca, base)
    }

    static func mode(_ path: String) -> UInt32 {
        var st = stat()
        return lstat(path, &st) == 0 ? UInt32(st.st_mode) & 0o7777 : 0
    }

    @Test("root and intermediate carry critical Name Constraints: localhost, 127.0.0.0/8, ::1/128 and nothing else")
    func constraints() throws {
        let (ca, base) = try Self.made()
        defer { TestSupport.removeTree(base) }
        for path in [ca.files.rootPath, ca.files.intermediatePath] {
            let text = String(decoding: TestSupport.readFile(path) ?? [], as: UTF8.self)
            let cert = try Certificate(pemEncoded: text)
            let ext = try #require(cert.extensions[oid: .X509ExtensionID.nameConstraints])
            #expect(ext.critical, "\(path)")
            let nc = try NameConstraints(ext)
            #expect(Array(nc.permittedDNSDomains) == ["localhost"])
            #expect(nc.permittedIPRanges.map { Array($0.bytes) } == [
                [127, 0, 0, 0, 255, 0, 0, 0],
                [UInt8](repeating: 0, count: 15) + [1] + [UInt8](repeating: 255, count: 16),
            ])
            #expect(nc.excludedSubtrees.isEmpty && nc.permittedSubtrees.count == 3)
            let basic = try #require(try cert.extensions.basicConstraints)
            guard case .isCertificateAuthority = basic else { Issue.record("\(path) is not a CA"); continue }
            #expect(try cert.extensions.keyUsage?.keyCertSign == true)
            #expect(P256.Signing.PublicKey(cert.publicKey) != nil, "\(path): not P-256")
        }
        // The intermediate is signed by the root; the key on disk is the intermediate's.
        #expect(ca.root.publicKey.isValidSignature(ca.intermediate.signature, for: ca.intermediate))
        let key = try P256.Signing.PrivateKey(pemRepresentation: String(decoding: TestSupport.readFile(ca.files.keyPath) ?? [], as: UTF8.self))
        #expect(Certificate.PublicKey(key.publicKey) == ca.intermediate.publicKey)
        #expect(Certificate.PublicKey(key.publicKey) != ca.root.publicKey)
    }

    @Test("the directory is 0700 and holds three files, the key 0600; the root's key is written nowhere")
    func modes() throws {
        let (ca, base) = try Self.made()
        defer { TestSupport.removeTree(base) }
        #expect(Self.mode(ca.files.directory) == 0o700)
        #expect(Self.mode(base + "/data/portdash") == 0o700)
        #expect(Self.mode(ca.files.keyPath) == 0o600)
        #expect(Self.mode(ca.files.rootPath) == 0o644)
        let listing = TestSupport.runCommand(["/bin/ls", "-A", ca.files.directory]).stdout.split(separator: "\n")
        #expect(listing.sorted() == ["ca.pem", "intermediate-key.pem", "intermediate.pem"])
        // Only one private key anywhere in the directory.
        let keys = TestSupport.runCommand(["/bin/grep", "-rl", "PRIVATE KEY", ca.files.directory]).stdout.split(separator: "\n")
        #expect(keys == [Substring(ca.files.keyPath)])
    }

    @Test("a CA directory or key others can reach is refused (77), a key behind a link too; a missing CA is 66")
    func strictModes() throws {
        let (ca, base) = try Self.made()
        defer { TestSupport.removeTree(base) }
        let dir = ca.files.directory
        chmod(dir, 0o777)
        #expect(throws: TrustError.self) { try LocalCA.loadChecked(directory: dir) }
        do { _ = try LocalCA.loadChecked(directory: dir) } catch { #expect(error.exitCode == 77 && error.description.contains("chmod 700")) }
        chmod(dir, 0o700)
        chmod(ca.files.keyPath, 0o644)
        do { _ = try LocalCA.loadChecked(directory: dir); Issue.record("a 0644 key was loaded") } catch {
            guard case .unsafeKey = error else { Issue.record("\(error)"); return }
            #expect(error.exitCode == 77 && error.description.contains("0644"))
        }
        chmod(ca.files.keyPath, 0o600)
        _ = try LocalCA.loadChecked(directory: dir)
        rename(ca.files.keyPath, base + "/elsewhere.pem")
        symlink(base + "/elsewhere.pem", ca.files.keyPath)
        do { _ = try LocalCA.loadChecked(directory: dir); Issue.record("a key behind a link was loaded") } catch {
            #expect(error.exitCode == 65 && error.description.contains("symbolic link"))
        }
        do { _ = try LocalCA.loadChecked(directory: base + "/none"); Issue.record("no CA, yet loaded") } catch {
            #expect(error == .noCA(directory: base + "/none") && error.exitCode == 66)
        }
    }

    @Test("a root that lacks the constraints, or a key of another CA, is refused as damaged")
    func coherence() throws {
        let (ca, base) = try Self.made()
        defer { TestSupport.removeTree(base) }
        let (other, otherBase) = try Self.made()
        defer { TestSupport.removeTree(otherBase) }
        // Another CA's key beside this CA's certificates.
        unlink(ca.files.keyPath)
        _ = TestSupport.runCommand(["/bin/cp", "-p", other.files.keyPath, ca.files.keyPath])
        do { _ = try LocalCA.loadChecked(directory: ca.files.directory); Issue.record("a foreign key was loaded") } catch {
            #expect(error.exitCode == 65 && error.description.contains("not the key of"))
        }
    }

    @Test("issueLeaf signs localhost names and loopback addresses only, for 7 days, with SAN and serverAuth")
    func leaves() throws {
        let (ca, base) = try Self.made()
        defer { TestSupport.removeTree(base) }
        let now = Date()
        for (dns, ips) in [(["example.com"], [String]()), (["localhost.example"], []), (["*.localhost"], []), (["web..localhost"], []),
                           ([], ["10.0.0.1"]), ([], ["::2"]), ([], ["192.168.1.127"]), ([], [])] {
            do {
                _ = try ca.issueLeafChecked(dnsNames: dns, ipAddresses: ips, now: now)
                Issue.record("signed \(dns) \(ips)")
            } catch {
                guard case .notLocal = error else { Issue.record("\(error)"); continue }
            }
        }
        let leaf = try ca.issueLeafChecked(dnsNames: ["web.shop.localhost", "Localhost"], ipAddresses: ["127.0.0.1", "127.9.8.7", "::1"], now: now)
        #expect(leaf.chainDER.count == 2)
        let cert = try Certificate(derEncoded: leaf.chainDER[0])
        #expect(try Certificate(derEncoded: leaf.chainDER[1]) == ca.intermediate)
        #expect(abs(cert.notValidAfter.timeIntervalSince(now) - 7 * 86400) < 2 && leaf.notAfter == cert.notValidAfter)
        let san = try #require(try cert.extensions.subjectAlternativeNames)
        #expect(san.compactMap { if case .dnsName(let n) = $0 { return n } else { return nil } } == ["web.shop.localhost", "localhost"])
        #expect(san.filter { if case .ipAddress = $0 { return true } else { return false } }.count == 3)
        #expect(try cert.extensions.extendedKeyUsage?.contains(.serverAuth) == true)
        #expect(ca.intermediate.publicKey.isValidSignature(cert.signature, for: cert))
        let key = try P256.Signing.PrivateKey(derRepresentation: leaf.privateKeyDER)
        #expect(Certificate.PublicKey(key.publicKey) == cert.publicKey)
    }

    @Test("two makers at once end with one CA, and a second trust finds it")
    func once() throws {
        let base = TestSupport.temporaryDirectory("portdash-ca")
        defer { TestSupport.removeTree(base) }
        let dir = base + "/ca"
        let results = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            if let made = try? LocalCA.loadOrCreate(directory: dir) { results.withLock { $0.append(made.ca.fingerprint) } }
        }
        let prints = results.withLock { $0 }
        #expect(prints.count == 4 && Set(prints).count == 1)
        #expect(try LocalCA.loadOrCreate(directory: dir).created == false)
        #expect(TestSupport.runCommand(["/bin/ls", "-A", base]).stdout == "ca\n")
    }
}
