import Foundation

/// Tick positions at "nice" steps (1, 2 or 5 × 10ⁿ) covering a range.
public enum Ticks {
    /// At most `limit` ticks: a range too narrow for its magnitude (1e20 to 1e20 + 1, where
    /// adding a step leaves the number unchanged) gets its two ends.
    public static func nice(_ low: Double, _ high: Double, count: Int = 5) -> [Double] {
        guard low.isFinite, high.isFinite else { return [0] }
        guard high > low else { return [low] }
        let raw = (high - low) / Double(max(count, 1))
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        guard step.isFinite, step > 0 else { return [low, high] }
        var ticks: [Double] = []
        var t = ceil(low / step - 1e-9) * step
        while t <= high + step * 1e-9, ticks.count < limit {
            // Printed to 12 significant digits and read back: 0.6000000000000001 becomes 0.6.
            ticks.append(abs(t) < step * 1e-9 ? 0 : Double(String(format: "%.12g", t)) ?? t)
            guard t + step > t else { return [low, high] }
            t += step
        }
        return ticks.isEmpty ? [low, high] : ticks
    }

    static let limit = 50

    /// A range a chart can scale to: finite, and wide enough for its magnitude (a single
    /// value, or 9e15 and 9e15 + 1, gets room around it; an overflowing span is capped).
    public static func widened(_ low: Double, _ high: Double) -> (low: Double, high: Double) {
        guard low.isFinite, high.isFinite, low <= high else { return (0, 1) }
        let magnitude = max(abs(low), abs(high))
        if (high - low).isFinite, high - low > magnitude * 1e-9 { return (low, high) }
        let room = max(1, magnitude * 1e-3)
        let (l, h) = (low - room, high + room)
        return l.isFinite && h.isFinite && (h - l).isFinite ? (l, h) : (-1e300, 1e300)
    }

    /// Powers of ten, and 2× and 5× them when there are few decades.
    public static func logarithmic(_ low: Double, _ high: Double) -> [Double] {
        guard low > 0, low.isFinite, high.isFinite, high >= low else { return [] }
        let first = Int(floor(log10(low))), last = Int(ceil(log10(high)))
        let multipliers: [Double] = last - first <= 2 ? [1, 2, 5] : [1]
        return (first...last).flatMap { e in multipliers.map { $0 * pow(10, Double(e)) } }.filter {
            $0 >= low * 0.999 && $0 <= high * 1.001
        }
    }

    /// A tick label without trailing zeros: 0.5, 2, 1e-05 → "0.00001".
    public static func label(_ v: Double, percent: Bool = false) -> String {
        let value = percent ? v * 100 : v
        var s = String(format: "%.6f", value)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        if s == "-0" { s = "0" }
        return percent ? s + "%" : s
    }
}

/// A figure's common frame: a title (and subtitle) on top, a plot area below.
struct Frame {
    static let titleSize = 20.0, subtitleSize = 14.0, labelSize = 15.0, tickSize = 13.0, margin = 16.0

    /// The width the title and subtitle need.
    static func width(title: String, subtitle: String?) -> Double {
        let m = Canvas.measuring
        return 2 * margin
            + max(
                m.textWidth(title, size: titleSize, bold: true),
                subtitle.map { m.textWidth($0, size: subtitleSize) } ?? 0)
    }

    /// Draws the title block and returns the y where content can start.
    static func header(_ canvas: Canvas, title: String, subtitle: String?) -> Double {
        canvas.text(title, canvas.width / 2, margin + titleSize, size: titleSize, anchor: .middle, bold: true)
        var y = margin + titleSize + 8
        if let subtitle {
            canvas.text(subtitle, canvas.width / 2, y + subtitleSize, size: subtitleSize, anchor: .middle, color: .axis)
            y += subtitleSize + 8
        }
        return y + 10
    }
}

/// A vertical colour bar with ticks and a label, for figures where colour means a value.
struct ColorBar {
    let map: ColorMap
    let label: String
    static let width = 16.0
    /// Room it takes to the right of its x: bar, ticks, tick labels, rotated label.
    static let footprint = 90.0

    func draw(_ canvas: Canvas, x: Double, y: Double, height: Double) {
        let steps = 128
        let values = (0..<steps).map { i in map.high - (map.high - map.low) * Float(i) / Float(steps - 1) }
        canvas.pixels(values, rows: steps, columns: 1, x: x, y: y, w: ColorBar.width, h: height, colorOf: map.color)
        canvas.strokeRect(x, y, ColorBar.width, height, .axis, width: 0.8)
        var labelRight = x + ColorBar.width
        for t in Ticks.nice(Double(map.low), Double(map.high), count: 5) {
            let ty = y + height * (1 - map.fraction(Float(t)))
            canvas.line([(x + ColorBar.width, ty), (x + ColorBar.width + 4, ty)], .axis, width: 0.8)
            let text = Ticks.label(t)
            canvas.text(text, x + ColorBar.width + 7, ty + 4.5, size: Frame.tickSize)
            labelRight = max(labelRight, x + ColorBar.width + 7 + canvas.textWidth(text, size: Frame.tickSize))
        }
        canvas.text(
            label, labelRight + 18, y + height / 2, size: Frame.tickSize, anchor: .middle, color: .axis, rotated: true)
    }
}
