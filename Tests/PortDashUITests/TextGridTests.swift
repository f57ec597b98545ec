import Testing
@testable import PortDashUI

/// Every text the dashboard cuts ends in "…", never mid-word without a mark.
@Suite("TextGrid cuts")
struct TextGridTests {
    @Test("a text cut by the grid's edge or by maxWidth ends in …; one that fits is whole")
    func cutsAreMarked() {
        var g = TextGrid(width: 20, height: 3)
        g.put(0, 0, "state /home/developer/.local/state/portdash/leases.json")
        g.put(1, 0, "warning: the file is damaged", .error, maxWidth: 12)
        g.put(2, 0, "q Quit  ")
        #expect(g.line(0) == "state /home/develop…")
        #expect(g.line(1) == "warning: th…")
        #expect(g.line(2) == "q Quit")
    }

    @Test("trailing blanks that do not fit go without a mark")
    func separatorsAreNotCuts() {
        var g = TextGrid(width: 8, height: 1)
        g.put(0, 0, "q Quit    ")
        #expect(g.line(0) == "q Quit")
    }
}
