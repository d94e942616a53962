import CCairo
import Foundation
import LeNetCore

/// An RGB colour, components in 0…1.
public struct Color: Equatable, Sendable {
    public var r: Double, g: Double, b: Double
    public init(_ r: Double, _ g: Double, _ b: Double) { self.r = r; self.g = g; self.b = b }
    public init(hex: UInt32) {
        self.init(Double(hex >> 16 & 0xff) / 255, Double(hex >> 8 & 0xff) / 255, Double(hex & 0xff) / 255)
    }
    public static let black = Color(0, 0, 0), white = Color(1, 1, 1)
    public static let text = Color(hex: 0x222222), axis = Color(hex: 0x444444), grid = Color(hex: 0xdddddd)
    public static let highlight = Color(hex: 0xd95f02)
    /// A palette for series, distinguishable in colour and in grey.
    public static let series = [
        Color(hex: 0x1b6ca8), Color(hex: 0xd95f02), Color(hex: 0x1b9e77), Color(hex: 0x7570b3), Color(hex: 0xe7298a),
        Color(hex: 0x66a61e), Color(hex: 0xa6761d),
    ]

    func mixed(with other: Color, _ t: Double) -> Color {
        Color(r + (other.r - r) * t, g + (other.g - g) * t, b + (other.b - b) * t)
    }
}

public enum FigureError: Error, CustomStringConvertible {
    case unknownFormat(String)
    case cairo(String, status: String)
    public var description: String {
        switch self {
        case .unknownFormat(let p): return "\(p): unknown figure format (use .png, .svg or .pdf)"
        case .cairo(let p, let s): return "\(p): cannot draw (\(s))"
        }
    }
}

/// The output format, from the file extension.
public enum FigureFormat: String, CaseIterable, Sendable {
    case png, svg, pdf
    public init(path: String) throws {
        guard let f = FigureFormat(rawValue: (path as NSString).pathExtension.lowercased()) else {
            throw FigureError.unknownFormat(path)
        }
        self = f
    }
}

public enum TextAnchor { case start, middle, end }

/// A thin Swift layer over a Cairo context: coordinates in points, text in DejaVu Sans.
public final class Canvas {
    let cr: OpaquePointer
    public let width: Double, height: Double
    public static let fontFamily = "DejaVu Sans"

    init(cr: OpaquePointer, width: Double, height: Double) {
        self.cr = cr
        self.width = width
        self.height = height
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND)
    }

    public func color(_ c: Color, alpha: Double = 1) { cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha) }

    public func fillRect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, _ c: Color) {
        color(c)
        cairo_rectangle(cr, x, y, w, h)
        cairo_fill(cr)
    }

    public func strokeRect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, _ c: Color, width: Double = 1) {
        color(c)
        cairo_set_line_width(cr, width)
        cairo_rectangle(cr, x, y, w, h)
        cairo_stroke(cr)
    }

    public func line(_ points: [(Double, Double)], _ c: Color, width: Double = 1.5, dashed: Bool = false) {
        guard let first = points.first else { return }
        color(c)
        cairo_set_line_width(cr, width)
        if dashed {
            let dashes: [Double] = [6, 4]
            cairo_set_dash(cr, dashes, 2, 0)
        }
        cairo_move_to(cr, first.0, first.1)
        for p in points.dropFirst() { cairo_line_to(cr, p.0, p.1) }
        cairo_stroke(cr)
        cairo_set_dash(cr, nil, 0, 0)
    }

    /// A filled polygon, see-through by `alpha` (an uncertainty band under a curve).
    public func fillPolygon(_ points: [(Double, Double)], _ c: Color, alpha: Double = 1) {
        guard let first = points.first else { return }
        color(c, alpha: alpha)
        cairo_move_to(cr, first.0, first.1)
        for p in points.dropFirst() { cairo_line_to(cr, p.0, p.1) }
        cairo_close_path(cr)
        cairo_fill(cr)
    }

    public func circle(_ x: Double, _ y: Double, _ r: Double, _ c: Color) {
        color(c)
        cairo_arc(cr, x, y, r, 0, 2 * .pi)
        cairo_fill(cr)
    }

    func font(_ size: Double, bold: Bool) {
        cairo_select_font_face(
            cr, Canvas.fontFamily, CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, size)
    }

    /// A canvas on a 1×1 surface, for measuring text before a figure knows its size.
    nonisolated(unsafe) static let measuring: Canvas = {
        let surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1)!
        return Canvas(cr: cairo_create(surface)!, width: 1, height: 1)
    }()

    /// The advance width of `s` at this size.
    public func textWidth(_ s: String, size: Double, bold: Bool = false) -> Double {
        font(size, bold: bold)
        var e = cairo_text_extents_t()
        cairo_text_extents(cr, s, &e)
        return e.x_advance
    }

    /// Text with its baseline at y; `rotated` turns it a quarter anticlockwise (y-axis labels).
    public func text(
        _ s: String, _ x: Double, _ y: Double, size: Double, anchor: TextAnchor = .start,
        bold: Bool = false, color c: Color = .text, rotated: Bool = false
    ) {
        let w = textWidth(s, size: size, bold: bold)
        let shift = anchor == .start ? 0 : anchor == .middle ? -w / 2 : -w
        color(c)
        cairo_save(cr)
        cairo_translate(cr, x, y)
        if rotated { cairo_rotate(cr, -.pi / 2) }
        cairo_move_to(cr, shift, 0)
        cairo_show_text(cr, s)
        cairo_restore(cr)
    }

    /// A grid of values drawn as sharp pixels (nearest neighbour) filling the rectangle.
    public func pixels(
        _ values: [Float], rows: Int, columns: Int, x: Double, y: Double, w: Double, h: Double,
        colorOf: (Float) -> Color
    ) {
        // Values that do not fill the grid (or a grid Cairo cannot hold) draw as an empty frame.
        guard rows > 0, columns > 0, rows <= 4096, columns <= 4096, values.count >= rows * columns,
            let image = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(columns), Int32(rows))
        else {
            fillRect(x, y, w, h, Color(hex: 0xeeeeee))
            return
        }
        defer { cairo_surface_destroy(image) }
        cairo_surface_flush(image)
        let stride = Int(cairo_image_surface_get_stride(image))
        guard let data = cairo_image_surface_get_data(image) else { return }
        /// A colour component as a byte, whatever the colour function returned.
        func byte(_ v: Double) -> UInt32 { v.isNaN ? 0 : UInt32((min(max(v, 0), 1) * 255).rounded()) }
        for r in 0..<rows {
            let row = (data + r * stride).withMemoryRebound(to: UInt32.self, capacity: columns) { $0 }
            for c in 0..<columns {
                let col = colorOf(values[r * columns + c])
                row[c] = byte(col.r) << 16 | byte(col.g) << 8 | byte(col.b)
            }
        }
        cairo_surface_mark_dirty(image)
        cairo_save(cr)
        cairo_rectangle(cr, x, y, w, h)
        cairo_clip(cr)
        cairo_translate(cr, x, y)
        cairo_scale(cr, w / Double(columns), h / Double(rows))
        cairo_set_source_surface(cr, image, 0, 0)
        cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST)
        cairo_paint(cr)
        cairo_restore(cr)
    }
}

/// Something that draws itself on a canvas of its own size.
public protocol Figure {
    /// Width and height in points (1/72 inch).
    var size: (width: Double, height: Double) { get }
    /// A one-line title, also written into SVG files as <title> so they are searchable.
    var title: String { get }
    func draw(_ canvas: Canvas)
}

extension Figure {
    /// Renders to PNG, SVG or PDF, as the extension says; `scale` multiplies PNG pixels
    /// (2 gives hi-DPI). Drawn in memory, checked (Cairo's status, and every byte written),
    /// then written whole with `AtomicFile`: a full disk never leaves a truncated figure in
    /// place of a good one.
    public func write(to path: String, scale: Double = 1) throws {
        try AtomicFile.write(try rendered(format: try FigureFormat(path: path), scale: scale, path: path), to: path)
    }

    /// The figure's bytes in `format`; `path` only names it in errors.
    public func rendered(format: FigureFormat, scale: Double = 1, path: String = "figure") throws -> Data {
        let (w, h) = size
        guard w.isFinite, h.isFinite, w >= 1, h >= 1, w * scale <= 20_000, h * scale <= 20_000 else {
            throw FigureError.cairo(path, status: "a figure of \(w)×\(h) points at scale \(scale) cannot be drawn")
        }
        let sink = ByteSink()
        let closure = Unmanaged.passUnretained(sink).toOpaque()
        let surface: OpaquePointer
        switch format {
        case .png:
            surface = cairo_image_surface_create(
                CAIRO_FORMAT_ARGB32, Int32((w * scale).rounded(.up)), Int32((h * scale).rounded(.up)))
        case .svg:
            surface = cairo_svg_surface_create_for_stream(ByteSink.write, closure, w, h)
            cairo_svg_surface_restrict_to_version(surface, CAIRO_SVG_VERSION_1_2)
        case .pdf: surface = cairo_pdf_surface_create_for_stream(ByteSink.write, closure, w, h)
        }
        let cr = cairo_create(surface)!
        if format == .png { cairo_scale(cr, scale, scale) }
        let canvas = Canvas(cr: cr, width: w, height: h)
        canvas.fillRect(0, 0, w, h, .white)
        draw(canvas)
        var status = cairo_status(cr)
        cairo_destroy(cr)
        if format == .png, status == CAIRO_STATUS_SUCCESS {
            status = cairo_surface_write_to_png_stream(surface, ByteSink.write, closure)
        }
        cairo_surface_finish(surface)
        if status == CAIRO_STATUS_SUCCESS { status = cairo_surface_status(surface) }
        cairo_surface_destroy(surface)
        withExtendedLifetime(sink) {}
        guard status == CAIRO_STATUS_SUCCESS, !sink.data.isEmpty else {
            throw FigureError.cairo(path, status: String(cString: cairo_status_to_string(status)))
        }
        return format == .svg ? Data(finishedSVG(String(decoding: sink.data, as: UTF8.self)).utf8) : sink.data
    }

    /// Two fixes to Cairo's SVG: a <title>, since Cairo draws text as glyph outlines and the
    /// figure's words would not be searchable; and ids numbered per file, since Cairo
    /// numbers surfaces and images per process, so the same figure gives the same bytes.
    private func finishedSVG(_ text: String) -> String {
        var svg = text
        guard let open = svg.range(of: "<svg"), let end = svg[open.upperBound...].range(of: ">") else { return svg }
        let escaped = title.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        svg.insert(contentsOf: "\n<title>\(escaped)</title>", at: end.upperBound)
        guard let pattern = try? NSRegularExpression(pattern: "(?<=id=\"|#)(surface|image|source|pattern)[0-9]+")
        else { return svg }
        var numbers: [String: Int] = [:]
        var renumbered = ""
        var last = svg.startIndex
        for match in pattern.matches(in: svg, range: NSRange(svg.startIndex..., in: svg)) {
            let range = Range(match.range, in: svg)!
            let id = String(svg[range])
            let n = numbers[id] ?? numbers.count + 1
            numbers[id] = n
            renumbered += svg[last..<range.lowerBound] + id.prefix { $0.isLetter } + "\(n)"
            last = range.upperBound
        }
        renumbered += svg[last...]
        return renumbered
    }
}

/// Collects what Cairo writes to a stream.
final class ByteSink {
    var data = Data()

    static let write: cairo_write_func_t = { closure, bytes, length in
        guard let closure, let bytes else { return CAIRO_STATUS_WRITE_ERROR }
        Unmanaged<ByteSink>.fromOpaque(closure).takeUnretainedValue().data.append(bytes, count: Int(length))
        return CAIRO_STATUS_SUCCESS
    }
}
