/// Maps values to colours.
public struct ColorMap: Sendable {
    public enum Kind: Sendable { case diverging, grayscale, sequential }
    public let kind: Kind
    /// The value range; diverging maps are symmetric about zero.
    public let low: Float, high: Float

    /// Blue–white–red, symmetric about zero: for weights.
    public static func diverging(maxAbs: Float) -> ColorMap {
        let m = maxAbs > 0 ? maxAbs : 1
        return ColorMap(kind: .diverging, low: -m, high: m)
    }

    /// White (low) to black (high): ink on paper, for digits and activations.
    public static func grayscale(low: Float, high: Float) -> ColorMap {
        ColorMap(kind: .grayscale, low: low, high: high > low ? high : low + 1)
    }

    /// White to deep blue: for counts.
    public static func sequential(high: Float) -> ColorMap {
        ColorMap(kind: .sequential, low: 0, high: high > 0 ? high : 1)
    }

    static let divergingStops = [
        Color(hex: 0x2166ac), Color(hex: 0x67a9cf), Color(hex: 0xd1e5f0), .white,
        Color(hex: 0xfddbc7), Color(hex: 0xef8a62), Color(hex: 0xb2182b),
    ]
    static let sequentialStops = [
        Color.white, Color(hex: 0xc6dbef), Color(hex: 0x6baed6), Color(hex: 0x2171b5), Color(hex: 0x08306b),
    ]

    /// Position of v in 0…1, clamped; a value with no position (NaN, or ∞ on an infinite
    /// range) takes the middle, so that every number has a colour.
    public func fraction(_ v: Float) -> Double {
        let t = (Double(v) - Double(low)) / (Double(high) - Double(low))
        guard !t.isNaN else { return 0.5 }
        return min(max(t, 0), 1)
    }

    public func color(_ v: Float) -> Color {
        let t = fraction(v)
        switch kind {
        case .grayscale: return Color(1 - t, 1 - t, 1 - t)
        case .diverging: return ColorMap.interpolate(ColorMap.divergingStops, t)
        case .sequential: return ColorMap.interpolate(ColorMap.sequentialStops, t)
        }
    }

    static func interpolate(_ stops: [Color], _ t: Double) -> Color {
        let p = t * Double(stops.count - 1)
        let i = min(Int(p), stops.count - 2)
        return stops[i].mixed(with: stops[i + 1], p - Double(i))
    }

    /// Text is readable on light cells in black, on dark ones in white.
    public func textColor(on v: Float) -> Color {
        let c = color(v)
        return 0.299 * c.r + 0.587 * c.g + 0.114 * c.b > 0.55 ? .text : .white
    }
}
