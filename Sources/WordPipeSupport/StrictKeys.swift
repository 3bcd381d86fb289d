/// Rejects unknown keys while decoding a configuration, so a misspelled option is an error
/// instead of a silently ignored setting.
public enum StrictKeys {
    /// A coding key for whatever keys a container holds.
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Throws `DecodingError.dataCorrupted` naming the first unknown key, the closest valid key
    /// and the list of valid keys.
    public static func check(_ decoder: Decoder, allowed: [String]) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        for key in container.allKeys where !allowed.contains(key.stringValue) {
            var message = "unknown key '\(key.stringValue)'"
            if let guess = closest(to: key.stringValue, in: allowed) { message += " (did you mean '\(guess)'?)" }
            message += "; valid keys: \(allowed.joined(separator: ", "))"
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: decoder.codingPath + [key], debugDescription: message))
        }
    }

    /// The candidate within edit distance 2 of `word`, if any (the nearest one).
    public static func closest(to word: String, in candidates: [String]) -> String? {
        var best: (String, Int)?
        for candidate in candidates {
            let distance = editDistance(Array(word.lowercased()), Array(candidate.lowercased()))
            if distance <= 2 && distance < (best?.1 ?? Int.max) { best = (candidate, distance) }
        }
        return best?.0
    }

    /// Levenshtein distance.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
