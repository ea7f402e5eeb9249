import CommandLineKit
import Foundation
import JobStore

/// The `jobs report` page: one self-contained HTML file with a summary table and three charts
/// as inline SVG. No script, no external font, stylesheet or image: it opens offline, from
/// mail or a CI artifact. The markup is also well-formed XML (every element closed, only the
/// five XML entities), so tools and tests can parse it.
///
/// Sections, top to bottom: summary (`#stats`), generated tokens per second (`#throughput`),
/// active sequences per step (`#active-sequences`), latency histograms (`#latency`).
enum HTMLReport {
    static func render(_ data: ReportData) -> String {
        let subject = data.batch.map { "batch \($0)" } ?? "all batches"
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8" />
            <meta name="viewport" content="width=device-width, initial-scale=1" />
            <title>jobs report: \(HTMLText.escape(subject))</title>
            <style>\(stylesheet)</style>
            </head>
            <body>
            <main>
            <header>
            <h1>jobs report: \(HTMLText.escape(subject))</h1>
            <p class="meta">Database \(code(data.databasePath)) · generated \(HTMLText.escape(TextFormat.time(data.generatedAt))) \
            (local time, \(AxisTicks.utcOffsetName(at: data.generatedAt.timeIntervalSince1970)))</p>
            </header>

            """
        if let notice = emptyNotice(data) {
            html += "<p class=\"notice\">\(notice)</p>\n"
        }
        html += summarySection(data)
        html += throughputSection(data)
        html += activeSequencesSection(data)
        html += latencySection(data)
        html += """
            <footer>Made by <code>jobs report</code>. This file is self-contained: no scripts, fonts or network access.</footer>
            </main>
            </body>
            </html>

            """
        return html
    }

    // MARK: Sections

    /// Said at the top when there is nothing to chart yet.
    private static func emptyNotice(_ data: ReportData) -> String? {
        let counts = data.stats.counts
        if counts.total == 0 {
            return "There is no data yet: \(data.batch == nil ? "the database has no jobs" : "this batch has no jobs"). "
                + "Queue prompts with \(code("jobs submit FILE.jsonl")), run \(code("jobsd")), then make this report again."
        }
        if data.finished.isEmpty && data.samples.isEmpty {
            return "There is no data yet: \(TextFormat.count(counts.total, "job")) queued, none finished. "
                + "Is \(code("jobsd")) running? \(code("jobs wait")) shows progress."
        }
        return nil
    }

    private static func summarySection(_ data: ReportData) -> String {
        let stats = data.stats, counts = stats.counts
        func share(_ count: Int) -> String {
            counts.total == 0 ? "" : String(format: "%.1f%%", Double(count) / Double(counts.total) * 100)
        }
        var cards: [(String, String, String)] = [
            ("Jobs", TextFormat.count(counts.total), counts.total == 0 ? "none submitted"
                : counts.isComplete ? "all finished" : "\(TextFormat.count(counts.queued + counts.running)) to go"),
            ("Succeeded", TextFormat.count(counts.succeeded), share(counts.succeeded)),
            ("Failed", TextFormat.count(counts.failed), share(counts.failed)),
            ("Generated", TextFormat.count(counts.completionTokens), "tokens"),
        ]
        cards.append(("Jobs/min", stats.jobsPerMinute.map(TextFormat.rate) ?? "–",
                      stats.window.map { "over \(TextFormat.duration($0))" } ?? "no finished jobs"))
        cards.append(("Tokens/s", stats.tokensPerSecond.map(TextFormat.rate) ?? "–", "generated, aggregate"))
        var html = "<section id=\"stats\">\n<h2>Summary</h2>\n"
        html += "<p class=\"caption\">Throughput is measured from the start of the first finished job to the last finish. "
            + "Percentiles cover succeeded jobs.</p>\n"
        html += "<div class=\"cards\">\n"
        for (label, value, detail) in cards {
            html += "<div class=\"card\"><div class=\"label\">\(HTMLText.escape(label))</div>"
                + "<div class=\"value\">\(HTMLText.escape(value))</div>"
                + "<div class=\"detail\">\(HTMLText.escape(detail))</div></div>\n"
        }
        html += "</div>\n<div class=\"tables\">\n<div>\n"
        if counts.total > 0 {
            html += "<div class=\"state-bar\">"
            for state in JobState.allCases where counts[state] > 0 {
                html += "<span style=\"width: \(String(format: "%.2f", Double(counts[state]) / Double(counts.total) * 100))%; "
                    + "background: \(color(of: state))\"></span>"
            }
            html += "</div>\n"
        }
        html += "<table>\n<thead><tr><th>State</th><th class=\"num\">Jobs</th><th class=\"num\">Share</th></tr></thead>\n<tbody>\n"
        for state in JobState.allCases {
            html += "<tr><td><span class=\"swatch\" style=\"background: \(color(of: state))\"></span>\(state.rawValue)</td>"
                + "<td class=\"num\">\(TextFormat.count(counts[state]))</td><td class=\"num\">\(share(counts[state]))</td></tr>\n"
        }
        html += "<tr class=\"total\"><td>total</td><td class=\"num\">\(TextFormat.count(counts.total))</td><td class=\"num\"></td></tr>\n"
        html += "</tbody>\n</table>\n</div>\n<div>\n"
        html += "<table>\n<thead><tr><th>Latency</th><th class=\"num\">p50</th><th class=\"num\">p95</th>"
            + "<th class=\"num\">p99</th><th class=\"num\">Jobs</th></tr></thead>\n<tbody>\n"
        for (name, percentiles) in latencyRows(stats) {
            guard let p = percentiles else {
                html += "<tr><td>\(name)</td><td class=\"num\">–</td><td class=\"num\">–</td><td class=\"num\">–</td><td class=\"num\">0</td></tr>\n"
                continue
            }
            html += "<tr><td>\(name)</td><td class=\"num\">\(TextFormat.duration(p.p50))</td>"
                + "<td class=\"num\">\(TextFormat.duration(p.p95))</td><td class=\"num\">\(TextFormat.duration(p.p99))</td>"
                + "<td class=\"num\">\(TextFormat.count(p.count))</td></tr>\n"
        }
        html += "</tbody>\n</table>\n"
        if stats.queueWait == nil {
            html += "<p class=\"note\">No succeeded jobs yet, so no latency figures.</p>\n"
        }
        return html + "</div>\n</div>\n</section>\n"
    }

    private static func throughputSection(_ data: ReportData) -> String {
        var html = "<section id=\"throughput\">\n<h2>Generated tokens per second</h2>\n"
        if let series = ReportSeries.tokensPerSecond(samples: data.samples) {
            html += "<p class=\"caption\">From the daemons' engine samples: all tokens generated in each "
                + "\(bucketName(series.width)) bucket, divided by its length.\(sharedSamplesNote(data))</p>\n"
            html += timeChart(title: "Tokens/s: " + peakAndMean(series.points), yTitle: "tokens/s", series: [
                (series.points, palette.throughput, "tokens/s", false, true),
            ])
        } else if let series = ReportSeries.tokensPerSecond(finished: data.finished) {
            html += "<p class=\"caption\">No engine samples were recorded, so this is estimated from the results: "
                + "each job's generated tokens spread evenly from its start to its finish, in \(bucketName(series.width)) buckets.</p>\n"
            html += timeChart(title: "Tokens/s (estimated): " + peakAndMean(series.points), yTitle: "tokens/s", series: [
                (series.points, palette.throughput, "tokens/s", false, true),
            ])
        } else {
            html += "<p class=\"caption\">Tokens generated per second, from the daemons' engine samples.</p>\n"
            html += SVGChart.placeholder(title: "Tokens/s", message: ["No data yet: no job has generated tokens."],
                                         width: wideWidth, height: wideHeight)
        }
        return html + "</section>\n"
    }

    private static func activeSequencesSection(_ data: ReportData) -> String {
        var html = "<section id=\"active-sequences\">\n<h2>Active sequences per step</h2>\n"
        if let series = ReportSeries.activeSequences(samples: data.samples) {
            html += "<p class=\"caption\">The size of the continuous batch: running sequences per engine step, "
                + "averaged over each \(bucketName(series.width)) bucket, and the most in any step of the bucket "
                + "(summed over daemons).\(sharedSamplesNote(data))</p>\n"
            let busy = series.mean.filter { $0.value > 0 }
            let mean = busy.isEmpty ? 0 : busy.map(\.value).reduce(0, +) / Double(busy.count)
            let most = series.maximum.map(\.value).max() ?? 0
            html += timeChart(title: "Sequences per step: mean \(TextFormat.rate(mean)) while running, most \(Int(most))",
                              yTitle: "sequences", series: [
                (series.maximum, palette.maximum, "most in a step", true, false),
                (series.mean, palette.active, "mean per step", false, true),
            ])
        } else {
            html += "<p class=\"caption\">The size of the continuous batch over time, from the daemons' engine samples.</p>\n"
            html += SVGChart.placeholder(title: "Sequences per step", message: [
                "No engine samples recorded\(data.batch == nil ? "" : " while this batch ran").",
                "jobsd records one about every second while its engine runs.",
            ], width: wideWidth, height: wideHeight)
        }
        return html + "</section>\n"
    }

    /// `peak 112, mean 95 while generating`
    private static func peakAndMean(_ points: [ReportSeries.Point]) -> String {
        let busy = points.filter { $0.value > 0 }
        let mean = busy.isEmpty ? 0 : busy.map(\.value).reduce(0, +) / Double(busy.count)
        return "peak \(TextFormat.rate(points.map(\.value).max() ?? 0)), mean \(TextFormat.rate(mean)) while generating"
    }

    private static func latencySection(_ data: ReportData) -> String {
        var html = "<section id=\"latency\">\n<h2>Latency</h2>\n"
        html += "<p class=\"caption\">Succeeded jobs by duration, in logarithmic bins (four per power of ten); "
            + "dashed lines mark p50 and p95; durations under 1 ms count in the first bin. Queue wait: submit (or retry) to the start of the successful attempt. "
            + "First token: the engine taking the job to its first generated token. Total: submit to finish.</p>\n"
        html += "<div class=\"histograms\">\n"
        let succeeded = data.finished.filter { $0.state == .succeeded }
        let measures: [(String, [Double], Percentiles?, String)] = [
            ("Queue wait", succeeded.compactMap(\.queueWait), data.stats.queueWait, palette.queueWait),
            ("Time to first token", succeeded.compactMap(\.timeToFirstToken), data.stats.timeToFirstToken, palette.firstToken),
            ("Total time", succeeded.compactMap(\.total), data.stats.totalTime, palette.total),
        ]
        for (title, values, percentiles, color) in measures {
            html += histogram(title: title, values: values, percentiles: percentiles, color: color)
        }
        return html + "</div>\n</section>\n"
    }

    // MARK: Charts

    static let wideWidth = 1000.0, wideHeight = 300.0
    static let narrowWidth = 330.0, narrowHeight = 270.0

    /// Colours, chosen to read on white and to differ for colour-blind readers too.
    static let palette = (throughput: "#2563eb", active: "#059669", maximum: "#d97706",
                          queueWait: "#7c3aed", firstToken: "#0891b2", total: "#2563eb",
                          p50: "#374151", p95: "#dc2626")

    private static func color(of state: JobState) -> String {
        switch state {
        case .queued: return "#9ca3af"
        case .running: return "#3b82f6"
        case .succeeded: return "#16a34a"
        case .failed: return "#dc2626"
        case .cancelled: return "#d97706"
        }
    }

    /// A line chart over local clock time; every series shares the axes.
    private static func timeChart(title: String, yTitle: String,
                                  series: [(points: [ReportSeries.Point], color: String, label: String, dashed: Bool, filled: Bool)]) -> String {
        let times = series.flatMap { $0.points.map(\.time) }
        let values = series.flatMap { $0.points.map(\.value) }
        // Widen a single instant so the axis has a span to place ticks on.
        var range = (times.min() ?? 0)...(times.max() ?? 0)
        if range.upperBound - range.lowerBound < 10 {
            range = (range.lowerBound - 5)...(range.lowerBound + 5)
        }
        let y = AxisTicks.linear(upTo: values.max() ?? 0)
        var chart = SVGChart(
            title: title,
            x: .init(title: "time (local, \(AxisTicks.utcOffsetName(at: range.lowerBound)))", range: range,
                     ticks: AxisTicks.time(range)),
            y: .init(title: yTitle, range: 0...y.top, ticks: y.ticks),
            width: wideWidth, height: wideHeight)
        for entry in series {
            let points = entry.points.map { (x: $0.time, y: $0.value) }
            if entry.filled { chart.area(points, color: entry.color) }
            chart.line(points, color: entry.color, width: entry.dashed ? 1.5 : 2, dashed: entry.dashed,
                       label: series.count > 1 ? entry.label : nil)
        }
        return chart.render()
    }

    private static func histogram(title: String, values: [Double], percentiles: Percentiles?, color: String) -> String {
        guard let histogram = LogHistogram(values) else {
            return SVGChart.placeholder(title: title, message: ["No succeeded jobs yet."],
                                        width: narrowWidth, height: narrowHeight)
        }
        let y = AxisTicks.linear(upTo: Double(histogram.counts.max() ?? 0), count: 4)
        var chart = SVGChart(
            title: title,
            x: .init(title: "duration (log scale)",
                     range: Double(histogram.lowerExponent)...Double(histogram.upperExponent),
                     ticks: AxisTicks.decades(from: histogram.lowerExponent, to: histogram.upperExponent)),
            y: .init(title: "jobs", range: 0...y.top, ticks: y.ticks),
            width: narrowWidth, height: narrowHeight)
        chart.bars(histogram.counts.indices.map { (from: histogram.edge($0), to: histogram.edge($0 + 1),
                                                   height: Double(histogram.counts[$0])) }, color: color)
        if let percentiles {
            let position = { (seconds: Double) in log10(max(seconds, LogHistogram.smallest)) }
            chart.marker(at: position(percentiles.p50), label: "p50 \(TextFormat.duration(percentiles.p50))",
                         color: palette.p50)
            chart.marker(at: position(percentiles.p95), label: "p95 \(TextFormat.duration(percentiles.p95))",
                         color: palette.p95, row: 1)
        }
        return chart.render()
    }

    // MARK: Text

    private static func latencyRows(_ stats: QueueStats) -> [(String, Percentiles?)] {
        [("queue wait", stats.queueWait), ("first token", stats.timeToFirstToken), ("total", stats.totalTime)]
    }

    /// `10 s`, `5 min`, `1 h`.
    private static func bucketName(_ seconds: Double) -> String {
        if seconds < 60 { return "\(Int(seconds)) s" }
        if seconds < 3600 { return "\(Int(seconds / 60)) min" }
        return "\(Int(seconds / 3600)) h"
    }

    /// For one batch: samples describe the daemons, not the batch.
    private static func sharedSamplesNote(_ data: ReportData) -> String {
        guard let batch = data.batch else { return "" }
        return " Samples cover everything the daemons ran while batch \(HTMLText.escape(batch)) was in the queue, "
            + "including other batches' jobs."
    }

    private static func code(_ text: String) -> String { "<code>\(HTMLText.escape(text))</code>" }

    /// Light theme, system fonts only. No `<` or `&` in it: the page stays well-formed XML.
    static let stylesheet = """

        :root { color-scheme: light; }
        body { margin: 0; background: #f3f4f6; color: #1f2937;
               font: 15px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", "Liberation Sans", sans-serif; }
        main { max-width: 1080px; margin: 0 auto; padding: 24px 28px 32px; }
        h1 { font-size: 24px; margin: 0 0 4px; }
        h2 { font-size: 18px; margin: 0 0 4px; }
        code { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 13px;
               background: #eef0f3; padding: 1px 4px; border-radius: 3px; }
        section { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 16px 20px 18px; margin-top: 16px; }
        .meta, .caption, .note, footer { color: #6b7280; font-size: 13px; margin: 0 0 10px; }
        footer { margin-top: 16px; }
        .notice { background: #fffbeb; border: 1px solid #fcd34d; border-radius: 8px; padding: 10px 14px; margin: 16px 0 0; }
        .cards { display: grid; grid-template-columns: repeat(6, 1fr); gap: 10px; }
        .card { border: 1px solid #e5e7eb; border-radius: 6px; padding: 8px 12px; }
        .card .label { font-size: 12px; color: #6b7280; text-transform: uppercase; letter-spacing: 0.04em; }
        .card .value { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
        .card .detail { font-size: 12px; color: #6b7280; }
        .tables { display: grid; grid-template-columns: 1fr 1.5fr; gap: 28px; margin-top: 16px; }
        .state-bar { display: flex; height: 10px; border-radius: 5px; overflow: hidden; margin: 4px 0 8px; background: #e5e7eb; }
        .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 8px; }
        table { border-collapse: collapse; width: 100%; font-size: 14px; font-variant-numeric: tabular-nums; }
        th, td { padding: 5px 10px; border-bottom: 1px solid #e5e7eb; text-align: left; }
        th { font-size: 12px; color: #6b7280; text-transform: uppercase; letter-spacing: 0.04em; font-weight: 600; }
        .num { text-align: right; }
        tr.total td { font-weight: 600; border-bottom: none; }
        svg.chart { display: block; width: 100%; height: auto; }
        svg.chart .background { fill: #fff; }
        svg.chart .chart-title { font-size: 14px; font-weight: 600; fill: #111827; }
        svg.chart .tick, svg.chart .legend { font-size: 12px; fill: #4b5563; }
        svg.chart .axis-title { font-size: 12px; fill: #374151; }
        svg.chart .marker { font-size: 11px; font-weight: 600; paint-order: stroke; stroke: #fff; stroke-width: 3px;
                            stroke-linejoin: round; }
        svg.chart .grid { stroke: #e5e7eb; stroke-width: 1; }
        svg.chart .axis { stroke: #9ca3af; stroke-width: 1; }
        svg.chart .empty { fill: #f9fafb; stroke: #d1d5db; stroke-dasharray: 4 4; }
        svg.chart .message { font-size: 14px; fill: #6b7280; }
        .histograms { display: grid; grid-template-columns: repeat(3, 1fr); gap: 14px; }

        """
}
