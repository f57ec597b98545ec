/// The header's one-line message: what the last action did, and how it
/// is shown (an error in red, a success in green).
public struct StatusMessage: Sendable, Equatable {
    public var text: String
    public var style: Style
    public init(_ text: String, _ style: Style) { self.text = text; self.style = style }
}
