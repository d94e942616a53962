import Foundation
import LeNetCore

/// A random affine distortion of a digit, of the kinds the paper used to make its 540,000
/// extra training patterns (III.C): translation, scaling, squeezing (scaling one axis more
/// than the other) and horizontal shearing.
public struct Distortion: Sendable, Equatable {
    public var dx: Float = 0, dy: Float = 0
    public var scale: Float = 1
    /// Extra horizontal scale: x is scaled by scale·squeeze, y by scale/squeeze.
    public var squeeze: Float = 1
    /// x shifts by shear·(y − centre).
    public var shear: Float = 0

    public init(dx: Float = 0, dy: Float = 0, scale: Float = 1, squeeze: Float = 1, shear: Float = 0) {
        self.dx = dx; self.dy = dy; self.scale = scale; self.squeeze = squeeze; self.shear = shear
    }

    /// Up to ±2 px shifts, ±10 % scale, ±10 % squeeze, ±0.2 shear.
    public static func random(using rng: inout SeededGenerator) -> Distortion {
        Distortion(
            dx: Float.random(in: -2...2, using: &rng), dy: Float.random(in: -2...2, using: &rng),
            scale: Float.random(in: 0.9...1.1, using: &rng), squeeze: Float.random(in: 0.9...1.1, using: &rng),
            shear: Float.random(in: -0.2...0.2, using: &rng))
    }

    /// The grey level seen at output pixel (x, y) of a side×side field, where the digit is
    /// centred: the inverse map into the source image, sampled bilinearly.
    func sample(_ image: ArraySlice<UInt8>, rows: Int, columns: Int, side: Int, x: Int, y: Int) -> Float {
        let c = Float(side - 1) / 2
        // Undo the translation, shear and scale, about the field's centre.
        let ty = (Float(y) - c - dy) / (scale / squeeze)
        let tx = (Float(x) - c - dx - shear * ty) / (scale * squeeze)
        let sx = tx + Float(columns - 1) / 2, sy = ty + Float(rows - 1) / 2
        let x0 = Int(sx.rounded(.down)), y0 = Int(sy.rounded(.down))
        let fx = sx - Float(x0), fy = sy - Float(y0)
        func at(_ r: Int, _ q: Int) -> Float {
            guard r >= 0, r < rows, q >= 0, q < columns else { return 0 }
            return Float(image[image.startIndex + r * columns + q])
        }
        return (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) + fy
            * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1))
    }
}

extension Digits {
    /// Like `batch`, with each digit distorted by its own distortion.
    public func batch(_ indices: [Int], scaling: InputScaling, distortions: [Distortion]) -> Tensor {
        let side = Digits.inputSize
        var t = Tensor(repeating: scaling.background, shape: [indices.count, 1, side, side])
        let span = scaling.foreground - scaling.background
        for (n, index) in indices.enumerated() {
            let image = image(index)
            for y in 0..<side {
                for x in 0..<side {
                    let grey = distortions[n].sample(image, rows: rows, columns: columns, side: side, x: x, y: y)
                    t[n, 0, y, x] = scaling.background + span * grey / 255
                }
            }
        }
        return t
    }
}
