/// Kernels, feature maps or digits: one titled tile per map, drawn as sharp pixels.
public struct ImageGrid: Figure {
    public struct Tile: Sendable {
        public var caption: String
        /// Row-major values; nil draws an empty cell (C3's unconnected kernels).
        public var values: [Float]?
        public var rows: Int, columns: Int
        /// Draws a coloured frame around the tile (a misclassified digit, a chosen unit).
        public var highlighted = false
        /// A square of pixels outlined on the tile: a unit's receptive field.
        public var box: (row: Int, column: Int, size: Int)? = nil
        /// A second square, drawn dashed in the series blue (C3's receptive-field centres).
        public var dashedBox: (row: Int, column: Int, size: Int)? = nil

        public init(
            caption: String, values: [Float]?, rows: Int, columns: Int, highlighted: Bool = false,
            box: (row: Int, column: Int, size: Int)? = nil
        ) {
            self.caption = caption
            self.values = values
            self.rows = rows
            self.columns = columns
            self.highlighted = highlighted
            self.box = box
        }
    }

    public enum Scale: Sendable {
        /// One colour scale for all tiles, shown by a colour bar.
        case shared(ColorMap)
        /// Each tile stretched to its own range (grayscale); no colour bar.
        case perTile
    }

    public var title: String
    public var subtitle: String?
    public var tiles: [Tile]
    public var columns: Int
    public var scale: Scale
    public var colorBarLabel: String
    /// Side of a tile in points.
    public var tileSize: Double
    /// Optional captions along the top and left edges (C3's kernel grid: S2 and C3 map numbers).
    public var columnHeaders: [String]? = nil
    public var rowHeaders: [String]? = nil

    public init(
        title: String, subtitle: String? = nil, tiles: [Tile], columns: Int, scale: Scale,
        colorBarLabel: String = "value", tileSize: Double = 96
    ) {
        self.title = title
        self.subtitle = subtitle
        self.tiles = tiles
        self.columns = max(1, min(columns, tiles.count))
        self.scale = scale
        self.colorBarLabel = colorBarLabel
        self.tileSize = tileSize
    }

    var rows: Int { (tiles.count + columns - 1) / columns }
    /// Tiles keep the pixel grid's aspect ratio (F6's 7×12 codes are tall).
    var tileHeight: Double { tiles.first.map { tileSize * Double($0.rows) / Double($0.columns) } ?? tileSize }
    var captionHeight: Double { tiles.contains { !$0.caption.isEmpty } ? 22 : 6 }
    var gap: Double { 12 }
    var headerHeight: Double { Frame.margin + Frame.titleSize + 18 + (subtitle == nil ? 0 : Frame.subtitleSize + 8) }
    /// Room for the row headers: at least 70 points, more for long ones (about 7 points a character).
    var leftHeaderWidth: Double { rowHeaders.map { max(70, 7.2 * Double($0.map(\.count).max() ?? 0) + 12) } ?? 0 }
    var topHeaderHeight: Double { columnHeaders == nil ? 0 : 24 }
    var colorBarRoom: Double { if case .shared = scale { return ColorBar.footprint + 10 } else { return 0 } }

    public var size: (width: Double, height: Double) {
        let gridW = Double(columns) * (tileSize + gap) - gap
        let gridH = Double(rows) * (tileHeight + captionHeight + gap) - gap
        let w = max(
            2 * Frame.margin + leftHeaderWidth + gridW + colorBarRoom, 420,
            Frame.width(title: title, subtitle: subtitle))
        return (w, headerHeight + topHeaderHeight + gridH + Frame.margin)
    }

    public func draw(_ canvas: Canvas) {
        let top = Frame.header(canvas, title: title, subtitle: subtitle) + topHeaderHeight
        let gridW = Double(columns) * (tileSize + gap) - gap
        let left = (canvas.width - gridW - colorBarRoom - leftHeaderWidth) / 2 + leftHeaderWidth
        for (c, header) in (columnHeaders ?? []).enumerated() {
            canvas.text(
                header, left + Double(c) * (tileSize + gap) + tileSize / 2, top - 8, size: Frame.tickSize,
                anchor: .middle, color: .axis)
        }
        for (k, tile) in tiles.enumerated() {
            let x = left + Double(k % columns) * (tileSize + gap)
            let y = top + Double(k / columns) * (tileHeight + captionHeight + gap)
            if k % columns == 0, let headers = rowHeaders, k / columns < headers.count {
                canvas.text(
                    headers[k / columns], x - 10, y + tileHeight / 2 + 5, size: Frame.tickSize, anchor: .end,
                    color: .axis)
            }
            if let values = tile.values {
                let map = colorMap(for: values)
                canvas.pixels(
                    values, rows: tile.rows, columns: tile.columns, x: x, y: y, w: tileSize, h: tileHeight,
                    colorOf: map.color)
                canvas.strokeRect(x, y, tileSize, tileHeight, Color(hex: 0x999999), width: 0.6)
            } else {
                canvas.fillRect(x, y, tileSize, tileHeight, Color(hex: 0xf3f3f3))
                canvas.strokeRect(x, y, tileSize, tileHeight, Color(hex: 0xcccccc), width: 0.6)
            }
            if let b = tile.box {
                let px = tileSize / Double(tile.columns), py = tileHeight / Double(tile.rows)
                canvas.strokeRect(
                    x + Double(b.column) * px, y + Double(b.row) * py, Double(b.size) * px, Double(b.size) * py,
                    .highlight, width: 2.5)
            }
            if let b = tile.dashedBox {
                let px = tileSize / Double(tile.columns), py = tileHeight / Double(tile.rows)
                let (x0, y0) = (x + Double(b.column) * px, y + Double(b.row) * py)
                let (x1, y1) = (x0 + Double(b.size) * px, y0 + Double(b.size) * py)
                canvas.line(
                    [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)], Color.series[0], width: 2, dashed: true)
            }
            if tile.highlighted { canvas.strokeRect(x - 2, y - 2, tileSize + 4, tileHeight + 4, .highlight, width: 3) }
            if !tile.caption.isEmpty {
                canvas.text(tile.caption, x + tileSize / 2, y + tileHeight + 17, size: Frame.tickSize, anchor: .middle)
            }
        }
        if case .shared(let map) = scale {
            let gridH = Double(rows) * (tileHeight + captionHeight + gap) - gap - captionHeight
            ColorBar(map: map, label: colorBarLabel).draw(canvas, x: left + gridW + 24, y: top, height: max(gridH, 120))
        }
    }

    func colorMap(for values: [Float]) -> ColorMap {
        switch scale {
        case .shared(let map): return map
        case .perTile: return .grayscale(low: values.min() ?? 0, high: values.max() ?? 1)
        }
    }
}
