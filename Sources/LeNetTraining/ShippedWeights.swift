import Foundation
import LeNetData
import LeNetModel

/// Weights trained on full MNIST that ship with the tool, so that every lesson shows a
/// paper-quality network from its first run. Each file's header records how it was made
/// (command, seed, data, measured errors); `Resources/SHIPPED.md` says the same in prose.
public enum ShippedWeights: String, CaseIterable, Sendable {
    /// `lesson reproduce`: the paper variant, 20 passes over the 60,000 digits (median seed).
    case paper = "paper-mnist"
    /// `lesson reproduce --distortions`: with 9 distorted copies of each digit (median seed).
    case paperDistorted = "paper-mnist-distorted"
    /// `lesson train --variant keras` on the 60,000 digits.
    case keras = "keras-mnist"

    public var variant: Variant { self == .keras ? .keras : .paper }

    /// The shipped weights `eval` and the lessons use when given none.
    public static func `default`(for variant: Variant) -> ShippedWeights { variant == .keras ? .keras : .paper }

    /// The file inside the build's resources, or nil when this build does not carry it.
    public var path: String? {
        Bundle.module.path(forResource: rawValue, ofType: "safetensors", inDirectory: "Resources")
    }

    /// Whether `net` holds this file's weights bit for bit: every parameter of every layer,
    /// its shape and each number's bit pattern (`lesson bench --reproduce` asks it of a fresh
    /// run of the command that made the file).
    public func hasTheWeights(of net: LeNet5) throws -> Bool {
        let shipped = try load().net.parameters, given = net.parameters
        return shipped.count == given.count
            && zip(shipped, given).allSatisfy { p, q in
                p.value.shape == q.value.shape && p.value.scalars.map(\.bitPattern) == q.value.scalars.map(\.bitPattern)
            }
    }

    public func load() throws -> (net: LeNet5, provenance: Provenance) {
        guard let path else {
            throw WeightsError.unreadable("shipped weights \(rawValue).safetensors (rebuild with 'swift build')")
        }
        let (net, metadata, _) = try Weights.loadWithMetadata(path, variant: variant)
        return (net, Provenance(metadata))
    }
}

/// The weights a command was told to use (`--weights`), else the variant's shipped ones.
public struct ChosenWeights {
    public var net: LeNet5
    public var metadata: [String: String]
    public var scalingSource: Weights.ScalingSource
    /// "Output/w.safetensors", or "shipped paper-mnist (lesson reproduce --seed 1, seed 1)".
    public var origin: String

    public init(_ weights: String?, variant: Variant, scaling: InputScaling?) throws {
        let path: String
        if let weights {
            path = weights
        } else {
            let shipped = ShippedWeights.default(for: variant)
            guard let shippedPath = shipped.path else {
                throw WeightsError.unreadable("shipped weights \(shipped.rawValue).safetensors")
            }
            path = shippedPath
        }
        (net, metadata, scalingSource) = try Weights.loadWithMetadata(path, variant: variant, scaling: scaling)
        if let weights {
            origin = weights
        } else {
            let p = Provenance(metadata)
            origin =
                "shipped \(ShippedWeights.default(for: variant).rawValue) (\(p.command ?? "?"), seed \(p.seed.map(String.init) ?? "?"))"
        }
    }

    /// "input scaling: paper (recorded in the file)".
    public var scalingLine: String { "input scaling: \(net.scaling.rawValue) (\(scalingSource.description))" }
}

/// How a weights file was made, as its header records it.
public struct Provenance: Sendable {
    public var command: String?
    public var seed: UInt64?
    /// Misclassified test digits and the size of the test set when the weights were made.
    public var testErrors: Int?
    public var testDigits: Int?
    public var trainingError: Double?
    public var data: String?
    /// Per pass: test error, training-set error and training loss, for the lessons' curves.
    public var passes: [(test: Double, training: Double?, loss: Float?)]

    public init(_ metadata: [String: String]) {
        command = metadata["command"]
        seed = metadata["seed"].flatMap { UInt64($0) }
        testErrors = metadata["test_errors"].flatMap { Int($0) }
        testDigits = metadata["test_digits"].flatMap { Int($0) }
        trainingError = metadata["training_error"].flatMap { Double($0) }
        data = metadata["data"]
        passes = (metadata["log"] ?? "").split(separator: ";").compactMap { entry in
            let parts = entry.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard parts.count >= 2, let t = Double(parts[0]) else { return nil }
            return (t, Double(parts[1]), parts.count > 2 ? Float(parts[2]) : nil)
        }
    }

    /// This tool's version, written into the weights it makes.
    public static let toolVersion = "0.3.0"

    /// The metadata a run writes into its weights file.
    public static func metadata(
        command: String, seed: UInt64, test: Evaluation, trainingError: Double?, data: String,
        log: [EpochRecord]
    ) -> [String: String] {
        var m = [
            "command": command, "seed": "\(seed)", "test_errors": "\(test.errors)", "test_digits": "\(test.count)",
            "data": data, "tool": "lenet5-lessons \(Provenance.toolVersion)",
            "log": log.map {
                "\($0.validationError.map { "\($0)" } ?? ""),\($0.trainingSetError.map { "\($0)" } ?? ""),\($0.trainLoss)"
            }.joined(separator: ";"),
        ]
        if let trainingError { m["training_error"] = "\(trainingError)" }
        return m
    }
}
