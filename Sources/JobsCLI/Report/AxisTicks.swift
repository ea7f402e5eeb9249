import CommandLineKit
import Foundation

/// One labelled tick on a chart axis, in the axis's data units.
struct AxisTick: Equatable {
    var value: Double
    var label: String
}

/// Where chart axes put their ticks: round numbers from zero, clock times on round minutes or
/// hours, and powers of ten for logarithmic duration axes.
enum AxisTicks {
    /// Ticks from 0 at a step of 1, 2, 2.5 or 5 × 10^k, about `count` of them, up to the first
    /// tick at or above `maximum`; that last tick is the axis top. A maximum of 0 gives 0...1.
    static func linear(upTo maximum: Double, count: Int = 5) -> (ticks: [AxisTick], top: Double) {
        let maximum = maximum.isFinite && maximum > 0 ? maximum : 1
        let step = niceStep(maximum / Double(count))
        let top = (maximum / step - 1e-9).rounded(.up) * step
        let decimals = (0...6).first { digits in
            let scaled = step * pow(10, Double(digits))
            return abs(scaled - scaled.rounded()) < 1e-6 * scaled
        } ?? 6
        var ticks: [AxisTick] = []
        var index = 0.0
        while index * step <= top + step / 2 {
            let value = index * step
            ticks.append(AxisTick(value: value, label: number(value, decimals: decimals)))
            index += 1
        }
        return (ticks, top)
    }

    /// The smallest of 1, 2, 2.5, 5 × 10^k that is at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        let magnitude = pow(10, log10(raw).rounded(.down))
        for factor in [1.0, 2, 2.5, 5, 10] where factor * magnitude >= raw * (1 - 1e-12) {
            return factor * magnitude
        }
        return 10 * magnitude
    }

    /// `1,250`, `0.5`, `2.25`.
    static func number(_ value: Double, decimals: Int) -> String {
        if decimals == 0 { return TextFormat.count(Int(value.rounded())) }
        return String(format: "%.\(decimals)f", value)
    }

    /// Steps for time axes, in seconds.
    static let timeSteps: [Double] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200,
                                      10800, 21600, 43200, 86400, 2 * 86400, 7 * 86400]

    /// At most `count` ticks (Unix seconds) on round local clock times within `range`, labelled
    /// `HH:MM` (`HH:MM:SS` for steps under a minute); a tick whose date differs from the
    /// previous tick's (or the first, when the range spans days) also shows the date.
    static func time(_ range: ClosedRange<Double>, count: Int = 7) -> [AxisTick] {
        let span = range.upperBound - range.lowerBound
        let step = timeSteps.first { span / $0 <= Double(count) } ?? (span / Double(count)).rounded(.up)
        let offset = Double(TimeZone.current.secondsFromGMT(for: Date(timeIntervalSince1970: range.lowerBound)))
        var value = ((range.lowerBound + offset) / step).rounded(.up) * step - offset
        let spansDays = day(of: range.lowerBound) != day(of: range.upperBound)
        var ticks: [AxisTick] = []
        var previousDay: String?
        while value <= range.upperBound + 1e-6 {
            let parts = localParts(value)
            let today = day(of: value)
            var label = step < 60 ? String(format: "%02d:%02d:%02d", parts.tm_hour, parts.tm_min, parts.tm_sec)
                                  : String(format: "%02d:%02d", parts.tm_hour, parts.tm_min)
            if step >= 86400 {
                label = today
            } else if spansDays && today != previousDay {
                label = today + " " + label
            }
            previousDay = today
            ticks.append(AxisTick(value: value, label: label))
            value += step
        }
        return ticks
    }

    /// `UTC+01:00`: the offset of local time, for the time axis title.
    static func utcOffsetName(at time: Double) -> String {
        let seconds = TimeZone.current.secondsFromGMT(for: Date(timeIntervalSince1970: time))
        let sign = seconds < 0 ? "-" : "+"
        return String(format: "UTC%@%02d:%02d", sign, abs(seconds) / 3600, abs(seconds) % 3600 / 60)
    }

    /// Ticks at each power of ten of seconds from 10^`lower` to 10^`upper` (values are the
    /// exponents): `1 ms`, `10 ms`, `100 ms`, `1 s`, `10 s`, `100 s`, `1000 s`, `10⁴ s`. With
    /// more than `maximumLabels` decades, only every second (third, ...) tick has a label.
    static func decades(from lower: Int, to upper: Int, maximumLabels: Int = 5) -> [AxisTick] {
        let every = (upper - lower) / maximumLabels + 1
        return (lower...upper).map { exponent in
            guard (exponent - lower) % every == 0 else { return AxisTick(value: Double(exponent), label: "") }
            let label: String
            switch exponent {
            case -3...(-1): label = "\(Int(pow(10, Double(exponent + 3)).rounded())) ms"
            case 0...3: label = "\(Int(pow(10, Double(exponent)).rounded())) s"
            default: label = "10\(superscript(exponent)) s"
            }
            return AxisTick(value: Double(exponent), label: label)
        }
    }

    /// `⁴`, `⁻⁵`: an exponent in superscript digits.
    private static func superscript(_ exponent: Int) -> String {
        let digits: [Character] = ["⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"]
        return (exponent < 0 ? "⁻" : "") + String(exponent.magnitude).map { digits[Int(String($0))!] }
    }

    private static func localParts(_ time: Double) -> tm {
        var seconds = time_t(time.rounded(.down))
        var parts = tm()
        localtime_r(&seconds, &parts)
        return parts
    }

    /// `11-26`: month and day in local time.
    private static func day(of time: Double) -> String {
        let parts = localParts(time)
        return String(format: "%02d-%02d", parts.tm_mon + 1, parts.tm_mday)
    }
}
