import Testing
import PortKit

@Suite("trimming: the one helper for spaces, tabs and line ends")
struct TrimmingTests {
    @Test("line ends alone, CR LF (one Character), spaces and tabs go from both ends; inner ones stay")
    func trims() {
        #expect("ref: refs/heads/main\n".trimming() == "ref: refs/heads/main")
        #expect("\t 5000-5010 \r\n".trimming() == "5000-5010")
        #expect(" a b ".trimming() == "a b")
        #expect(" \n\r\n\t".trimming() == "")
        #expect("".trimming() == "")
    }

    @Test("a set of its own: only those characters go")
    func ownSet() {
        #expect("  keep\t ".trimming(" ") == "keep\t")
        #expect("\tupgrade ".trimming(" \t") == "upgrade")
    }
}
