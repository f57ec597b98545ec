extension String {
    /// Width in terminal cells. Good enough for names and command lines:
    /// East Asian wide characters count 2, combining marks and controls 0.
    public var displayWidth: Int {
        unicodeScalars.reduce(0) { $0 + $1.cellWidth }
    }

    /// Cut to at most `width` cells, a cut marked with "…".
    public func truncated(to width: Int) -> String {
        if width <= 0 { return "" }
        if displayWidth <= width { return self }
        var out = ""
        var w = 0
        for scalar in unicodeScalars {
            let cw = scalar.cellWidth
            if w + cw > width - 1 { break }
            out.unicodeScalars.append(scalar)
            w += cw
        }
        return out + "…"
    }

    /// Padded (or cut) to exactly `width` cells.
    public func padded(to width: Int) -> String {
        let t = truncated(to: width)
        let w = t.displayWidth
        return w >= width ? t : t + String(repeating: " ", count: width - w)
    }
}

extension Unicode.Scalar {
    var cellWidth: Int {
        let v = value
        if v < 0x20 || (v >= 0x7F && v < 0xA0) { return 0 }
        if (0x0300...0x036F).contains(v) || (0x200B...0x200F).contains(v) { return 0 }
        if (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
            || (0xFFE0...0xFFE6).contains(v) || (0x1F300...0x1FAFF).contains(v) || (0x20000...0x3FFFD).contains(v) {
            return 2
        }
        return 1
    }
}
