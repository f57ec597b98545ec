import PortKit
import ArgumentParser

/// One-line usage errors: ArgumentParser's message, its first line only,
/// and the fix — the nearest verb for a typo, else the verb's --help.
enum UsageError {
    static let verbs = PortDash.configuration.subcommands.map { $0._commandName }

    static func line(for error: any Error, arguments: [String]) -> String {
        let message = PortDash.message(for: error)
            .split(separator: "\n").first.map(String.init)?
            .replacingAll("Error: ", with: "") ?? "invalid arguments"
        // A first word that is no verb and no option was meant as a verb
        // (the dashboard, the default verb, takes no words); global options
        // may come before it.
        if let word = firstWord(arguments), !verbs.contains(word) {
            if let near = nearest(word) { return "unknown command '\(word)'; did you mean '\(near)'?" }
            return "unknown command '\(word)'; the commands are: \(verbs.filter { $0 != "bench-refresh" && !$0.hasPrefix("_") }.joined(separator: ", "))"
        }
        let verb = arguments.first { verbs.contains($0) }
        let see = "; see: portdash " + (verb.map { $0 + " " } ?? "") + "--help"
        // ArgumentParser reads "-5" as an option and says a value is missing.
        if let i = arguments.indices.dropLast().first(where: { arguments[$0].hasPrefix("--") && isNegativeNumber(arguments[$0 + 1]) }) {
            return "\(arguments[i]) \(arguments[i + 1]): a negative number is not a valid value" + see
        }
        return message + see
    }

    /// The first argument that is neither an option nor a global option's value.
    static func firstWord(_ arguments: [String]) -> String? {
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a == "--range" || a == "--state" { i += 2; continue }
            if a.hasPrefix("-") { i += 1; continue }
            return a
        }
        return nil
    }

    static func isNegativeNumber(_ s: String) -> Bool { s.count > 1 && s.hasPrefix("-") && Double(s) != nil }

    /// The verb within two edits of `word`, if exactly one is nearest.
    static func nearest(_ word: String) -> String? {
        let scored = verbs.map { ($0, distance(Array(word.lowercased()), Array($0))) }.filter { $0.1 <= 2 }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        return scored.filter { $0.1 == best.1 }.count == 1 ? best.0 : nil
    }

    /// Levenshtein distance, one row at a time.
    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var next = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                next[j] = min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            row = next
        }
        return a.isEmpty ? b.count : row[b.count]
    }
}
