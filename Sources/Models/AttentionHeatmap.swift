import Foundation

/// An encoder-decoder's attention for one sentence as an SVG heatmap: one row per output token
/// (and `</s>`), one column per source token, each cell shaded by its weight (white 0, black 1)
/// with the weight as its tooltip. Source tokens run along the top, turned to read upwards;
/// output tokens down the left side. Self-contained: no script, font or link.
public enum AttentionHeatmap {
    static let cell = 24, fontSize = 12

    public static func svg(source: [String], target: [String], weights: [[Float]]) -> String {
        let rows = min(target.count, weights.count)
        let longest = { (words: [String]) in words.map(\.count).max() ?? 0 }
        // Text widths estimated at 0.62 em per character.
        let left = 10 + Int(Double(longest(Array(target.prefix(rows))) * fontSize) * 0.62)
        let top = 10 + Int(Double(longest(source) * fontSize) * 0.62)
        let width = left + source.count * cell + 10, height = top + rows * cell + 10
        var lines = [
            #"<?xml version="1.0" encoding="UTF-8"?>"#,
            #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(width)" height="\#(height)" viewBox="0 0 \#(width) \#(height)" "#
                + #"font-family="sans-serif" font-size="\#(fontSize)" role="img" aria-label="attention weights">"#,
            #"<rect width="100%" height="100%" fill="white"/>"#,
        ]
        for (i, word) in source.enumerated() {
            let x = left + i * cell + cell / 2 + fontSize / 3, y = top - 6
            lines.append(#"<text x="\#(x)" y="\#(y)" transform="rotate(-90 \#(x) \#(y))">\#(escape(word))</text>"#)
        }
        for t in 0..<rows {
            let y = top + t * cell
            lines.append(#"<text x="\#(left - 6)" y="\#(y + cell / 2 + fontSize / 3)" text-anchor="end">\#(escape(target[t]))</text>"#)
            for (i, weight) in weights[t].prefix(source.count).enumerated() {
                let clamped = Swift.min(1, Swift.max(0, Double(weight)))
                let level = Int((255 * (1 - clamped)).rounded())
                lines.append(#"<rect x="\#(left + i * cell)" y="\#(y)" width="\#(cell)" height="\#(cell)" "#
                    + #"fill="rgb(\#(level),\#(level),\#(level))" stroke="rgb(204,204,204)"><title>\#(escape(target[t])) ← "#
                    + #"\#(escape(source[i])): \#(String(format: "%.3f", clamped))</title></rect>"#)
            }
        }
        lines.append("</svg>")
        return lines.joined(separator: "\n") + "\n"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
