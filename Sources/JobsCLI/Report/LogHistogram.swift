import Foundation

/// Durations counted in logarithmic bins, four per power of ten (edges at 1, 1.78, 3.16, 5.62
/// × 10^k seconds), spanning whole decades from the smallest to the largest value. Latencies
/// of a batch run over several orders of magnitude (a first token in 40 ms, a queue wait of
/// an hour), which linear bins would crush into one bar.
struct LogHistogram: Equatable {
    static let binsPerDecade = 4
    /// Durations below this (a queue wait of 0) are counted in the first bin.
    static let smallest = 0.001

    /// log10 of the first bin's lower edge and of the last bin's upper edge (whole numbers).
    let lowerExponent: Int
    let upperExponent: Int
    /// Jobs per bin, `binsPerDecade` bins per decade.
    let counts: [Int]

    /// Nil for no values.
    init?(_ values: [Double]) {
        let usable = values.filter(\.isFinite).map { max($0, LogHistogram.smallest) }
        guard let low = usable.min(), let high = usable.max() else { return nil }
        lowerExponent = Int(log10(low).rounded(.down))
        upperExponent = max(Int((log10(high) - 1e-9).rounded(.up)), lowerExponent + 1)
        var counts = [Int](repeating: 0, count: (upperExponent - lowerExponent) * LogHistogram.binsPerDecade)
        for value in usable {
            let position = (log10(value) - Double(lowerExponent)) * Double(LogHistogram.binsPerDecade)
            counts[min(max(Int(position.rounded(.down)), 0), counts.count - 1)] += 1
        }
        self.counts = counts
    }

    /// log10 of bin `index`'s lower edge; its upper edge is `edge(index + 1)`.
    func edge(_ index: Int) -> Double {
        Double(lowerExponent) + Double(index) / Double(LogHistogram.binsPerDecade)
    }
}
