import CCairo
import Foundation

/// Why a picture could not become a digit.
public enum DigitPictureError: Error, CustomStringConvertible, Equatable {
    case unreadable(String, reason: String)
    case tooLarge(String, width: Int, height: Int)
    case blank(String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "\(path): cannot read as a PNG picture (\(reason))"
        case .tooLarge(let path, let w, let h):
            return "\(path): \(w)×\(h) pixels is more than the \(DigitPicture.largestSide)-pixel side this reads"
        case .blank(let path): return "\(path): no ink found (the picture is one flat shade)"
        }
    }
}

/// Any picture of one digit (a scan, a photo of paper, a drawing) made into what MNIST's
/// digits are: 28×28 grey levels, ink 255 on background 0, the digit scaled to fit a 20×20
/// box and centred by its centre of mass (LeCun et al. 1998, III.A).
public struct DigitPicture: Sendable {
    /// 28×28 grey levels, row by row.
    public var pixels: [UInt8]
    /// What was done to the picture, in order, for the user.
    public var steps: [String]

    public static let side = 28, box = 20
    /// Pictures larger than this on either side are refused (a phone photo should be cropped).
    public static let largestSide = 8_000

    /// Reads a PNG with Cairo and prepares it.
    public init(png path: String) throws {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw DigitPictureError.unreadable(path, reason: "no such file")
        }
        let surface = cairo_image_surface_create_from_png(path)!
        defer { cairo_surface_destroy(surface) }
        let status = cairo_surface_status(surface)
        guard status == CAIRO_STATUS_SUCCESS else {
            throw DigitPictureError.unreadable(path, reason: String(cString: cairo_status_to_string(status)))
        }
        let w = Int(cairo_image_surface_get_width(surface)), h = Int(cairo_image_surface_get_height(surface))
        guard w <= DigitPicture.largestSide, h <= DigitPicture.largestSide else {
            throw DigitPictureError.tooLarge(path, width: w, height: h)
        }
        cairo_surface_flush(surface)
        let stride = Int(cairo_image_surface_get_stride(surface))
        let format = cairo_image_surface_get_format(surface)
        guard w > 0, h > 0, let data = cairo_image_surface_get_data(surface) else {
            throw DigitPictureError.unreadable(path, reason: "no pixels")
        }
        // Brightness 0…1 of each pixel, transparent parts taken as white paper.
        var light = [Double](repeating: 1, count: w * h)
        for y in 0..<h {
            let row = (data + y * stride).withMemoryRebound(to: UInt32.self, capacity: w) { $0 }
            for x in 0..<w {
                let p = row[x]
                let alpha = format == CAIRO_FORMAT_ARGB32 ? Double(p >> 24 & 0xff) / 255 : 1
                // Cairo stores premultiplied colour: composite over white.
                let r = Double(p >> 16 & 0xff) / 255, g = Double(p >> 8 & 0xff) / 255, b = Double(p & 0xff) / 255
                light[y * w + x] = 0.299 * r + 0.587 * g + 0.114 * b + (1 - alpha)
            }
        }
        try self.init(brightness: light, width: w, height: h, name: path)
    }

    /// Prepares a picture given as brightness 0 (black) … 1 (white), row by row.
    public init(brightness light: [Double], width w: Int, height h: Int, name: String) throws {
        var steps = ["read \(w)×\(h) pixels, turned to grey"]
        // Which side is ink: MNIST's ink is bright on dark. A picture whose border is light is
        // dark ink on paper, so it is inverted.
        var border: [Double] = []
        for x in 0..<w { border += [light[x], light[(h - 1) * w + x]] }
        for y in 0..<h { border += [light[y * w], light[y * w + w - 1]] }
        border.sort()
        let paper = border[border.count / 2]
        let inverted = paper > 0.5
        var ink = light.map { inverted ? 1 - $0 : $0 }
        let background = inverted ? 1 - paper : paper
        steps.append(inverted ? "inverted (dark ink on light paper)" : "kept as it is (light ink on a dark ground)")
        // The paper's own shade and noise removed: what is not clearly darker than the paper is background.
        let strongest = ink.max() ?? 0
        guard strongest - background > 0.1 else { throw DigitPictureError.blank(name) }
        let floor = background + 0.25 * (strongest - background)
        ink = ink.map { max(0, ($0 - floor) / (strongest - floor)) }
        steps.append("paper shade and noise removed, ink stretched to the full range")
        // The ink's bounding box, scaled (aspect kept) to fit 20×20 by averaging.
        var top = h, left = w, bottom = -1, right = -1
        for y in 0..<h {
            for x in 0..<w where ink[y * w + x] > 0 {
                top = min(top, y)
                bottom = max(bottom, y)
                left = min(left, x)
                right = max(right, x)
            }
        }
        let bw = right - left + 1, bh = bottom - top + 1
        let scale = Double(DigitPicture.box) / Double(max(bw, bh))
        let sw = max(1, Int((Double(bw) * scale).rounded())), sh = max(1, Int((Double(bh) * scale).rounded()))
        var small = [Double](repeating: 0, count: sw * sh)
        for ty in 0..<sh {
            for tx in 0..<sw {
                // The source rectangle this target pixel covers, averaged (area sampling).
                let y0 = Double(top) + Double(ty) / scale, y1 = Double(top) + Double(ty + 1) / scale
                let x0 = Double(left) + Double(tx) / scale, x1 = Double(left) + Double(tx + 1) / scale
                var sum = 0.0, area = 0.0
                var sy = Int(y0)
                while Double(sy) < y1, sy <= bottom {
                    let cy = min(y1, Double(sy + 1)) - max(y0, Double(sy))
                    var sx = Int(x0)
                    while Double(sx) < x1, sx <= right {
                        let cx = min(x1, Double(sx + 1)) - max(x0, Double(sx))
                        sum += ink[sy * w + sx] * cx * cy
                        area += cx * cy
                        sx += 1
                    }
                    sy += 1
                }
                small[ty * sw + tx] = area > 0 ? sum / area : 0
            }
        }
        steps.append("the digit's \(bw)×\(bh) box scaled to \(sw)×\(sh) (MNIST's 20×20 box, shape kept)")
        // Centred by centre of mass in 28×28.
        var mass = 0.0, my = 0.0, mx = 0.0
        for y in 0..<sh {
            for x in 0..<sw {
                mass += small[y * sw + x]
                my += small[y * sw + x] * Double(y)
                mx += small[y * sw + x] * Double(x)
            }
        }
        let half = Double(DigitPicture.side) / 2
        let oy = Int((half - 0.5 - my / mass).rounded()), ox = Int((half - 0.5 - mx / mass).rounded())
        var pixels = [UInt8](repeating: 0, count: DigitPicture.side * DigitPicture.side)
        for y in 0..<sh {
            for x in 0..<sw {
                let ty = y + oy, tx = x + ox
                guard (0..<DigitPicture.side).contains(ty), (0..<DigitPicture.side).contains(tx) else { continue }
                pixels[ty * DigitPicture.side + tx] = UInt8((min(1, small[y * sw + x]) * 255).rounded())
            }
        }
        steps.append("centred by its centre of mass in 28×28")
        self.pixels = pixels
        self.steps = steps
    }
}
