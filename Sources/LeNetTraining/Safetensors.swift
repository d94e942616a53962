import Foundation
import LeNetCore
import LeNetData
import LeNetModel

/// What can be wrong with a weights file; each case names the file and, where one is at
/// fault, the tensor.
public enum WeightsError: Error, Equatable, CustomStringConvertible {
    case unreadable(String)
    case truncated(String)
    case headerTooLong(String, headerBytes: UInt64, fileBytes: Int)
    case headerNotJSON(String)
    case badEntry(String, tensor: String, reason: String)
    case offsetsOutside(String, tensor: String)
    case missing(String, tensor: String, hint: String)
    case unexpected(String, tensor: String)
    case wrongShape(String, tensor: String, expected: [Int], found: [Int])
    case wrongDtype(String, tensor: String, found: String)
    case scalingMismatch(String, recorded: String, given: String)

    public var description: String {
        switch self {
        case .unreadable(let f): return "\(f): cannot be read"
        case .truncated(let f): return "\(f): too short for a safetensors file (truncated?)"
        case .headerTooLong(let f, let h, let n): return "\(f): header length \(h) is larger than the file (\(n) bytes)"
        case .headerNotJSON(let f): return "\(f): the header is not a JSON object"
        case .badEntry(let f, let t, let r): return "\(f): tensor \(t): \(r)"
        case .offsetsOutside(let f, let t): return "\(f): tensor \(t): data offsets lie outside the file"
        case .missing(let f, let t, let hint): return "\(f): no tensor \(t)\(hint)"
        case .unexpected(let f, let t): return "\(f): unexpected tensor \(t)"
        case .wrongShape(let f, let t, let e, let s): return "\(f): tensor \(t) has shape \(s), expected \(e)"
        case .wrongDtype(let f, let t, let d): return "\(f): tensor \(t) has dtype \(d), expected F32"
        case .scalingMismatch(let f, let r, let g):
            return
                "\(f): these weights were trained on '\(r)' inputs, not the '\(g)' of --scaling (leave --scaling out)"
        }
    }
}

/// The safetensors format: an 8-byte little-endian header length, a JSON header naming each
/// tensor's dtype, shape and [begin, end) byte offsets into the data that follows, then the
/// data. We read and write F32 only.
public enum Safetensors {
    public struct Entry: Equatable {
        public var name: String
        public var shape: [Int]
        public var scalars: [Float]

        public init(name: String, shape: [Int], scalars: [Float]) {
            self.name = name
            self.shape = shape
            self.scalars = scalars
        }
    }

    public static func encode(_ entries: [Entry], metadata: [String: String] = [:]) -> Data {
        var header: [String: Any] = [:]
        var offset = 0
        for e in entries {
            header[e.name] = [
                "dtype": "F32", "shape": e.shape, "data_offsets": [offset, offset + 4 * e.scalars.count],
            ]
            offset += 4 * e.scalars.count
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad with spaces so the data starts 8-byte aligned, as the format recommends.
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        var out = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        for e in entries {
            e.scalars.withUnsafeBufferPointer { buffer in
                for v in buffer { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
            }
        }
        return out
    }

    public static func decode(_ data: Data, file: String) throws -> [Entry] {
        try decodeWithMetadata(data, file: file).entries
    }

    /// The tensors and the header's string-to-string `__metadata__`.
    public static func decodeWithMetadata(_ data: Data, file: String) throws -> (
        entries: [Entry], metadata: [String: String]
    ) {
        let bytes = [UInt8](data)
        guard bytes.count >= 8 else { throw WeightsError.truncated(file) }
        let headerLength = bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw WeightsError.headerTooLong(file, headerBytes: headerLength, fileBytes: bytes.count)
        }
        let dataStart = 8 + Int(headerLength)
        guard let header = try? JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart])) as? [String: Any] else {
            throw WeightsError.headerNotJSON(file)
        }
        var entries: [Entry] = []
        for (name, value) in header.sorted(by: { $0.key < $1.key }) where name != "__metadata__" {
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2
            else { throw WeightsError.badEntry(file, tensor: name, reason: "needs dtype, shape and data_offsets") }
            guard dtype == "F32" else { throw WeightsError.wrongDtype(file, tensor: name, found: dtype) }
            guard shape.allSatisfy({ $0 >= 0 && $0 < 1 << 31 }) else {
                throw WeightsError.badEntry(file, tensor: name, reason: "invalid shape \(shape)")
            }
            let count = shape.reduce(1, *)
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, end >= begin, end <= bytes.count - dataStart else {
                throw WeightsError.offsetsOutside(file, tensor: name)
            }
            guard end - begin == 4 * count else {
                throw WeightsError.badEntry(
                    file, tensor: name, reason: "\(end - begin) bytes of data for \(count) F32 values")
            }
            let scalars = (0..<count).map { k -> Float in
                let p = dataStart + begin + 4 * k
                let bits =
                    UInt32(bytes[p]) | UInt32(bytes[p + 1]) << 8 | UInt32(bytes[p + 2]) << 16 | UInt32(bytes[p + 3])
                    << 24
                return Float(bitPattern: bits)
            }
            entries.append(Entry(name: name, shape: shape, scalars: scalars))
        }
        return (entries, header["__metadata__"] as? [String: String] ?? [:])
    }
}

/// LeNet-5 weights as safetensors, with the names and shapes PyTorch's `state_dict()` gives
/// for the equivalent module, so weights move both ways.
public enum Weights {
    /// C5 is saved as PyTorch's Linear over S4 flattened (channel, row, column): (120, 400).
    static func savedShape(_ p: Parameter) -> [Int] {
        p.name == "c5.weight" ? [p.value.shape[0], p.value.count / p.value.shape[0]] : p.value.shape
    }

    /// The weights, with `metadata` (provenance) beside the variant in the header.
    public static func encode(_ net: LeNet5, metadata: [String: String] = [:]) -> Data {
        Safetensors.encode(
            net.parameters.map { .init(name: $0.name, shape: savedShape($0), scalars: $0.value.scalars) },
            metadata: metadata.merging(
                [
                    "variant": net.variant.rawValue, "model": "LeNet-5",
                    "scaling": net.scaling.rawValue,
                ].merging(net.architecture.linearConvolutions ? [Weights.convolutionsKey: "linear"] : [:]) { a, _ in a }
            ) { _, fixed in fixed })
    }

    /// Recorded only for networks whose C1 and C3 have no squashing function (the seed's
    /// DL4J example), so every other file stays byte for byte as before.
    static let convolutionsKey = "convolutions"

    /// The network with the layers its file records: linear C1 and C3 when it says so.
    static func recordedArchitecture(_ net: LeNet5, _ metadata: [String: String], file: String) throws -> LeNet5 {
        guard let text = metadata[convolutionsKey] else { return net }
        guard text == "linear" else {
            throw WeightsError.badEntry(
                file, tensor: "__metadata__", reason: "unknown convolutions '\(text)' (only 'linear' is recorded)")
        }
        var architecture = net.architecture
        architecture.linearConvolutions = true
        var linear = LeNet5(architecture: architecture, scaling: net.scaling)
        for l in linear.layers.indices { linear.layers[l].parameters = net.layers[l].parameters }
        return linear
    }

    public static func save(_ net: LeNet5, to path: String, metadata: [String: String] = [:]) throws {
        try AtomicFile.write(encode(net, metadata: metadata), to: path)
    }

    /// Where a loaded network's input scaling came from.
    public enum ScalingSource: Sendable, Equatable {
        /// The file's `__metadata__` records it.
        case recorded
        /// The file records none (PyTorch's files, say); the caller's `--scaling` decided.
        case given
        /// The file records none and none was given: the variant's default.
        case variantDefault

        public var description: String {
            switch self {
            case .recorded: return "recorded in the file"
            case .given: return "from --scaling; the file records none"
            case .variantDefault:
                return "the variant's default; the file records none (pass --scaling if it was trained otherwise)"
            }
        }
    }

    /// The network and the header's metadata. The input scaling is the one the file records;
    /// `scaling` is for files that record none, and differing from a recorded one is an error.
    public static func loadWithMetadata(_ path: String, variant: Variant, scaling: InputScaling? = nil) throws
        -> (net: LeNet5, metadata: [String: String], scalingSource: ScalingSource)
    {
        guard let data = FileManager.default.contents(atPath: path) else { throw WeightsError.unreadable(path) }
        let (entries, metadata) = try Safetensors.decodeWithMetadata(data, file: path)
        var net = try network(from: entries, file: path, variant: variant)
        let source: ScalingSource
        if let text = metadata["scaling"] {
            guard let recorded = InputScaling(rawValue: text) else {
                throw WeightsError.badEntry(
                    path, tensor: "__metadata__", reason: "unknown scaling '\(text)' (paper, standard or unit)")
            }
            if let scaling, scaling != recorded {
                throw WeightsError.scalingMismatch(path, recorded: recorded.rawValue, given: scaling.rawValue)
            }
            net.scaling = recorded
            source = .recorded
        } else {
            net.scaling = scaling ?? variant.inputScaling
            source = scaling == nil ? .variantDefault : .given
        }
        return (try recordedArchitecture(net, metadata, file: path), metadata, source)
    }

    public static func load(_ path: String, variant: Variant, scaling: InputScaling? = nil) throws -> LeNet5 {
        try loadWithMetadata(path, variant: variant, scaling: scaling).net
    }

    /// Checks every tensor's name, dtype and shape against the variant's network.
    public static func decode(_ data: Data, file: String, variant: Variant) throws -> LeNet5 {
        let (entries, metadata) = try Safetensors.decodeWithMetadata(data, file: file)
        return try recordedArchitecture(network(from: entries, file: file, variant: variant), metadata, file: file)
    }

    /// The network whose parameters these entries hold; any other entry is an error.
    static func network(from list: [Safetensors.Entry], file: String, variant: Variant) throws -> LeNet5 {
        let entries = Dictionary(list.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var net = LeNet5(variant: variant)
        let expected = Set(net.parameters.map(\.name))
        let other: Variant = variant == .paper ? .keras : .paper
        let otherOnly = Set(LeNet5(variant: other).parameters.map(\.name)).subtracting(expected)
        if let stray = entries.keys.sorted().first(where: { !expected.contains($0) }) {
            throw otherOnly.contains(stray)
                ? WeightsError.missing(
                    file, tensor: net.parameters.map(\.name).first { entries[$0] == nil } ?? stray,
                    hint: " (these look like \(other.rawValue)-variant weights; pass --variant \(other.rawValue))")
                : WeightsError.unexpected(file, tensor: stray)
        }
        for l in net.layers.indices {
            var params = net.layers[l].parameters
            for p in params.indices {
                let name = params[p].name
                guard let e = entries[name] else { throw WeightsError.missing(file, tensor: name, hint: "") }
                let shapes = [params[p].value.shape, savedShape(params[p])]
                guard shapes.contains(e.shape) else {
                    throw WeightsError.wrongShape(file, tensor: name, expected: savedShape(params[p]), found: e.shape)
                }
                if let bad = e.scalars.firstIndex(where: { !$0.isFinite }) {
                    throw WeightsError.badEntry(
                        file, tensor: name, reason: "value \(bad) is \(e.scalars[bad]): weights must be finite numbers")
                }
                params[p].value.scalars = e.scalars
            }
            net.layers[l].parameters = params
        }
        return net
    }
}
