/// LeNet-5 in the spirit of the paper's Figure 2: each layer a stack of maps, drawn to scale
/// from the shapes the caller passes (taken from the model), one layer highlightable.
public struct ArchitectureDiagram: Figure {
    public struct Stage: Sendable {
        public var name: String
        /// (maps, height, width), or (units) for fully connected layers.
        public var shape: [Int]
        public var note: String
        public init(name: String, shape: [Int], note: String) { self.name = name; self.shape = shape; self.note = note }
    }

    public var title: String
    public var stages: [Stage]
    public var highlighted: String?
    public var size: (width: Double, height: Double) = (1240, 380)

    public init(title: String, stages: [Stage], highlighted: String? = nil) {
        self.title = title
        self.stages = stages
        self.highlighted = highlighted
    }

    /// Where a stage is drawn: its box (front map) and the depth of the stack behind it.
    struct Placement { var x, y, side, height, depth: Double }

    /// Points per pixel of a map: the largest map and the deepest stack fit in one slot.
    func unit(slot: Double) -> Double {
        let largest = stages.filter { $0.shape.count == 3 }.map { Double($0.shape[1]) }.max() ?? 32
        return min(150, slot - 7 * 6 - 24) / largest
    }

    func placement(_ stage: Stage, centre: Double, baseline: Double, unit: Double) -> Placement {
        if stage.shape.count == 3 {
            let side = max(Double(stage.shape[1]) * unit, 10)
            let depth = Double(min(stage.shape[0], 8) - 1) * 6
            return Placement(x: centre - (side + depth) / 2, y: baseline - side, side: side, height: side, depth: depth)
        }
        // A column of units: a thin bar whose height grows with the count.
        let h = min(20 + Double(stage.shape[0]), 150)
        return Placement(x: centre - 9, y: baseline - h, side: 18, height: h, depth: 0)
    }

    public func draw(_ canvas: Canvas) {
        let top = Frame.header(canvas, title: title, subtitle: nil)
        let slot = (canvas.width - 2 * Frame.margin) / Double(stages.count)
        let baseline = top + 190.0
        let centres = stages.indices.map { Frame.margin + slot * (Double($0) + 0.5) }
        let scale = unit(slot: slot)
        let places = zip(stages, centres).map { placement($0, centre: $1, baseline: baseline, unit: scale) }
        // Connectors first, so the stacks sit on top of them.
        for k in places.indices.dropFirst() {
            let from = places[k - 1], to = places[k]
            let y = baseline - min(from.height, to.height) / 2
            canvas.line([(from.x + from.side + from.depth + 4, y), (to.x - 6, y)], Color(hex: 0x999999), width: 1.2)
            canvas.line([(to.x - 12, y - 4), (to.x - 6, y), (to.x - 12, y + 4)], Color(hex: 0x999999), width: 1.2)
        }
        for (k, stage) in stages.enumerated() {
            let p = places[k], centre = centres[k]
            let isHighlighted = stage.name == highlighted
            let fill = isHighlighted ? Color(hex: 0xfde0c5) : Color(hex: 0xe8eef6)
            let edge = isHighlighted ? Color.highlight : Color(hex: 0x1b6ca8)
            for m in stride(from: p.depth, through: 0, by: -6) {
                canvas.fillRect(p.x + m, p.y - m, p.side, p.height, fill)
                canvas.strokeRect(p.x + m, p.y - m, p.side, p.height, edge, width: isHighlighted ? 2 : 1)
            }
            let label =
                stage.shape.count == 3 ? "\(stage.shape[0])@\(stage.shape[1])×\(stage.shape[2])" : "\(stage.shape[0])"
            canvas.text(
                stage.name, centre, baseline + 28, size: 19, anchor: .middle, bold: true,
                color: isHighlighted ? .highlight : .text)
            // Sized to stay legible when a page shows the diagram at two thirds of its width.
            canvas.text(label, centre, baseline + 52, size: 17, anchor: .middle)
            canvas.text(stage.note, centre, baseline + 74, size: 16, anchor: .middle, color: .axis)
        }
    }
}
