import Glibc

/// A small file of ours in /tmp (mkstemp: a new name, 0600), for a tool that
/// reads its input only from a file.
struct TemporaryFile {
    let path: String

    init?(_ text: String) {
        var template = Array("/tmp/portdash-trust-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return nil }
        path = String(cString: template)
        var bytes = Array(text.utf8)
        let written = write(fd, &bytes, bytes.count)
        close(fd)
        guard written == bytes.count else { unlink(path); return nil }
    }

    func remove() { unlink(path) }
}
