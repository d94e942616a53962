import CZlib
import Foundation

/// Gzip decompression through zlib; plain bytes pass through untouched.
enum Gzip {
    /// Gzip streams start with the magic bytes 1f 8b.
    static func isCompressed(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1f && data[data.startIndex + 1] == 0x8b
    }

    /// Inflates a whole gzip stream. Returns nil when the stream is corrupt or truncated.
    static func inflate(_ data: Data) -> Data? {
        let r = inflate(data, limit: .max)
        return r.status == .complete ? r.output : nil
    }

    enum Status { case complete, corrupt, overLimit }

    /// Inflates until the stream ends, turns out corrupt, or the output passes `limit` bytes
    /// (then it stops at once: memory stays within `limit` plus one chunk).
    static func inflate(_ data: Data, limit: Int) -> (output: Data, status: Status) {
        var stream = z_stream()
        // 16 + MAX_WBITS: expect a gzip header and trailer, not a raw zlib stream.
        guard inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            return (Data(), .corrupt)
        }
        defer { inflateEnd(&stream) }
        var output = Data()
        let chunkSize = min(1 << 20, max(limit, 64))
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        var input = [UInt8](data)
        var status = Z_OK
        input.withUnsafeMutableBufferPointer { inBuffer in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = uInt(inBuffer.count)
            repeat {
                chunk.withUnsafeMutableBufferPointer { outBuffer in
                    stream.next_out = outBuffer.baseAddress
                    stream.avail_out = uInt(chunkSize)
                    status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    output.append(outBuffer.baseAddress!, count: chunkSize - Int(stream.avail_out))
                }
            } while status == Z_OK && (stream.avail_in > 0 || stream.avail_out == 0) && output.count <= limit
        }
        if output.count > limit { return (output, .overLimit) }
        return (output, status == Z_STREAM_END ? .complete : .corrupt)
    }
}
