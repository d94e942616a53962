import Foundation

/// Curves against a shared x axis: loss and error rates per epoch, or functions.
public struct LineChart: Figure {
    public struct Series: Sendable {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public var dashed = false
        public var markers = false
        /// A shaded band around the curve, (low, high) for each point: its uncertainty.
        public var band: [(low: Double, high: Double)]? = nil
        public init(name: String, points: [(x: Double, y: Double)], dashed: Bool = false, markers: Bool = false) {
            self.name = name
            self.points = points
            self.dashed = dashed
            self.markers = markers
        }
    }

    /// A point marked and labelled on the plot (f(1) = 1 on the squashing curve).
    public struct Mark: Sendable {
        public var x: Double, y: Double
        public var label: String
        public init(x: Double, y: Double, label: String) {
            self.x = x
            self.y = y
            self.label = label
        }
    }
    public var marks: [Mark] = []

    public struct Reference: Sendable {
        public var value: Double
        public var label: String
        public init(value: Double, label: String) { self.value = value; self.label = label }
    }

    public var title: String
    public var subtitle: String? = nil
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var logY = false
    /// Tick labels as percentages (0.05 → 5%).
    public var percentY = false
    public var reference: Reference? = nil
    public var height: Double = 460
    /// At least this wide (a long legend needs more than the default).
    public var minimumWidth: Double = 720

    public var size: (width: Double, height: Double) {
        (max(minimumWidth, Frame.width(title: title, subtitle: subtitle)), height)
    }

    public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }

    public func draw(_ canvas: Canvas) {
        let top = Frame.header(canvas, title: title, subtitle: subtitle)
        let legendHeight = 26.0
        let plot = (
            x: 86.0, y: top + legendHeight, w: canvas.width - 86 - 28, h: canvas.height - top - legendHeight - 64
        )
        let xs = series.flatMap { $0.points.map(\.x) }.filter(\.isFinite)
        var ys = series.flatMap { s in s.points.map(\.y) + (s.band ?? []).flatMap { [$0.low, $0.high] } }.filter {
            $0.isFinite && (!logY || $0 > 0)
        }
        if let r = reference { ys.append(r.value) }
        guard let xLow = xs.min(), let xHigh = xs.max(), var yMin = ys.min(), var yMax = ys.max() else { return }
        if logY {
            yMin = pow(10, floor(log10(yMin)))
            yMax = pow(10, ceil(log10(yMax)))
        } else {
            let pad = (yMax - yMin) * 0.05
            yMin = yMin >= 0 && yMin - pad < 0 ? 0 : yMin - pad
            yMax += pad == 0 ? 1 : pad
        }
        if !logY { (yMin, yMax) = Ticks.widened(yMin, yMax) }
        let (xMin, xMax) = Ticks.widened(xLow, xHigh)
        let xTicks = Ticks.nice(xMin, xMax, count: 8)
        let yTicks = logY ? Ticks.logarithmic(yMin, yMax) : Ticks.nice(yMin, yMax, count: 6)
        let x0 = min(xMin, xTicks.first ?? xMin), x1 = max(xMax, xTicks.last ?? xMax)
        func px(_ x: Double) -> Double { plot.x + (x - x0) / (x1 - x0 == 0 ? 1 : x1 - x0) * plot.w }
        func py(_ y: Double) -> Double {
            let t = logY ? (log10(y) - log10(yMin)) / (log10(yMax) - log10(yMin)) : (y - yMin) / (yMax - yMin)
            return plot.y + plot.h * (1 - t)
        }
        // Grid, ticks and labels.
        for t in yTicks {
            canvas.line([(plot.x, py(t)), (plot.x + plot.w, py(t))], .grid, width: 0.8)
            canvas.text(Ticks.label(t, percent: percentY), plot.x - 8, py(t) + 4.5, size: Frame.tickSize, anchor: .end)
        }
        for t in xTicks where t >= x0 && t <= x1 {
            canvas.line([(px(t), plot.y + plot.h), (px(t), plot.y + plot.h + 5)], .axis, width: 1)
            canvas.text(Ticks.label(t), px(t), plot.y + plot.h + 20, size: Frame.tickSize, anchor: .middle)
        }
        canvas.line(
            [(plot.x, plot.y), (plot.x, plot.y + plot.h), (plot.x + plot.w, plot.y + plot.h)], .axis, width: 1.2)
        canvas.text(xLabel, plot.x + plot.w / 2, canvas.height - 14, size: Frame.labelSize, anchor: .middle)
        canvas.text(yLabel, 22, plot.y + plot.h / 2, size: Frame.labelSize, anchor: .middle, rotated: true)
        if let r = reference {
            canvas.line([(plot.x, py(r.value)), (plot.x + plot.w, py(r.value))], .axis, width: 1.2, dashed: true)
        }
        // Bands under the curves.
        for (k, s) in series.enumerated() {
            guard let band = s.band, band.count == s.points.count else { continue }
            let kept = zip(s.points, band).filter { p, b in
                p.x.isFinite && b.low.isFinite && b.high.isFinite && (!logY || b.low > 0)
            }
            let upper = kept.map { (px($0.0.x), py(min(max($0.1.high, yMin), yMax))) }
            let lower = kept.reversed().map { (px($0.0.x), py(min(max($0.1.low, yMin), yMax))) }
            canvas.fillPolygon(upper + lower, Color.series[k % Color.series.count], alpha: 0.18)
        }
        // Curves.
        for (k, s) in series.enumerated() {
            let color = Color.series[k % Color.series.count]
            let points = s.points.filter { $0.x.isFinite && $0.y.isFinite && (!logY || $0.y > 0) }.map {
                (px($0.x), py(min(max($0.y, yMin), yMax)))
            }
            canvas.line(points, color, width: 2.2, dashed: s.dashed)
            if s.markers { for p in points { canvas.circle(p.0, p.1, 3, color) } }
        }
        for m in marks where m.x.isFinite && m.y.isFinite {
            let (x, y) = (px(m.x), py(min(max(m.y, yMin), yMax)))
            canvas.circle(x, y, 5, .highlight)
            let w = canvas.textWidth(m.label, size: Frame.tickSize)
            // Left of the point when it is right of centre, so the label stays inside the plot.
            let left = x > plot.x + plot.w / 2 ? x - w - 10 : x + 10
            canvas.fillRect(left - 2, y - 20, w + 4, 15, .white)
            canvas.text(m.label, left, y - 8, size: Frame.tickSize, color: .highlight)
        }
        if let r = reference {
            // The label sits on a white patch at the right, above the curves drawn under it.
            let w = canvas.textWidth(r.label, size: Frame.tickSize)
            canvas.fillRect(plot.x + plot.w - w - 14, py(r.value) - 20, w + 8, 17, .white)
            canvas.text(r.label, plot.x + plot.w - w - 10, py(r.value) - 7, size: Frame.tickSize, color: .axis)
        }
        // Legend, in one row above the plot.
        var lx = plot.x
        for (k, s) in series.enumerated() {
            let color = Color.series[k % Color.series.count]
            canvas.line([(lx, top + 8), (lx + 26, top + 8)], color, width: 2.6, dashed: s.dashed)
            canvas.text(s.name, lx + 32, top + 13, size: Frame.tickSize)
            lx += 32 + canvas.textWidth(s.name, size: Frame.tickSize) + 24
        }
    }
}
