/// Plain SVG charts written by the project (no dependencies): readable in any browser.
enum SVGChart {
    /// One panel of horizontal bars: a title and one labelled value per bar.
    struct BarPanel {
        let title: String
        let bars: [(label: String, value: Double, text: String)]
    }

    /// Panels side by side, each with its own scale from 0 to its largest value.
    static func bars(title: String, panels: [BarPanel]) -> String {
        let panelWidth = 420.0, barHeight = 26.0, gap = 8.0, labelWidth = 130.0, top = 60.0
        let rows = panels.map(\.bars.count).max() ?? 0
        let height = top + Double(rows) * (barHeight + gap) + 40
        let width = Double(panels.count) * panelWidth + 20
        var svg = header(width: width, height: height)
        svg += text(x: 10, y: 24, title, size: 18, weight: "bold")
        for (index, panel) in panels.enumerated() {
            let x0 = 10 + Double(index) * panelWidth
            svg += text(x: x0, y: top - 14, panel.title, size: 14, weight: "bold")
            let maximum = max(panel.bars.map(\.value).max() ?? 1, 1e-12)
            let span = panelWidth - labelWidth - 90
            for (row, bar) in panel.bars.enumerated() {
                let y = top + Double(row) * (barHeight + gap)
                let length = max(0, bar.value / maximum) * span
                svg += text(x: x0, y: y + barHeight * 0.68, bar.label, size: 12)
                svg += "<rect x=\"\(format(x0 + labelWidth))\" y=\"\(format(y))\" width=\"\(format(length))\" height=\"\(format(barHeight))\" fill=\"\(color(row))\"/>\n"
                svg += text(x: x0 + labelWidth + length + 6, y: y + barHeight * 0.68, bar.text, size: 12)
            }
        }
        return svg + "</svg>\n"
    }

    /// One panel of lines over a shared x axis (e.g. epochs).
    struct LinePanel {
        let title: String
        let series: [(name: String, points: [(x: Double, y: Double)])]
    }

    /// Line panels side by side, each scaled to its own data.
    static func lines(title: String, xLabel: String, panels: [LinePanel]) -> String {
        let panelWidth = 440.0, panelHeight = 280.0, left = 60.0, top = 60.0
        let width = Double(panels.count) * panelWidth + 20, height = top + panelHeight + 70
        var svg = header(width: width, height: height)
        svg += text(x: 10, y: 24, title, size: 18, weight: "bold")
        for (index, panel) in panels.enumerated() {
            let x0 = 10 + Double(index) * panelWidth + left, plotWidth = panelWidth - left - 30
            svg += text(x: x0, y: top - 14, panel.title, size: 14, weight: "bold")
            let points = panel.series.flatMap(\.points)
            let xs = points.map(\.x), ys = points.map(\.y).filter(\.isFinite)
            let (xMin, xMax) = (xs.min() ?? 0, max(xs.max() ?? 1, (xs.min() ?? 0) + 1e-9))
            var (yMin, yMax) = (ys.min() ?? 0, ys.max() ?? 1)
            if yMax - yMin < 1e-12 { yMin -= 0.5; yMax += 0.5 }
            func px(_ x: Double) -> Double { x0 + (x - xMin) / (xMax - xMin) * plotWidth }
            func py(_ y: Double) -> Double { top + panelHeight - (y - yMin) / (yMax - yMin) * panelHeight }
            svg += "<rect x=\"\(format(x0))\" y=\"\(format(top))\" width=\"\(format(plotWidth))\" height=\"\(format(panelHeight))\" fill=\"none\" stroke=\"#999\"/>\n"
            svg += text(x: x0 - 55, y: top + 10, shortNumber(yMax), size: 11)
            svg += text(x: x0 - 55, y: top + panelHeight, shortNumber(yMin), size: 11)
            svg += text(x: x0, y: top + panelHeight + 18, shortNumber(xMin), size: 11)
            svg += text(x: x0 + plotWidth - 20, y: top + panelHeight + 18, shortNumber(xMax), size: 11)
            svg += text(x: x0 + plotWidth / 2 - 20, y: top + panelHeight + 36, xLabel, size: 12)
            for (seriesIndex, series) in panel.series.enumerated() {
                let path = series.points.filter { $0.y.isFinite }.map { "\(format(px($0.x))),\(format(py($0.y)))" }
                    .joined(separator: " ")
                svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(color(seriesIndex))\" stroke-width=\"2\"/>\n"
                svg += text(x: x0 + 8, y: top + 18 + Double(seriesIndex) * 16, series.name, size: 12, fill: color(seriesIndex))
            }
        }
        return svg + "</svg>\n"
    }

    private static func header(width: Double, height: Double) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(format(width))" height="\(format(height))" viewBox="0 0 \(format(width)) \(format(height))" font-family="sans-serif">
        <rect width="100%" height="100%" fill="white"/>

        """
    }

    private static func text(x: Double, y: Double, _ content: String, size: Int, weight: String = "normal", fill: String = "#222") -> String {
        "<text x=\"\(format(x))\" y=\"\(format(y))\" font-size=\"\(size)\" font-weight=\"\(weight)\" fill=\"\(fill)\">\(escape(content))</text>\n"
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

    private static func shortNumber(_ value: Double) -> String {
        abs(value) >= 1000 ? String(Int(value.rounded())) : String(Double(Int((value * 1000).rounded())) / 1000)
    }
}
