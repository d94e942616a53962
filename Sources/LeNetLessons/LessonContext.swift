import Foundation
import LeNetReports
import LeNetCore
import LeNetData
import LeNetFigures
import LeNetModel
import LeNetTraining

/// What a cell works with: the trained model, the data, one digit to follow through the
/// network, and where figures go.
public final class LessonContext {
    public let model: TrainedModel
    public let splits: DataSplits
    /// The digits lessons show and evaluate on: the test digits when there are any, else validation.
    public let digits: Digits
    /// The digit followed through the network.
    public let sample: Int
    public let formats: [FigureFormat]
    public let scale: Double
    /// Figures of the cell running now, as file names relative to `directory`.
    var written: [WrittenFigure] = []
    public private(set) var directory: String = ""
    /// The lesson running now (1–7).
    public private(set) var lesson = 1

    /// Set when the lessons follow a picture (`lesson N --image`) rather than a data set's digit.
    public let picture: Picture?

    /// A picture the lessons follow: its digit (28×28, prepared as MNIST's), whether its label
    /// was given, and where it came from.
    public struct Picture: Sendable {
        public var digit: Digits
        public var labelKnown: Bool
        public var file: String
        /// What was done to make it an MNIST digit.
        public var preparation: [String]
        public init(digit: Digits, labelKnown: Bool, file: String, preparation: [String]) {
            self.digit = digit
            self.labelKnown = labelKnown
            self.file = file
            self.preparation = preparation
        }
    }

    public init(
        model: TrainedModel, splits: DataSplits, sample: Int = 0, picture: Picture? = nil, formats: [FigureFormat],
        scale: Double
    ) throws {
        self.model = model
        self.splits = splits
        self.picture = picture
        guard let digits = picture?.digit ?? splits.shownDigits, digits.count > 0 else {
            throw DataSourceError.noData(splits.source)
        }
        self.digits = digits
        self.sample = min(picture == nil ? sample : 0, digits.count - 1)
        self.formats = formats
        self.scale = scale
    }

    public var net: LeNet5 { model.net }

    /// Where lesson 9's table comes from: the shipped full-MNIST one, or (`--retrain`) runs
    /// on this context's data, kept in a folder shared with `lesson ablation`.
    public enum AblationSource: Sendable {
        case shipped
        case retrain(folder: String, passes: Int, seeds: Int)
    }

    public var ablationSource: AblationSource = .shipped
    /// Reports (row, seed, pass, done, total) while lesson 9 trains its rows.
    public var ablationProgress: (String, Int, Int, Int, Int) -> Void = { _, _, _, _, _ in }

    /// Lesson 9's table, trained on first use when asked to.
    public lazy var ablation: Result<Ablation.Report, Error> = Result { try measureAblation() }

    func measureAblation() throws -> Ablation.Report {
        switch ablationSource {
        case .shipped:
            guard let report = try Ablation.shipped() else {
                throw AblationError(file: "the shipped ablation-mnist.json (rebuild with 'swift build')")
            }
            return report
        case .retrain(let folder, let passes, let seeds):
            guard let train = splits.train, let test = splits.heldOut else {
                throw DataSourceError.noData(splits.source)
            }
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let store = Ablation.Store(folder: folder, passes: passes, data: splits.identity)
            for row in Ablation.rows(.cumulative) {
                for seed in 0..<seeds {
                    _ = try store.obtain(
                        row, seed: seed, train: train, test: test,
                        progress: { [ablationProgress] in ablationProgress(row.key, seed, $0, $1, $2) })
                }
            }
            return store.report(
                .cumulative, seeds: seeds,
                command:
                    "lesson ablation --passes \(passes) --seeds \(seeds) --output \((folder as NSString).deletingLastPathComponent)",
                description: splits.summary)
        }
    }

    /// The sample digit as the network sees it, (1, 1, 32, 32).
    public lazy var input: Tensor = digits.batch([sample], scaling: net.scaling)
    /// The input and every layer's output for the sample digit.
    public lazy var trace: [Tensor] = net.trace(input)
    /// The sample digit forward through the reference layers and back, for the lessons'
    /// hand-computed derivatives.
    /// What the replayable cells read, for `CellReplay`.
    lazy var replayKey: String = computeReplayKey()
    public lazy var backwardTrip = BackwardTrip(net: net, input: input, label: sampleLabel)
    public lazy var evaluation: Evaluation = Evaluation(net: net, digits: digits)
    public lazy var report: ModelReport = ModelReport(net: net, input: input)
    /// Dead C3 maps and saturated C5 units, measured on up to 500 of the shown digits.
    public lazy var health: UnitHealth = UnitHealth(
        net: net, inputs: digits.batch(Array(0..<min(500, digits.count)), scaling: net.scaling))

    public var sampleLabel: Int { Int(digits.labels[sample]) }

    /// "digit 3", or "your picture (photo.png)": what the lessons call the digit they follow.
    public var sampleName: String {
        picture.map { "your picture (\(($0.file as NSString).lastPathComponent))" } ?? "digit \(sample)"
    }

    /// `sampleName` with a capital letter, to start a sentence or a title.
    public var SampleName: String { sampleName.prefix(1).uppercased() + sampleName.dropFirst() }

    /// "label 3", or, for a picture whose digit was not given, "read as 3, label not given".
    public var labelText: String {
        picture?.labelKnown == false ? "read as \(sampleLabel), label not given" : "label \(sampleLabel)"
    }

    /// The output of the layer with this name for the sample digit.
    public func output(of layer: String) -> Tensor {
        guard let i = net.layers.firstIndex(where: { $0.name == layer }) else {
            preconditionFailure("no layer \(layer)")
        }
        return trace[i + 1]
    }

    public func layer<L: Layer>(_ name: String, as type: L.Type) -> L {
        net.layer(named: name) as! L
    }

    public func begin(lesson: Int, directory: String) {
        self.lesson = lesson
        self.directory = directory
    }

    /// Writes a figure in every requested format; the lesson lists the first.
    public func save(_ figure: any Figure, as name: String) throws {
        for format in formats {
            try figure.write(to: "\(directory)/\(name).\(format.rawValue)", scale: scale)
        }
        written.append(WrittenFigure(name: name, formats: formats, title: figure.title))
    }

    func takeWritten() -> [WrittenFigure] {
        defer { written = [] }
        return written
    }

    /// Rows of (name, shape) for the architecture diagram, from the model.
    public var stages: [ArchitectureDiagram.Stage] {
        [ArchitectureDiagram.Stage(name: "input", shape: report.inputShape, note: "digit, padded")]
            + report.layers.map { .init(name: $0.name, shape: $0.shape, note: Self.shortKind($0.kind)) }
    }

    static func shortKind(_ kind: String) -> String {
        kind.hasPrefix("convolution")
            ? (kind.contains("partial") ? "conv, Table I" : "convolution")
            : kind.hasPrefix("subsampling")
                ? "subsampling"
                : kind.hasPrefix("average")
                    ? "avg pooling"
                    : kind.hasPrefix("fully") ? "full" : "RBF"
    }

    /// The layer's row of the check against the paper, as a small table.
    public func check(_ name: String) -> String {
        ModelTables.verification(report, only: name).rendered
    }
}

/// A figure a cell wrote: its file name without extension, the formats written, its title.
public struct WrittenFigure: Sendable {
    public var name: String
    public var formats: [FigureFormat]
    public var title: String

    /// The file the terminal names: the first format's.
    public var file: String { "\(name).\(formats[0].rawValue)" }
}
