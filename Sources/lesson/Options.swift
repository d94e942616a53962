import ArgumentParser
import Foundation
import LeNetCore
import LeNetFigures
import LeNetData
import LeNetModel

extension Variant: ExpressibleByArgument {}

/// Options that pick the model and the data.
struct ModelOptions: ParsableArguments {
    @Option(help: "Which LeNet-5: paper (1998) or keras (the usual tutorial's).")
    var variant: Variant = .paper

    @Option(
        help:
            "A folder with MNIST files (train-/t10k-images-idx3-ubyte[.gz] and labels); default: full MNIST from $LENET5_MNIST or Data/mnist, else the embedded 5,000 digits."
    )
    var data: String?

    @Flag(help: "Compute with the reference layers (the oracle) instead of the fast path.")
    var reference = false

    var path: ComputePath { reference ? .reference : .fast }

    /// The data: --data, else full MNIST where it is found, else the embedded digits.
    func splits(validationPerClass: Int = DataSource.validationPerClass) throws -> DataSplits {
        try DataSource.resolve(data, validationPerClass: validationPerClass)
    }
}

extension ModelOptions {
    /// Digits to show (`DataSplits.shownDigits`).
    func digitsForDisplay() throws -> Digits {
        let s = try splits()
        guard let d = s.shownDigits, d.count > 0 else { throw DataSourceError.noData(s.source) }
        return d
    }
}

extension FigureFormat {
    /// "png,svg": the formats a --format option names.
    static func list(_ text: String) throws -> [FigureFormat] {
        let formats = try text.split(separator: ",").map {
            guard let f = FigureFormat(rawValue: $0.trimmingCharacters(in: .whitespaces).lowercased()) else {
                throw OptionError("unknown format '\($0)' in --format: use png, svg, pdf")
            }
            return f
        }
        guard !formats.isEmpty else { throw OptionError("--format names no format") }
        return formats
    }
}

/// A bad option or argument: one line on stderr and a non-zero exit (ArgumentParser's
/// ValidationError would add the usage text).
struct OptionError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Output files checked before any work: none may name the same file as another output or
/// as an input (the weights read, the data), and each must be writable.
enum OutputPaths {
    /// A path with its folder's links resolved, so `a/../w.csv` and `w.csv` compare equal.
    static func canonical(_ path: String) -> String {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let folder = url.deletingLastPathComponent().resolvingSymlinksInPath()
        return folder.appendingPathComponent(url.lastPathComponent).resolvingSymlinksInPath().path
    }

    /// `outputs` and `inputs` are (option, path) pairs, e.g. ("--dump-logits", "w.csv").
    static func check(outputs: [(String, String)], inputs: [(String, String)] = []) throws {
        var seen: [String: String] = [:]
        for (option, path) in inputs { seen[canonical(path)] = option }
        for (option, path) in outputs {
            if let other = seen[canonical(path)] {
                throw OptionError("\(option) \(path) is the same file as \(other): give it another name")
            }
            seen[canonical(path)] = option
        }
        for (_, path) in outputs { try AtomicFile.checkWritable(path) }
    }
}
