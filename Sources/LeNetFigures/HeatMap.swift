/// A matrix of cells with text in them: a confusion matrix, or C3's connection table.
public struct HeatMap: Figure {
    public var title: String
    public var subtitle: String? = nil
    /// cells[row][column]
    public var cells: [[Double]]
    /// Text per cell; nil writes the value.
    public var annotations: [[String]]? = nil
    public var rowLabels: [String]
    public var columnLabels: [String]
    public var rowAxis: String
    public var columnAxis: String
    public var colorBarLabel: String? = "count"
    public var cellSize = 44.0

    public init(
        title: String, cells: [[Double]], rowLabels: [String], columnLabels: [String], rowAxis: String,
        columnAxis: String
    ) {
        self.title = title
        self.cells = cells
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.rowAxis = rowAxis
        self.columnAxis = columnAxis
    }

    var map: ColorMap { .sequential(high: Float(cells.joined().max() ?? 1)) }
    var headerHeight: Double { Frame.margin + Frame.titleSize + 18 + (subtitle == nil ? 0 : Frame.subtitleSize + 8) }
    var gridW: Double { Double(columnLabels.count) * cellSize }
    var gridH: Double { Double(rowLabels.count) * cellSize }
    static let leftRoom = 96.0, topRoom = 52.0

    public var size: (width: Double, height: Double) {
        let bar = colorBarLabel == nil ? 0 : ColorBar.footprint + 16
        return (
            max(HeatMap.leftRoom + gridW + bar + 2 * Frame.margin, 440, Frame.width(title: title, subtitle: subtitle)),
            headerHeight + HeatMap.topRoom + gridH + Frame.margin + 8
        )
    }

    public func draw(_ canvas: Canvas) {
        let top = Frame.header(canvas, title: title, subtitle: subtitle) + HeatMap.topRoom
        let bar = colorBarLabel == nil ? 0 : ColorBar.footprint + 16
        let left = (canvas.width - gridW - bar - HeatMap.leftRoom) / 2 + HeatMap.leftRoom
        let map = self.map
        let textSize = min(Frame.tickSize, cellSize * 0.36)
        for (r, row) in cells.enumerated() {
            for (c, v) in row.enumerated() {
                let x = left + Double(c) * cellSize, y = top + Double(r) * cellSize
                canvas.fillRect(x, y, cellSize, cellSize, map.color(Float(v)))
                let note = annotations?[r][c] ?? Ticks.label(v)
                if !note.isEmpty {
                    canvas.text(
                        note, x + cellSize / 2, y + cellSize / 2 + textSize * 0.36, size: textSize, anchor: .middle,
                        color: map.textColor(on: Float(v)))
                }
            }
        }
        for r in 0...rowLabels.count {
            canvas.line(
                [(left, top + Double(r) * cellSize), (left + gridW, top + Double(r) * cellSize)], Color(hex: 0xbbbbbb),
                width: 0.6)
        }
        for c in 0...columnLabels.count {
            canvas.line(
                [(left + Double(c) * cellSize, top), (left + Double(c) * cellSize, top + gridH)], Color(hex: 0xbbbbbb),
                width: 0.6)
        }
        for (c, label) in columnLabels.enumerated() {
            canvas.text(label, left + (Double(c) + 0.5) * cellSize, top - 8, size: Frame.tickSize, anchor: .middle)
        }
        for (r, label) in rowLabels.enumerated() {
            canvas.text(label, left - 8, top + (Double(r) + 0.5) * cellSize + 4.5, size: Frame.tickSize, anchor: .end)
        }
        canvas.text(columnAxis, left + gridW / 2, top - 30, size: Frame.labelSize, anchor: .middle, bold: true)
        canvas.text(
            rowAxis, left - 44, top + gridH / 2, size: Frame.labelSize, anchor: .middle, bold: true, rotated: true)
        if let label = colorBarLabel {
            ColorBar(map: map, label: label).draw(canvas, x: left + gridW + 20, y: top, height: gridH)
        }
    }
}
