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
