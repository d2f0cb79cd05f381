import Foundation

/// Plain SVG charts written by the project (no dependencies): readable in any browser.
enum SVGChart {
    /// One panel of horizontal bars: a title and one labelled value per bar.
    struct BarPanel {
        let title: String
        let bars: [(label: String, value: Double, text: String)]
    }

    /// Panels side by side, each with its own scale from 0 to its largest value, or with
    /// `range` one scale for all, bars starting at its lower end (noted under the title).
    static func bars(title: String, panels: [BarPanel], range: ClosedRange<Double>? = nil) -> String {
        let panelWidth = 420.0, barHeight = 26.0, gap = 8.0, labelWidth = 130.0, top = range == nil ? 60.0 : 74.0
        let rows = panels.map(\.bars.count).max() ?? 0
        let height = top + Double(rows) * (barHeight + gap) + 40
        let width = Double(panels.count) * panelWidth + 20
        var svg = header(width: width, height: height)
        svg += text(x: 10, y: 24, title, size: 18, weight: "bold")
        if let range { svg += text(x: 10, y: 42, "bars from \(String(format: "%.4g", range.lowerBound)) to \(String(format: "%.4g", range.upperBound)), one scale for all panels", size: 12) }
        for (index, panel) in panels.enumerated() {
            let x0 = 10 + Double(index) * panelWidth
            svg += text(x: x0, y: top - 14, panel.title, size: 14, weight: "bold")
            let maximum = max(panel.bars.map(\.value).max() ?? 1, 1e-12)
            let span = panelWidth - labelWidth - 90
            for (row, bar) in panel.bars.enumerated() {
                let y = top + Double(row) * (barHeight + gap)
                let fraction = range.map { (bar.value - $0.lowerBound) / max($0.upperBound - $0.lowerBound, 1e-12) } ?? bar.value / maximum
                let length = min(1, max(0, fraction)) * span
                svg += text(x: x0, y: y + barHeight * 0.68, bar.label, size: 12)
                svg += "<rect x=\"\(format(x0 + labelWidth))\" y=\"\(format(y))\" width=\"\(format(length))\" height=\"\(format(barHeight))\" fill=\"\(color(row))\"/>\n"
                svg += text(x: x0 + labelWidth + length + 6, y: y + barHeight * 0.68, bar.text, size: 12)
            }
        }
        return svg + "</svg>\n"
    }

    /// One panel of lines over a shared x axis (e.g. epochs). Values print with `unit` after
    /// them ("%" for accuracy given in percent).
    struct LinePanel {
        let title: String
        var unit: String = ""
        let series: [(name: String, points: [(x: Double, y: Double)])]
    }

    /// Line panels side by side, each scaled to its own data, with ticks at 1-2-5 steps and grid
    /// lines. A series keeps its colour in every panel, and the one legend, above the panels,
    /// lists only the series that have a point to draw. With `integerX` the x ticks are whole
    /// numbers (epochs).
    static func lines(title: String, xLabel: String, integerX: Bool = true, panels: [LinePanel]) -> String {
        let panelWidth = 440.0, panelHeight = 280.0, left = 64.0, top = 84.0
        let width = Double(panels.count) * panelWidth + 20, height = top + panelHeight + 60
        // Colours by series name, in order of first appearance; drawn series only.
        var names: [String] = []
        for panel in panels {
            for series in panel.series where series.points.contains(where: { $0.y.isFinite && $0.x.isFinite }) {
                if !names.contains(series.name) { names.append(series.name) }
            }
        }
        func colour(_ name: String) -> String { color(names.firstIndex(of: name) ?? 0) }
        var svg = header(width: width, height: height)
        svg += text(x: 10, y: 24, title, size: 18, weight: "bold")
        var legendX = 10.0
        for name in names {
            svg += "<line class=\"legend\" x1=\"\(format(legendX))\" y1=\"44\" x2=\"\(format(legendX + 22))\" y2=\"44\" stroke=\"\(colour(name))\" stroke-width=\"3\"/>\n"
            svg += text(x: legendX + 28, y: 48, name, size: 12, fill: colour(name))
            legendX += 40 + Double(name.count) * 7
        }
        for (index, panel) in panels.enumerated() {
            let x0 = 10 + Double(index) * panelWidth + left, plotWidth = panelWidth - left - 30
            svg += text(x: x0, y: top - 12, panel.title, size: 14, weight: "bold")
            let points = panel.series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
            let xs = points.map(\.x), ys = points.map(\.y)
            let xTicks = niceTicks(xs.min() ?? 0, xs.max() ?? 1, integer: integerX)
            let yTicks = niceTicks(ys.min() ?? 0, ys.max() ?? 1, integer: false)
            let (xMin, xMax) = (xTicks.first!, xTicks.last!), (yMin, yMax) = (yTicks.first!, yTicks.last!)
            func px(_ x: Double) -> Double { x0 + (x - xMin) / (xMax - xMin) * plotWidth }
            func py(_ y: Double) -> Double { top + panelHeight - (y - yMin) / (yMax - yMin) * panelHeight }
            for tick in yTicks {
                svg += "<line class=\"grid\" x1=\"\(format(x0))\" y1=\"\(format(py(tick)))\" x2=\"\(format(x0 + plotWidth))\" y2=\"\(format(py(tick)))\" stroke=\"#e4e4e4\"/>\n"
                svg += text(x: x0 - 8, y: py(tick) + 4, tickLabel(tick, ticks: yTicks) + panel.unit, size: 11, anchor: "end")
            }
            for tick in xTicks {
                svg += "<line class=\"grid\" x1=\"\(format(px(tick)))\" y1=\"\(format(top))\" x2=\"\(format(px(tick)))\" y2=\"\(format(top + panelHeight))\" stroke=\"#e4e4e4\"/>\n"
                svg += text(x: px(tick), y: top + panelHeight + 16, tickLabel(tick, ticks: xTicks), size: 11, anchor: "middle")
            }
            svg += "<rect x=\"\(format(x0))\" y=\"\(format(top))\" width=\"\(format(plotWidth))\" height=\"\(format(panelHeight))\" fill=\"none\" stroke=\"#999\"/>\n"
            svg += text(x: x0 + plotWidth / 2, y: top + panelHeight + 36, xLabel, size: 12, anchor: "middle")
            for series in panel.series {
                let drawn = series.points.filter { $0.x.isFinite && $0.y.isFinite }
                guard !drawn.isEmpty else { continue }
                let path = drawn.map { "\(format(px($0.x))),\(format(py($0.y)))" }.joined(separator: " ")
                svg += "<polyline class=\"series\" data-series=\"\(escape(series.name))\" points=\"\(path)\" fill=\"none\" stroke=\"\(colour(series.name))\" stroke-width=\"2\"/>\n"
                for point in drawn {
                    svg += "<circle cx=\"\(format(px(point.x)))\" cy=\"\(format(py(point.y)))\" r=\"2.5\" fill=\"\(colour(series.name))\"/>\n"
                }
            }
        }
        return svg + "</svg>\n"
    }

    /// Ticks at a 1-2-5 step spanning `low ... high` (about 5 of them), the first at or below
    /// `low` and the last at or above `high`; whole numbers with `integer`.
    static func niceTicks(_ low: Double, _ high: Double, integer: Bool) -> [Double] {
        var (low, high) = (low, high)
        if !(high - low > 1e-12 * max(abs(low), abs(high), 1)) {
            (low, high) = integer ? (low - 1, high + 1) : (low - max(abs(low) * 0.02, 1e-6), high + max(abs(high) * 0.02, 1e-6))
        }
        let raw = (high - low) / 5
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        var step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        if integer { step = max(1, step.rounded(.up)) }
        let first = (low / step).rounded(.down) * step, last = (high / step).rounded(.up) * step
        return stride(from: first, through: last + step / 2, by: step).map { $0 }
    }

    /// A tick's value with as many decimals as the step between ticks needs.
    static func tickLabel(_ value: Double, ticks: [Double]) -> String {
        let step = ticks.count > 1 ? ticks[1] - ticks[0] : 1
        let decimals = max(0, Int((-log10(step)).rounded(.up)))
        return String(format: "%.\(decimals)f", abs(value) < step / 1e6 ? 0 : value)
    }

    private static func header(width: Double, height: Double) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(format(width))" height="\(format(height))" viewBox="0 0 \(format(width)) \(format(height))" font-family="sans-serif">
        <rect width="100%" height="100%" fill="white"/>

        """
    }

    private static func text(
        x: Double, y: Double, _ content: String, size: Int, weight: String = "normal", fill: String = "#222",
        anchor: String = "start"
    ) -> String {
        "<text x=\"\(format(x))\" y=\"\(format(y))\" font-size=\"\(size)\" font-weight=\"\(weight)\" fill=\"\(fill)\" text-anchor=\"\(anchor)\">\(escape(content))</text>\n"
    }

    static func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            default: result.append(character)
            }
        }
        return result
    }

    private static func color(_ index: Int) -> String {
        ["#3366cc", "#dc3912", "#ff9900", "#109618", "#990099", "#0099c6", "#dd4477", "#66aa00"][index % 8]
    }

    private static func format(_ value: Double) -> String {
        value.isFinite ? String(Double(Int((value * 10).rounded())) / 10) : "0"
    }
}
