import ArgumentParser
import Foundation
import LeNetReports
import LeNetCore
import LeNetData
import LeNetFigures
import LeNetLessons
import LeNetModel

extension FigureFormat: ExpressibleByArgument {}

/// `lesson 3`, `lesson all`, `lesson list`: the notebooks.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a lesson (1–9), all of them, or list them. 'lesson 3' is short for 'lesson run 3'.")

    @Argument(help: "A lesson number, 'all' or 'list'.")
    var lesson: String

    @Option(
        help:
            "A folder with MNIST files; default: full MNIST from $LENET5_MNIST or Data/mnist, else the embedded 5,000 digits."
    )
    var data: String?
    @Option(help: "Where figures, pages and the cached model go.")
    var output: String = "Output"
    @Option(help: "Figure formats, comma-separated: png, svg, pdf.")
    var format: String = "png,svg"
    @Option(parsing: .unconditional, help: "PNG pixels per point (2 for hi-DPI).")
    var scale: Double = 1
    @Flag(help: "Wait for Enter between cells.")
    var step = false
    @Flag(help: "Train on the data instead of showing the shipped weights (cached in the output folder).")
    var retrain = false
    @Option(help: "Show these weights (paper variant, safetensors) instead of the shipped full-MNIST ones.")
    var weights: String?
    @Option(parsing: .unconditional, help: "Passes when the lessons train their model.")
    var epochs: Int = 12
    @Option(parsing: .unconditional, help: "The digit to follow through the network (index into the shown digits).")
    var sample: Int = 0
    @Option(help: "Follow this picture of a digit (PNG) through the lessons, prepared as MNIST's digits were.")
    var image: String?
    @Option(help: "The digit the --image picture shows, when you know it (else the network's answer stands in).")
    var label: Int?
    @Option(help: "The folder of lesson notebooks.")
    var lessons: String = NotebookLibrary.defaultFolder

    func validate() throws {
        guard epochs > 0 else { throw OptionError("--epochs must be a positive whole number, not \(epochs)") }
        guard scale > 0, scale <= 8 else { throw OptionError("--scale must be between 0 and 8, not \(scale)") }
        guard sample >= 0 else { throw OptionError("--sample must not be negative") }
        if let label, !(0...9).contains(label) { throw OptionError("--label must be a digit 0…9, not \(label)") }
        if label != nil, image == nil { throw OptionError("--label goes with --image") }
    }

    /// Seeds per row when lesson 9 retrains the ablation.
    static let ablationSeeds = 3

    func formats() throws -> [FigureFormat] { try FigureFormat.list(format) }

    func run() throws {
        let library = try NotebookLibrary(folder: lessons)
        if lesson == "list" {
            for nb in library.notebooks { print("\(nb.number)  \(nb.title)") }
            return
        }
        let chosen = lesson == "all" ? library.notebooks : [try library.notebook(lesson)]
        let formats = try self.formats()
        try OutputFolder.ensureWritable(output)
        let splits = try DataSource.resolve(data)
        let terminal = Terminal()
        terminal.note(splits.announcement)
        let progress = ProgressBar()
        let model = try TrainedModel.obtain(
            output: output, splits: splits, epochs: epochs, retrain: retrain, weights: weights,
            progress: { progress.update(label: $0, done: $1, total: $2) },
            epochDone: {
                progress.finish();
                terminal.note(TrainingReport.line($0, checkName: splits.checkName))
            })
        terminal.note("model: LeNet-5 (paper variant), \(model.origin)")
        var picture: LessonContext.Picture?
        if let image {
            let prepared = try DigitPicture(png: image)
            var digit = Digits(
                name: image, rows: DigitPicture.side, columns: DigitPicture.side, pixels: prepared.pixels, labels: [0])
            let answer = model.net.predictions(model.net.forward(digit.batch([0], scaling: model.net.scaling)))[0]
            digit.labels = [UInt8(label ?? answer)]
            picture = .init(digit: digit, labelKnown: label != nil, file: image, preparation: prepared.steps)
            terminal.note("following \(image): \(prepared.steps.joined(separator: "; ")); the network reads \(answer)")
        }
        let context = try LessonContext(
            model: model, splits: splits, sample: sample, picture: picture, formats: formats, scale: scale)
        if retrain {
            // Lesson 9 trains its rows on the same data and passes, in `lesson ablation`'s folder.
            context.ablationSource = .retrain(
                folder: "\(output)/ablation/runs", passes: epochs, seeds: Run.ablationSeeds)
            context.ablationProgress = {
                progress.update(label: "\($0) seed \($1) pass \($2)/\(epochs)", done: $3, total: $4)
            }
        }
        let runner = LessonRunner(library: library, context: context, output: output, terminal: terminal, step: step)
        for nb in chosen { try runner.validate(nb) }
        for nb in chosen { try runner.run(nb) }
        // The explorer: the same network and digits, in the browser.
        var explorer = false
        if let digits = splits.shownDigits, digits.count > sample {
            var shown = digits.subset(Explorer.choose(from: digits, first: sample), name: digits.name)
            if let picture {
                shown = Digits(
                    name: digits.name, rows: shown.rows, columns: shown.columns,
                    pixels: picture.digit.pixels + shown.pixels.dropLast(shown.rows * shown.columns),
                    labels: picture.digit.labels + shown.labels.dropLast())
            }
            let page = try Explorer.write(
                net: model.net, digits: shown, origin: model.origin, to: "\(output)/explorer")
            terminal.note("explorer written: \(page)")
            explorer = true
        }
        if lesson == "all" {
            let ledger = try? String(
                contentsOfFile: "\(output)/reproduce/\(Reproduce.ledgerFile)", encoding: .utf8)
            let made =
                "Made by “lesson all”. \(splits.announcement.prefix(1).uppercased() + splits.announcement.dropFirst()). Model: LeNet-5 (paper variant), \(model.origin)."
            terminal.note("index written: \(try runner.writeIndex(explorer: explorer, made: made, ledger: ledger))")
        }
    }
}

enum OutputFolder {
    /// Fails early, with one line, when the output folder cannot be created or written.
    static func ensureWritable(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw OptionError("\(path): cannot create the output folder")
        }
        guard FileManager.default.isWritableFile(atPath: path) else {
            throw OptionError("\(path): the output folder is not writable")
        }
    }
}
