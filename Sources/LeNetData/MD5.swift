import Crypto
import Foundation

/// MD5, to check MNIST files against their published sums (not for security): swift-crypto's
/// `Insecure.MD5`, fed in pieces so that a file is never held whole for its sum.
public enum MD5 {
    public static func hex(_ bytes: [UInt8]) -> String { hex(Insecure.MD5.hash(data: bytes)) }

    public static func hex(_ data: Data) -> String { hex(Insecure.MD5.hash(data: data)) }

    /// The MD5 of a file, read 1 MiB at a time; nil when it cannot be read.
    public static func hex(fileAt path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var md5 = Insecure.MD5()
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty { md5.update(data: chunk) }
        return hex(md5.finalize())
    }

    static func hex(_ digest: Insecure.MD5Digest) -> String { digest.map { String(format: "%02x", $0) }.joined() }
}

extension Digits {
    /// Whether these digits are exactly one of MNIST's files, by the MD5 of the IDX content
    /// they would be written as (header, then bytes).
    public func isContent(images: MNISTFile, labels: MNISTFile) -> Bool {
        guard rows * columns * count + 16 == images.contentSize, count + 8 == labels.contentSize else { return false }
        func header(_ magic: UInt8, _ sizes: [Int]) -> [UInt8] {
            [0, 0, 8, magic]
                + sizes.flatMap { v in (0..<4).reversed().map { UInt8(truncatingIfNeeded: v >> ($0 * 8)) } }
        }
        var l = Insecure.MD5()
        l.update(data: header(1, [count]))
        l.update(data: self.labels)
        guard MD5.hex(l.finalize()) == labels.contentMD5 else { return false }
        var i = Insecure.MD5()
        i.update(data: header(3, [count, rows, columns]))
        i.update(data: pixels)
        return MD5.hex(i.finalize()) == images.contentMD5
    }
}
