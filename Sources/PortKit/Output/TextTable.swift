/// Display width of a string in terminal cells. Good enough for names and
/// command lines: East Asian wide characters count 2, combining marks 0.
public func displayWidth(_ s: String) -> Int {
    var w = 0
    for scalar in s.unicodeScalars { w += cellWidth(scalar) }
    return w
}

func cellWidth(_ u: Unicode.Scalar) -> Int {
    let v = u.value
    if v < 0x20 || (v >= 0x7F && v < 0xA0) { return 0 }
    if (0x0300...0x036F).contains(v) || (0x200B...0x200F).contains(v) { return 0 }
    if (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
        || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
        || (0xFFE0...0xFFE6).contains(v) || (0x1F300...0x1FAFF).contains(v) || (0x20000...0x3FFFD).contains(v) {
        return 2
    }
    return 1
}

/// Cuts `s` to at most `width` cells, marking a cut with "…".
public func truncate(_ s: String, to width: Int) -> String {
    if width <= 0 { return "" }
    if displayWidth(s) <= width { return s }
    var out = ""
    var w = 0
    for scalar in s.unicodeScalars {
        let cw = cellWidth(scalar)
        if w + cw > width - 1 { break }
        out.unicodeScalars.append(scalar)
        w += cw
    }
    return out + "…"
}

/// Pads (or cuts) `s` to exactly `width` cells.
public func pad(_ s: String, to width: Int) -> String {
    let t = truncate(s, to: width)
    let w = displayWidth(t)
    return w >= width ? t : t + String(repeating: " ", count: width - w)
}
