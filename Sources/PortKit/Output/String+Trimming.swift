extension StringProtocol {
    /// Without the leading and trailing characters made of `set`'s scalars
    /// (by default spaces, tabs and line ends, "\r\n" included: it is one
    /// Character); no Foundation on these paths.
    public func trimming(_ set: String = " \t\r\n") -> String {
        let scalars = Set(set.unicodeScalars)
        let inSet: (Character) -> Bool = { $0.unicodeScalars.allSatisfy(scalars.contains) }
        guard let start = firstIndex(where: { !inSet($0) }), let end = lastIndex(where: { !inSet($0) }) else { return "" }
        return String(self[start...end])
    }
}
