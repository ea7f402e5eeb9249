import Foundation

/// One chart as inline SVG text: a title, a plot area with horizontal gridlines, tick labels
/// and axis titles, and marks (lines, areas, bars, markers) placed in data coordinates.
///
/// Fonts and text colours come from the report's stylesheet classes (`chart-title`, `tick`,
/// `axis-title`, `legend`, `message`), so the SVG holds no font, no script and no link. Every
/// text goes through `HTMLText.escape`.
struct SVGChart {
    struct Axis {
        var title: String
        var range: ClosedRange<Double>
        var ticks: [AxisTick]
    }

    var title: String
    var x: Axis
    var y: Axis
    /// Size in CSS pixels at 100% (the viewBox); the stylesheet scales charts to the page width.
    var width: Double
    var height: Double
    private var marks: [String] = []
    private var legend: [(label: String, color: String, dashed: Bool)] = []

    /// Space around the plot area for the title, tick labels and axis titles.
    static let top = 44.0, right = 20.0, bottom = 52.0, left = 68.0

    init(title: String, x: Axis, y: Axis, width: Double, height: Double) {
        self.title = title
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    private var plotRight: Double { width - SVGChart.right }
    private var plotBottom: Double { height - SVGChart.bottom }

    /// Horizontal pixel position of data value `value`.
    func px(_ value: Double) -> Double {
        let span = x.range.upperBound - x.range.lowerBound
        return SVGChart.left + (span > 0 ? (value - x.range.lowerBound) / span : 0.5) * (plotRight - SVGChart.left)
    }

    /// Vertical pixel position of data value `value` (SVG's y grows downwards).
    func py(_ value: Double) -> Double {
        let span = y.range.upperBound - y.range.lowerBound
        return plotBottom - (span > 0 ? (value - y.range.lowerBound) / span : 0) * (plotBottom - SVGChart.top)
    }

    /// A polyline through `points`, with dots when there are few enough to tell apart.
    mutating func line(_ points: [(x: Double, y: Double)], color: String, width: Double = 2,
                       dashed: Bool = false, label: String? = nil) {
        guard !points.isEmpty else { return }
        let dash = dashed ? " stroke-dasharray=\"6 4\"" : ""
        marks.append("<polyline points=\"\(coordinates(points))\" fill=\"none\" stroke=\"\(color)\" "
            + "stroke-width=\"\(SVGChart.number(width))\" stroke-linejoin=\"round\"\(dash) />")
        if points.count <= 40 {
            for point in points {
                marks.append("<circle cx=\"\(SVGChart.number(px(point.x)))\" cy=\"\(SVGChart.number(py(point.y)))\" "
                    + "r=\"\(SVGChart.number(width + 1))\" fill=\"\(color)\" />")
            }
        }
        if let label { legend.append((label, color, dashed)) }
    }

    /// The area between `points` and the x axis, lightly filled.
    mutating func area(_ points: [(x: Double, y: Double)], color: String, opacity: Double = 0.15) {
        guard let first = points.first, let last = points.last else { return }
        let closed = [(x: first.x, y: y.range.lowerBound)] + points + [(x: last.x, y: y.range.lowerBound)]
        marks.append("<polygon points=\"\(coordinates(closed))\" fill=\"\(color)\" fill-opacity=\"\(SVGChart.number(opacity))\" />")
    }

    /// Bars from the x axis, each spanning `from` to `to` on the x axis, one pixel apart.
    mutating func bars(_ bars: [(from: Double, to: Double, height: Double)], color: String) {
        for bar in bars where bar.height > 0 {
            let left = px(bar.from) + 0.5, right = px(bar.to) - 0.5
            let top = py(bar.height)
            marks.append("<rect x=\"\(SVGChart.number(left))\" y=\"\(SVGChart.number(top))\" "
                + "width=\"\(SVGChart.number(max(right - left, 1)))\" height=\"\(SVGChart.number(plotBottom - top))\" "
                + "fill=\"\(color)\" />")
        }
    }

    /// A dashed vertical line at `value` with a label at the top of the plot; `row` moves the
    /// label down a line so that neighbouring markers stay readable.
    mutating func marker(at value: Double, label: String, color: String, row: Int = 0) {
        let position = px(value)
        let anchorEnd = position > (SVGChart.left + plotRight) / 2
        marks.append("<line x1=\"\(SVGChart.number(position))\" x2=\"\(SVGChart.number(position))\" "
            + "y1=\"\(SVGChart.number(SVGChart.top))\" y2=\"\(SVGChart.number(plotBottom))\" stroke=\"\(color)\" "
            + "stroke-width=\"1.5\" stroke-dasharray=\"4 3\" />")
        marks.append("<text class=\"marker\" x=\"\(SVGChart.number(position + (anchorEnd ? -4 : 4)))\" "
            + "y=\"\(SVGChart.number(SVGChart.top + 12 + Double(row) * 14))\" fill=\"\(color)\" "
            + "text-anchor=\"\(anchorEnd ? "end" : "start")\">\(HTMLText.escape(label))</text>")
    }

    func render() -> String {
        var svg = SVGChart.open(title: title, width: width, height: height)
        for tick in y.ticks {
            let position = SVGChart.number(py(tick.value))
            svg += "<line class=\"grid\" x1=\"\(SVGChart.number(SVGChart.left))\" x2=\"\(SVGChart.number(plotRight))\" "
                + "y1=\"\(position)\" y2=\"\(position)\" />\n"
            svg += "<text class=\"tick\" x=\"\(SVGChart.number(SVGChart.left - 8))\" y=\"\(SVGChart.number(py(tick.value) + 4))\" "
                + "text-anchor=\"end\">\(HTMLText.escape(tick.label))</text>\n"
        }
        for tick in x.ticks {
            let position = SVGChart.number(px(tick.value))
            svg += "<line class=\"axis\" x1=\"\(position)\" x2=\"\(position)\" y1=\"\(SVGChart.number(plotBottom))\" "
                + "y2=\"\(SVGChart.number(plotBottom + 5))\" />\n"
            if !tick.label.isEmpty {
                svg += "<text class=\"tick\" x=\"\(position)\" y=\"\(SVGChart.number(plotBottom + 19))\" "
                    + "text-anchor=\"middle\">\(HTMLText.escape(tick.label))</text>\n"
            }
        }
        svg += marks.joined(separator: "\n") + "\n"
        svg += "<line class=\"axis\" x1=\"\(SVGChart.number(SVGChart.left))\" x2=\"\(SVGChart.number(SVGChart.left))\" "
            + "y1=\"\(SVGChart.number(SVGChart.top))\" y2=\"\(SVGChart.number(plotBottom))\" />\n"
        svg += "<line class=\"axis\" x1=\"\(SVGChart.number(SVGChart.left))\" x2=\"\(SVGChart.number(plotRight))\" "
            + "y1=\"\(SVGChart.number(plotBottom))\" y2=\"\(SVGChart.number(plotBottom))\" />\n"
        svg += "<text class=\"axis-title\" x=\"\(SVGChart.number((SVGChart.left + plotRight) / 2))\" "
            + "y=\"\(SVGChart.number(height - 10))\" text-anchor=\"middle\">\(HTMLText.escape(x.title))</text>\n"
        let middle = (SVGChart.top + plotBottom) / 2
        svg += "<text class=\"axis-title\" x=\"\(SVGChart.number(-middle))\" y=\"16\" transform=\"rotate(-90)\" "
            + "text-anchor=\"middle\">\(HTMLText.escape(y.title))</text>\n"
        svg += renderLegend()
        return svg + "</svg>\n"
    }

    /// A chart frame with its title and a message where the plot would be.
    static func placeholder(title: String, message: [String], width: Double, height: Double) -> String {
        var svg = open(title: title, width: width, height: height)
        svg += "<rect class=\"empty\" x=\"\(number(left))\" y=\"\(number(top))\" width=\"\(number(width - left - right))\" "
            + "height=\"\(number(height - top - bottom))\" />\n"
        let middle = (top + height - bottom) / 2 - Double(message.count - 1) * 9
        for (index, line) in message.enumerated() {
            svg += "<text class=\"message\" x=\"\(number((left + width - right) / 2))\" "
                + "y=\"\(number(middle + Double(index) * 18 + 5))\" text-anchor=\"middle\">\(HTMLText.escape(line))</text>\n"
        }
        return svg + "</svg>\n"
    }

    private static func open(title: String, width: Double, height: Double) -> String {
        let escaped = HTMLText.escape(title)
        return "<svg class=\"chart\" viewBox=\"0 0 \(number(width)) \(number(height))\" width=\"\(number(width))\" "
            + "height=\"\(number(height))\" role=\"img\" aria-label=\"\(escaped)\">\n<title>\(escaped)</title>\n"
            + "<rect class=\"background\" x=\"0\" y=\"0\" width=\"\(number(width))\" height=\"\(number(height))\" />\n"
            + "<text class=\"chart-title\" x=\"\(number(left))\" y=\"24\">\(escaped)</text>\n"
    }

    /// Legend entries from the right edge of the title row leftwards.
    private func renderLegend() -> String {
        var svg = ""
        var right = plotRight
        for entry in legend.reversed() {
            // About 6.5 px per character at the legend's 12 px font.
            let textWidth = Double(entry.label.count) * 6.5
            let start = right - textWidth - 26
            let dash = entry.dashed ? " stroke-dasharray=\"6 4\"" : ""
            svg += "<line x1=\"\(SVGChart.number(start))\" x2=\"\(SVGChart.number(start + 20))\" y1=\"20\" y2=\"20\" "
                + "stroke=\"\(entry.color)\" stroke-width=\"3\"\(dash) />\n"
            svg += "<text class=\"legend\" x=\"\(SVGChart.number(start + 25))\" y=\"24\">\(HTMLText.escape(entry.label))</text>\n"
            right = start - 16
        }
        return svg
    }

    private func coordinates(_ points: [(x: Double, y: Double)]) -> String {
        points.map { "\(SVGChart.number(px($0.x))),\(SVGChart.number(py($0.y)))" }.joined(separator: " ")
    }

    /// Pixel values with one decimal: enough for a crisp chart, short enough for big ones.
    static func number(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(format: "%.1f", rounded)
    }
}
