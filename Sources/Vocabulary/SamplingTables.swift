import Foundation

/// word2vec's frequent-word subsampling: the probability of keeping each occurrence of a word.
///
/// From word2vec.c (`TrainModelThread`) and gensim (`Word2Vec.prepare_vocab`): with
/// `t = sample × total`, a word seen `c` times is kept with probability
/// `min(1, (sqrt(c / t) + 1) × t / c)`. Rare words are always kept; `the` in a 17M-word
/// corpus with `sample = 1e-3` is kept about 15% of the time. `sample = 0` keeps everything.
public struct SubsamplingTable: Sendable, Equatable {
    /// Keep probability per vocabulary id (1 for specials and words with count 0).
    public let keepProbabilities: [Double]

    /// Computes the table for `vocabulary` with word2vec's `sample` parameter.
    public init(vocabulary: Vocabulary, sample: Double) {
        // Summed in Double: counts read from a file can add up to more than an Int64 holds.
        let total = vocabulary.counts.reduce(0.0) { $0 + Double($1) }
        keepProbabilities = vocabulary.counts.map { count in
            Self.keepProbability(count: Double(count), total: total, sample: sample)
        }
    }

    /// The keep probability of a word seen `count` times out of `total` (word2vec.c's `ran`,
    /// capped at 1).
    public static func keepProbability(count: Double, total: Double, sample: Double) -> Double {
        guard sample > 0, count > 0, total > 0 else { return 1 }
        let threshold = sample * total
        return min(1, ((count / threshold).squareRoot() + 1) * threshold / count)
    }
}

/// The noise distribution of negative sampling: P(w) ∝ count(w)^α (α = 0.75 in word2vec and
/// gensim, 0.5 in fastText), sampled in O(1) with Walker's alias method (Vose's construction).
///
/// word2vec.c fills a 10^8-entry table instead; the alias table draws from exactly the same
/// distribution with two arrays of vocabulary size, which stay in cache.
public struct NoiseDistribution: Sendable, Equatable {
    /// The probability of each id (specials, with count 0, get 0).
    public let probabilities: [Double]
    /// Alias-method acceptance thresholds, per column.
    public let acceptance: [Double]
    /// Alias-method alternatives, per column.
    public let aliases: [Int32]

    /// Builds the distribution for `vocabulary` with exponent `exponent`.
    public init(vocabulary: Vocabulary, exponent: Double) {
        self.init(counts: vocabulary.counts, exponent: exponent)
    }

    /// Builds the distribution for raw counts.
    public init(counts: [Int64], exponent: Double) {
        let weights = counts.map { $0 > 0 ? pow(Double($0), exponent) : 0 }
        let sum = weights.reduce(0, +)
        let n = weights.count
        probabilities = sum > 0 ? weights.map { $0 / sum } : weights
        // Vose: scale to mean 1, pair each small column with a large one.
        var scaled = probabilities.map { $0 * Double(n) }
        var acceptance = [Double](repeating: 1, count: n)
        var aliases = [Int32](repeating: 0, count: n)
        for index in 0..<n { aliases[index] = Int32(index) }
        var small: [Int] = []
        var large: [Int] = []
        for index in 0..<n { if scaled[index] < 1 { small.append(index) } else { large.append(index) } }
        while let s = small.popLast() {
            guard let l = large.popLast() else {
                acceptance[s] = 1
                continue
            }
            acceptance[s] = scaled[s]
            aliases[s] = Int32(l)
            scaled[l] = (scaled[l] + scaled[s]) - 1
            if scaled[l] < 1 { small.append(l) } else { large.append(l) }
        }
        for l in large { acceptance[l] = 1 }
        self.acceptance = acceptance
        self.aliases = aliases
    }

    /// Draws an id from two uniform numbers in [0, 1): one picks the column, one accepts it or
    /// its alias.
    @inline(__always)
    public func sample(_ u1: Double, _ u2: Double) -> Int32 {
        let column = min(Int(u1 * Double(acceptance.count)), acceptance.count - 1)
        return u2 < acceptance[column] ? Int32(column) : aliases[column]
    }

    /// The probability of each id as the alias table encodes it (equal to `probabilities` up
    /// to rounding): the check that the table is right.
    public var impliedProbabilities: [Double] {
        let n = Double(acceptance.count)
        var result = [Double](repeating: 0, count: acceptance.count)
        for column in 0..<acceptance.count {
            result[column] += acceptance[column] / n
            result[Int(aliases[column])] += (1 - acceptance[column]) / n
        }
        return result
    }
}
