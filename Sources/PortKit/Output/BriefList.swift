/// The first few items, then "and N more": a one-line message stays short
/// however many ports or services it is about (a 1,024-port pool, a project
/// of 15,000 services).
public enum BriefList {
    public static let limit = 5

    public static func text(_ items: [String], separator: String = ", ", limit: Int = limit) -> String {
        items.prefix(limit).joined(separator: separator) + (items.count > limit ? " and \(items.count - limit) more" : "")
    }
}
