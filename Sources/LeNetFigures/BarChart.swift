/// One bar per value: activations of C5 or F6, or the 10 output scores of a digit.
public struct BarChart: Figure {
    public var title: String
    public var subtitle: String? = nil
    public var xLabel: String
    public var yLabel: String
    public var values: [Double]
    /// Labels under the bars; with many bars only every `labelEvery`-th is shown.
    public var labels: [String]
    public var labelEvery = 1
    /// The bar drawn in the highlight colour, with a note (the winning class).
    public var highlighted: Int? = nil
    public var highlightNote: String? = nil
    /// ± whiskers over the bars (a spread over seeds), when given.
    public var whiskers: [Double]? = nil
    /// Thin dashed horizontal guides with their labels at the right (the squashing limits ±A).
    public var guides: [(value: Double, label: String)] = []
    /// A dashed horizontal reference line with its label (a published figure).
    public var reference: (value: Double, label: String)? = nil
    public var height: Double = 420

    public var size: (width: Double, height: Double) {
        (max(720, Frame.width(title: title, subtitle: subtitle)), height)
    }

    public init(title: String, xLabel: String, yLabel: String, values: [Double], labels: [String]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.values = values
        self.labels = labels
    }

    public func draw(_ canvas: Canvas) {
        let top = Frame.header(canvas, title: title, subtitle: subtitle)
        let plot = (x: 86.0, y: top + 10, w: canvas.width - 86 - 28, h: canvas.height - top - 10 - 64)
        let spread = values.indices.map { i in whiskers.map { i < $0.count ? $0[i] : 0 } ?? 0 }
        let tops = zip(values, spread).map { $0 + $1 }
        // The scale is set by the finite values; a bar without one is not drawn.
        let finite = (values + tops + guides.map(\.value) + [reference?.value ?? 0]).filter(\.isFinite)
        let (low, high) = Ticks.widened(min(0, finite.min() ?? 0), max(0, finite.max() ?? 1))
        let ticks = Ticks.nice(low, high, count: 5)
        let y0 = min(low, ticks.first ?? low), y1 = max(high, ticks.last ?? high)
        func py(_ v: Double) -> Double { plot.y + plot.h * (1 - (v - y0) / (y1 - y0 == 0 ? 1 : y1 - y0)) }
        for t in ticks {
            canvas.line([(plot.x, py(t)), (plot.x + plot.w, py(t))], .grid, width: 0.8)
            canvas.text(Ticks.label(t), plot.x - 8, py(t) + 4.5, size: Frame.tickSize, anchor: .end)
        }
        let slot = plot.w / Double(max(values.count, 1))
        let barWidth = max(slot * 0.75, 1)
        for (i, v) in values.enumerated() where v.isFinite {
            let x = plot.x + Double(i) * slot + (slot - barWidth) / 2
            let color = i == highlighted ? Color.highlight : Color.series[0]
            // The highlighted bar stays visible however small its value (the winning RBF penalty).
            let height = abs(py(v) - py(0)), shown = i == highlighted ? max(height, 3) : height
            canvas.fillRect(x, v >= 0 ? py(0) - shown : py(0), barWidth, shown, color)
            if i < labels.count, i % labelEvery == 0 {
                canvas.text(labels[i], x + barWidth / 2, plot.y + plot.h + 20, size: Frame.tickSize, anchor: .middle)
            }
            if let whiskers, i < whiskers.count, whiskers[i] > 0 {
                let cx = x + barWidth / 2, w = min(barWidth / 4, 10)
                canvas.line([(cx, py(v - whiskers[i])), (cx, py(v + whiskers[i]))], .axis, width: 1.4)
                canvas.line([(cx - w, py(v - whiskers[i])), (cx + w, py(v - whiskers[i]))], .axis, width: 1.4)
                canvas.line([(cx - w, py(v + whiskers[i])), (cx + w, py(v + whiskers[i]))], .axis, width: 1.4)
            }
            if i == highlighted, let note = highlightNote {
                let above = v >= 0
                canvas.text(
                    note, x + barWidth / 2, above ? py(v) - 8 : py(v) + 18, size: Frame.tickSize, anchor: .middle,
                    bold: true, color: .highlight)
            }
        }
        for g in guides where g.value.isFinite {
            canvas.line([(plot.x, py(g.value)), (plot.x + plot.w, py(g.value))], .axis, width: 1, dashed: true)
            let w = canvas.textWidth(g.label, size: Frame.tickSize)
            let y = g.value >= 0 ? py(g.value) - 5 : py(g.value) + 14
            canvas.fillRect(plot.x + plot.w - w - 6, y - 11, w + 4, 14, .white)
            canvas.text(g.label, plot.x + plot.w - w - 4, y, size: Frame.tickSize, color: .axis)
        }
        if let reference {
            canvas.line(
                [(plot.x, py(reference.value)), (plot.x + plot.w, py(reference.value))], .highlight, width: 1.2,
                dashed: true)
            // Its key sits in the plot's top left corner, where it hides no bar's end.
            let keyY = plot.y + 12
            canvas.line([(plot.x + 12, keyY), (plot.x + 40, keyY)], .highlight, width: 1.2, dashed: true)
            canvas.text(reference.label, plot.x + 46, keyY + 4.5, size: Frame.tickSize, color: .highlight)
        }
        canvas.line([(plot.x, py(0)), (plot.x + plot.w, py(0))], .axis, width: 1.2)
        canvas.line([(plot.x, plot.y), (plot.x, plot.y + plot.h)], .axis, width: 1.2)
        canvas.text(xLabel, plot.x + plot.w / 2, canvas.height - 14, size: Frame.labelSize, anchor: .middle)
        canvas.text(yLabel, 22, plot.y + plot.h / 2, size: Frame.labelSize, anchor: .middle, rotated: true)
    }
}
