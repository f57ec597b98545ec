extension StringProtocol {
    /// Without the leading and trailing characters of `set` (by default
    /// spaces, tabs and line ends); no Foundation on these paths.
    public func trimming(_ set: String = " \t\r\n") -> String {
        let chars = Set(set)
        guard let start = firstIndex(where: { !chars.contains($0) }),
              let end = lastIndex(where: { !chars.contains($0) }) else { return "" }
        return String(self[start...end])
    }
}
