import Foundation
import LeNetCore

/// How grey levels become network inputs.
public enum InputScaling: String, Sendable, CaseIterable {
    /// The paper (II.B): background (white) −0.1, foreground (black) 1.175, linear in between,
    /// so that the inputs have mean ≈ 0 and variance ≈ 1. Padding is background.
    case paper
    /// The usual PyTorch recipe: pixel/255 standardized with the MNIST training set's mean
    /// and standard deviation, (p/255 − 0.1307)/0.3081, padding being background (the
    /// digit padded with 0 before standardizing). The keras variant's default.
    case standard
    /// Plain pixel/255, padding 0: the most common PyTorch tutorial's inputs.
    case unit

    /// Mean and standard deviation of pixel/255 over the 60,000 MNIST training digits.
    public static let mnistMean: Float = 0.1307, mnistDeviation: Float = 0.3081

    public var background: Float {
        switch self {
        case .paper: return -0.1
        case .standard: return (0 - InputScaling.mnistMean) / InputScaling.mnistDeviation
        case .unit: return 0
        }
    }

    public var foreground: Float {
        switch self {
        case .paper: return 1.175
        case .standard: return (1 - InputScaling.mnistMean) / InputScaling.mnistDeviation
        case .unit: return 1
        }
    }

    /// A grey level 0 (background) … 255 (ink) mapped linearly onto background … foreground.
    @inline(__always)
    public func value(_ pixel: UInt8) -> Float {
        background + (foreground - background) * Float(pixel) / 255
    }

    /// `value` of every grey level, worked out once: online training converts a digit at
    /// every step.
    var lookup: [Float] {
        switch self {
        case .paper: InputScaling.lookups.paper
        case .standard: InputScaling.lookups.standard
        case .unit: InputScaling.lookups.unit
        }
    }

    private static let lookups = (
        paper: InputScaling.paper.table, standard: InputScaling.standard.table, unit: InputScaling.unit.table
    )
    private var table: [Float] { (0...255).map { value(UInt8($0)) } }
}

/// Labelled digits as stored: 8-bit grey levels, kept small so that 60,000 fit in 47 MB.
public struct Digits: Sendable {
    public var name: String
    public var rows: Int, columns: Int
    public var pixels: [UInt8]
    public var labels: [UInt8]

    public init(name: String, rows: Int, columns: Int, pixels: [UInt8], labels: [UInt8]) {
        precondition(pixels.count == labels.count * rows * columns)
        self.name = name
        self.rows = rows
        self.columns = columns
        self.pixels = pixels
        self.labels = labels
    }

    /// Reads an images file and a labels file and checks that they agree.
    public init(name: String, images: String, labels: String) throws {
        let i = try IDX.readImages(at: images)
        let l = try IDX.readLabels(at: labels)
        guard i.count == l.count else {
            throw IDXError.countMismatch(images: images, imageCount: i.count, labels: labels, labelCount: l.count)
        }
        guard i.count > 0 else { throw IDXError.noImages(images) }
        guard i.rows > 0, i.columns > 0 else { throw IDXError.emptyImages(images, rows: i.rows, columns: i.columns) }
        guard i.rows <= Digits.inputSize, i.columns <= Digits.inputSize else {
            throw IDXError.imageTooLarge(images, rows: i.rows, columns: i.columns, limit: Digits.inputSize)
        }
        self.init(name: name, rows: i.rows, columns: i.columns, pixels: i.pixels, labels: l)
    }

    public var count: Int { labels.count }

    /// A 64-bit FNV-1a hash of the size, labels and grey levels, in hex: what a cache of
    /// weights trained on these digits is keyed on (not for security).
    public var fingerprint: String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for v in [count, rows, columns] { h = withUnsafeBytes(of: UInt64(v).littleEndian) { Digits.fnv1a(h, $0) } }
        h = labels.withUnsafeBytes { Digits.fnv1a(h, $0) }
        h = pixels.withUnsafeBytes { Digits.fnv1a(h, $0) }
        return String(h, radix: 16)
    }

    /// FNV-1a over `bytes`, continuing from `h`: a plain loop over a buffer, with no captured
    /// state for the runtime to check at every byte.
    static func fnv1a(_ h: UInt64, _ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h = h
        for byte in bytes { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return h
    }

    /// The digit as stored: rows × columns grey levels.
    public func image(_ index: Int) -> ArraySlice<UInt8> {
        let size = rows * columns
        return pixels[index * size..<(index + 1) * size]
    }

    /// The digits at the given indices, in that order.
    public func subset(_ indices: [Int], name: String? = nil) -> Digits {
        var p: [UInt8] = []
        p.reserveCapacity(indices.count * rows * columns)
        for i in indices { p += image(i) }
        return Digits(
            name: name ?? self.name, rows: rows, columns: columns, pixels: p, labels: indices.map { labels[$0] })
    }

    /// Asks the CPU to fetch digit `index`'s grey levels into its caches, for a conversion
    /// soon after: online training takes the digits in random order from 47 MB of them, and
    /// waited for each one's memory (a fifth of `batch`'s time went to its first load).
    public func prefetch(_ index: Int) {
        guard (0..<count).contains(index) else { return }
        let size = rows * columns
        pixels.withUnsafeBufferPointer { p in LeNetCore.prefetch(p.baseAddress! + index * size, bytes: size) }
    }

    /// The network's input side: 32×32, the paper's size.
    public static let inputSize = 32

    /// A batch (N, 1, 32, 32): each digit centred in a 32×32 field of background, so that
    /// stroke ends can reach the centre of the top feature detectors' receptive fields (II.B).
    public func batch(_ indices: [Int], scaling: InputScaling) -> Tensor {
        var t = Tensor.empty
        batch(indices, scaling: scaling, into: &t)
        return t
    }

    /// `batch` into `t`, whose buffer is kept when it has the batch's shape already (online
    /// training writes each digit where the one before was).
    public func batch(_ indices: [Int], scaling: InputScaling, into t: inout Tensor) {
        let side = Digits.inputSize
        let top = (side - rows) / 2, left = (side - columns) / 2
        t.prepare(indices.count, 1, side, side)
        let background = scaling.background, span = scaling.foreground - background
        // A lookup table from grey level to input value, and raw buffers: this runs for
        // every training batch.
        let values = scaling.lookup
        precondition(indices.allSatisfy { (0..<count).contains($0) }, "digit index out of range")
        let (rows, columns) = (self.rows, self.columns)
        t.scalars.withUnsafeMutableBufferPointer { out in
            pixels.withUnsafeBufferPointer { source in
                values.withUnsafeBufferPointer { table in
                    nonisolated(unsafe) let (out, source, table) = (out, source, table)
                    // Large batches (inference) are converted on all cores, a share of digits each.
                    let parts = Tensor.chunks(indices.count, parts: indices.count >= 256 ? coreCount : 1)
                    let convert = { @Sendable (part: Int) in
                        let lookup = table.baseAddress!
                        for n in parts[part] {
                            let image = source.baseAddress! + indices[n] * rows * columns
                            let field = out.baseAddress! + n * side * side
                            field.update(repeating: background, count: side * side)
                            // Row by row through pointers: no index arithmetic (and its overflow
                            // checks) per pixel.
                            var from = image, to = field + top * side + left
                            for _ in 0..<rows {
                                // Eight at a time, `value`'s operations lane by lane (the
                                // table's numbers, bit for bit); the rest from the table.
                                var x = 0
                                while x + 8 <= columns {
                                    let grey = UnsafeRawPointer(from + x).loadUnaligned(as: SIMD8<UInt8>.self)
                                    let v =
                                        background + span * SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: grey)) / 255
                                    UnsafeMutableRawPointer(to + x).storeBytes(of: v, as: SIMD8<Float>.self)
                                    x += 8
                                }
                                while x < columns {
                                    to[x] = lookup[Int(from[x])]
                                    x += 1
                                }
                                from += columns
                                to += side
                            }
                        }
                    }
                    // One share on this thread, without the cores' hand-over (online training).
                    if parts.count == 1 { convert(0) } else { _ = parallelMap(parts.count, convert) }
                }
            }
        }
    }
}
