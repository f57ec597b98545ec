/// What the dashboard needs from a terminal. CursesTerminal is the real
/// one; tests drive the dashboard state directly.
public protocol Terminal: AnyObject {
    var size: (width: Int, height: Int) { get }
    /// The descriptor to poll for input.
    var inputDescriptor: Int32 { get }
    /// Copies the grid to the screen, touching only rows that changed.
    func draw(_ grid: TextGrid, cursor: (row: Int, col: Int)?)
    /// The next pending key, or nil when none is waiting (never blocks).
    func readKey() -> Key?
    /// Drops input that has arrived but not been read yet (type-ahead), so
    /// only keys pressed after the next draw count. Called before a
    /// confirmation is drawn.
    func discardTypeAhead()
    /// Forget what is on screen and repaint all of it (Ctrl-L).
    func invalidate()
    func stop()
    /// Ctrl-Z: the terminal as it was, while the dashboard is stopped.
    func suspend()
    /// Back from Ctrl-Z: the dashboard's terminal again; input typed while
    /// stopped (meant for the shell) is dropped; everything is repainted.
    func resume()
}
