import Foundation

/// What can be wrong with an IDX file; each case names the file.
public enum IDXError: Error, Equatable, CustomStringConvertible {
    case missing(String)
    case unreadable(String)
    case corruptGzip(String)
    case tooShort(String, bytes: Int)
    case wrongMagic(String, found: UInt32, expected: UInt32)
    case wrongLength(String, expected: Int, found: Int)
    case labelOutOfRange(String, index: Int, label: UInt8)
    case countMismatch(images: String, imageCount: Int, labels: String, labelCount: Int)
    case imageTooLarge(String, rows: Int, columns: Int, limit: Int)
    case noImages(String)
    case inflatesTooLarge(String, promised: Int)
    case emptyImages(String, rows: Int, columns: Int)

    public var description: String {
        switch self {
        case .missing(let f): return "\(f): no such file"
        case .unreadable(let f): return "\(f): cannot be read"
        case .corruptGzip(let f): return "\(f): corrupt or truncated gzip stream"
        case .tooShort(let f, let n): return "\(f): \(n) bytes is too short for an IDX header"
        case .wrongMagic(let f, let found, let expected):
            return "\(f): magic number 0x\(String(found, radix: 16)) is not 0x\(String(format: "%08x", expected))"
        case .wrongLength(let f, let expected, let found):
            return
                "\(f): the header's dimensions need \(expected) bytes but the file has \(found) (truncated or wrong header)"
        case .labelOutOfRange(let f, let i, let label): return "\(f): label \(label) at index \(i) is outside 0...9"
        case .countMismatch(let i, let ic, let l, let lc):
            return "\(i) holds \(ic) images but \(l) holds \(lc) labels"
        case .inflatesTooLarge(let f, let n):
            return
                "\(f): decompresses to more than the \(n) bytes its header promises (a damaged file, or a decompression bomb)"
        case .noImages(let f): return "\(f): holds no images (a data set needs at least one digit)"
        case .emptyImages(let f, let r, let c): return "\(f): images of \(r)×\(c) pixels hold nothing to see"
        case .imageTooLarge(let f, let r, let c, let limit):
            return "\(f): images of \(r)×\(c) do not fit the network's \(limit)×\(limit) input"
        }
    }
}

/// The MNIST IDX format: a big-endian magic (0x0803 images, 0x0801 labels), one UInt32 per
/// dimension, then UInt8 data in row-major order.
public enum IDX {
    public static let imagesMagic: UInt32 = 0x0000_0803
    public static let labelsMagic: UInt32 = 0x0000_0801

    /// Images: count × rows × columns bytes, 0 = background, 255 = ink.
    public struct Images: Equatable, Sendable {
        public var count: Int, rows: Int, columns: Int
        public var pixels: [UInt8]
    }

    public static func readImages(at path: String) throws -> Images {
        try images(from: contents(of: path), file: path)
    }

    /// Images from a file's bytes (already inflated), `file` naming it in errors.
    public static func images(from bytes: [UInt8], file path: String) throws -> Images {
        let dims = try header(bytes, file: path, magic: imagesMagic, dimensions: 3)
        try expectLength(bytes, file: path, header: 16, payload: dims)
        return Images(count: dims[0], rows: dims[1], columns: dims[2], pixels: Array(bytes[16...]))
    }

    public static func readLabels(at path: String) throws -> [UInt8] {
        try labels(from: contents(of: path), file: path)
    }

    /// Labels from a file's bytes (already inflated), `file` naming it in errors.
    public static func labels(from bytes: [UInt8], file path: String) throws -> [UInt8] {
        let dims = try header(bytes, file: path, magic: labelsMagic, dimensions: 1)
        try expectLength(bytes, file: path, header: 8, payload: dims)
        let labels = Array(bytes[8...])
        if let bad = labels.firstIndex(where: { $0 > 9 }) {
            throw IDXError.labelOutOfRange(path, index: bad, label: labels[bad])
        }
        return labels
    }

    /// The file's bytes, inflated when gzip-compressed.
    static func contents(of path: String) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else { throw IDXError.missing(path) }
        guard let raw = FileManager.default.contents(atPath: path) else { throw IDXError.unreadable(path) }
        return try inflated(raw, file: path)
    }

    /// Bytes as stored on disk, inflated when they are a gzip stream. Inflation stops at the
    /// size the IDX header promises, so a small file that inflates to gigabytes (a gzip bomb)
    /// is an error, not a memory blow-up.
    public static func inflated(_ raw: Data, file: String) throws -> [UInt8] {
        guard Gzip.isCompressed(raw) else { return [UInt8](raw) }
        let head = Gzip.inflate(raw, limit: 16)
        guard head.status != .corrupt else { throw IDXError.corruptGzip(file) }
        let limit = promisedSize([UInt8](head.output.prefix(16))) ?? 16
        let full = Gzip.inflate(raw, limit: limit)
        switch full.status {
        case .complete: return [UInt8](full.output)
        case .corrupt: throw IDXError.corruptGzip(file)
        case .overLimit: throw IDXError.inflatesTooLarge(file, promised: limit)
        }
    }

    /// The file size an IDX header promises (header + payload), nil when the bytes are no IDX
    /// header of 1 to 3 dimensions or the size overflows.
    static func promisedSize(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 8, bytes[0] == 0, bytes[1] == 0 else { return nil }
        let dims = Int(bytes[3])
        guard (1...3).contains(dims), bytes.count >= 4 + 4 * dims else { return nil }
        var product = 1
        for k in 1...dims {
            let (p, overflow) = product.multipliedReportingOverflow(by: Int(bigEndianUInt32(bytes, at: 4 * k)))
            guard !overflow else { return nil }
            product = p
        }
        let (total, overflow) = product.addingReportingOverflow(4 + 4 * dims)
        return overflow ? nil : total
    }

    static func header(_ bytes: [UInt8], file: String, magic: UInt32, dimensions: Int) throws -> [Int] {
        let headerSize = 4 * (1 + dimensions)
        guard bytes.count >= headerSize else { throw IDXError.tooShort(file, bytes: bytes.count) }
        let found = bigEndianUInt32(bytes, at: 0)
        guard found == magic else { throw IDXError.wrongMagic(file, found: found, expected: magic) }
        return (1...dimensions).map { Int(bigEndianUInt32(bytes, at: 4 * $0)) }
    }

    /// Checks that the payload size the header promises is exactly what the file holds.
    /// Multiplies with overflow detection, so a header claiming billions of images is an error.
    static func expectLength(_ bytes: [UInt8], file: String, header: Int, payload dims: [Int]) throws {
        var expected = header
        var product = 1
        for d in dims {
            let (p, overflow) = product.multipliedReportingOverflow(by: d)
            guard !overflow else { throw IDXError.wrongLength(file, expected: Int.max, found: bytes.count) }
            product = p
        }
        expected += product
        guard expected == bytes.count else { throw IDXError.wrongLength(file, expected: expected, found: bytes.count) }
    }

    static func bigEndianUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Encodes images or labels as IDX bytes (uncompressed): for tests and tools.
    public static func encode(magic: UInt32, dimensions: [Int], payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        for word in [Int(magic)] + dimensions {
            let w = UInt32(word)
            out += [UInt8(w >> 24), UInt8(w >> 16 & 0xff), UInt8(w >> 8 & 0xff), UInt8(w & 0xff)]
        }
        return out + payload
    }
}
