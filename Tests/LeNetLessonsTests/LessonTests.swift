import Foundation
import LeNetReports
import LeNetData
import LeNetFigures
import LeNetLessons
import LeNetModel
import LeNetTraining
import XCTest

final class LessonTests: XCTestCase {
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("lessons-\(UUID())").path

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: output)
        super.tearDown()
    }

    /// A briefly trained model: one pass over 300 digits, so every figure has real content.
    static let model: TrainedModel = {
        let splits = try! DataSource.embedded()
        var config = TrainedModel.lessonConfig(epochs: 1)
        config.epochs = 1
        var trainer = Trainer(config: config)
        try! trainer.trainEpoch(
            splits.train!.subset(Array(stride(from: 0, to: 4_500, by: 15))), validation: splits.validation)
        return TrainedModel(net: trainer.net, log: trainer.log, config: config, origin: "test")
    }()

    func runner(model: TrainedModel = LessonTests.model) throws -> LessonRunner {
        let context = try LessonContext(model: model, splits: DataSource.embedded(), formats: [.png, .svg], scale: 1)
        return LessonRunner(
            library: try NotebookLibrary(), context: context, output: output, terminal: Terminal(), step: false)
    }

    /// Figures each lesson must write (issue: "at least these figures each").
    let expected: [Int: [String]] = [
        1: ["architecture", "input", "c1-kernels", "c1-maps", "c1-receptive-field", "c1-gradient"],
        2: ["architecture", "s2-maps", "s2-pooling-compare", "squashing"],
        3: ["architecture", "table-i", "c3-kernels", "c3-maps", "c3-health"],
        4: ["architecture", "s4-maps", "receptive-fields"],
        5: ["architecture", "c5-activations", "c5-health", "saturation-before-after"],
        6: ["architecture", "f6-vs-codes"],
        7: ["architecture", "rbf-scores", "loss-curve", "error-curves", "confusion", "misclassified"],
        8: [
            "gradient-sizes", "sdlm-steps", "curvature-histograms", "rate-table", "distortions", "flip-book-c1",
            "flip-book-f6",
        ],
        9: ["ablation"],
    ]

    func testEveryLessonWritesItsFiguresAndAPageThatReferencesThem() throws {
        let runner = try runner()
        XCTAssertEqual(runner.library.notebooks.map(\.number), Array(1...9))
        for notebook in runner.library.notebooks {
            let page = try runner.run(notebook)
            let html = try String(contentsOfFile: page, encoding: .utf8)
            let dir = runner.directory(notebook)
            for name in expected[notebook.number]! {
                for ext in ["png", "svg"] {
                    XCTAssertTrue(
                        FileManager.default.fileExists(atPath: "\(dir)/\(name).\(ext)"),
                        "lesson \(notebook.number): \(name).\(ext)")
                }
                XCTAssertTrue(html.contains("src=\"\(name).png\""), "lesson \(notebook.number)'s page shows \(name)")
            }
            // Every image the page shows exists.
            let sources =
                html.components(separatedBy: "src=\"").dropFirst().map { $0.prefix { $0 != "\"" } }
                + html.components(separatedBy: "srcset=\"").dropFirst().map { $0.prefix { $0 != "\"" } }
            XCTAssertTrue(html.contains("srcset=\""), "the SVGs are shown, the PNGs their fallback")
            XCTAssertTrue(html.contains("<figcaption>"), "figures have captions")
            // Captions carry the lesson's own words that introduce the figure (lesson 9's one
            // figure follows its table, with no words between).
            let introduced = notebook.blocks.indices.compactMap { i -> String? in
                guard i > 0, case .cell = notebook.blocks[i], case .markdown(let text) = notebook.blocks[i - 1] else {
                    return nil
                }
                let sentence = Notebook.firstSentence(of: text)
                return sentence.isEmpty ? nil : sentence
            }
            XCTAssertTrue(
                notebook.number == 9
                    || introduced.contains {
                        html.contains("</strong> " + $0.replacingOccurrences(of: "&", with: "&amp;"))
                    },
                "lesson \(notebook.number): a caption quotes the lesson's Markdown")
            for src in sources { XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dir)/\(src)"), "\(src)") }
            if notebook.number <= 7 {
                XCTAssertTrue(html.contains("matches the paper"), "lesson \(notebook.number) ends with its check")
            }
        }
        let index = try String(
            contentsOfFile: try runner.writeIndex(explorer: false, made: "made by the test", ledger: nil),
            encoding: .utf8)
        for n in 1...9 {
            XCTAssertTrue(index.contains("<a class=\"card\" href=\"lesson-\(n)/index.html\"><img src=\"lesson-\(n)/"))
        }
        // The network's layers link to their lessons: C3 to lesson 3, the output to lesson 7.
        XCTAssertTrue(index.contains("<a class=\"stage\" href=\"lesson-3/index.html\"><span class=\"stage-name\">C3<"))
        XCTAssertTrue(
            index.contains("<a class=\"stage\" href=\"lesson-7/index.html\"><span class=\"stage-name\">Output<"))
        XCTAssertTrue(index.contains("made by the test"))
    }

    /// Lesson 8's hand check of back-propagation really agrees with the finite difference.
    func testLesson8GradientCheckAgrees() throws {
        let runner = try runner(model: try XCTUnwrap(try TrainedModel.shipped()))
        runner.context.begin(lesson: 8, directory: output + "/lesson-8")
        try FileManager.default.createDirectory(atPath: output + "/lesson-8", withIntermediateDirectories: true)
        let text = try Cells.all["gradient-by-hand"]!(runner.context)
        let percent = try XCTUnwrap(text.components(separatedBy: "They differ by ").last?.prefix { $0 != "%" })
            .trimmingCharacters(in: .whitespaces)
        XCTAssertLessThan(try XCTUnwrap(Double(percent)), 1, text)
        let loss = try Cells.all["loss-terms"]!(runner.context)
        XCTAssertTrue(loss.contains("Equation 9"), loss)
    }

    /// Lesson 9 shows the shipped full-MNIST ablation: every row, three seeds, 10,000 test digits.
    func testLesson9ShowsTheShippedAblation() throws {
        let report = try XCTUnwrap(try Ablation.shipped(), "the build carries Resources/ablation-mnist.json")
        XCTAssertEqual(report.rows.map(\.key), Ablation.rows(.cumulative).map(\.key))
        for row in report.rows {
            XCTAssertEqual(row.seeds.count, 3, row.key)
            XCTAssertEqual(row.testDigits, PaperFacts.testDigits, row.key)
            XCTAssertEqual(row.parameters, Ablation.rows(.cumulative).first { $0.key == row.key }!.parameters, row.key)
        }
        XCTAssertEqual(report.passes, PaperFacts.passes)
        XCTAssertTrue(report.command.hasPrefix("lesson ablation"))
        // The paper row is `lesson reproduce`: its seed 1 is the shipped network, error for error.
        let shipped = try ShippedWeights.paper.load().provenance
        let seed = try XCTUnwrap(report.rows[0].seeds.first { $0.seed == shipped.seed })
        XCTAssertEqual(Int((seed.testError * Double(seed.testDigits)).rounded()), shipped.testErrors)
    }

    /// `lesson 9 --retrain` trains every row on the lesson's data and keeps the runs where
    /// `lesson ablation` finds them; a second run reuses them.
    func testLesson9RetrainsItsRows() throws {
        let runner = try runner()
        let folder = output + "/ablation/runs"
        runner.context.ablationSource = .retrain(folder: folder, passes: 1, seeds: 1)
        let page = try runner.run(try runner.library.notebook("9"))
        let html = try String(contentsOfFile: page, encoding: .utf8)
        for row in Ablation.rows(.cumulative) {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(folder)/\(row.key)-1p-seed0.json"), row.key)
            XCTAssertTrue(html.contains(row.label), row.key)
        }
        XCTAssertTrue(html.contains("within the noise") || html.contains("points"))
        let report = try runner.context.ablation.get()
        XCTAssertEqual(report.rows.count, 8)
        XCTAssertEqual(report.rows[0].testDigits, 500, "the embedded digits' held-out 500")
    }

    func testNoCellNameIsDefinedTwice() {
        XCTAssertEqual(Cells.duplicates, [])
    }

    func testEveryCellANotebookNamesExists() throws {
        for notebook in try NotebookLibrary().notebooks {
            XCTAssertFalse(notebook.cellNames.isEmpty)
            for name in notebook.cellNames { XCTAssertNotNil(Cells.all[name], "\(notebook.number): \(name)") }
        }
    }

    /// A lesson run again with nothing changed replays its cells; a changed network, or a
    /// figure gone from disk, makes them run again.
    func testCellsReplayOnlyWhenNothingTheyReadChanged() throws {
        let lesson2 = try NotebookLibrary().notebook("2")
        let cache = output + "/cache/cells-lesson-2.json"
        _ = try runner().run(lesson2)
        // Mark every stored text, so that a replay shows on the page.
        var stored = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: cache))) as? [String: Any])
        var cells = try XCTUnwrap(stored["cells"] as? [String: [String: Any]])
        XCTAssertFalse(cells.isEmpty)
        for name in cells.keys { cells[name]!["text"] = "REPLAYED \(name)" }
        stored["cells"] = cells
        try JSONSerialization.data(withJSONObject: stored).write(to: URL(fileURLWithPath: cache))
        func page(_ model: TrainedModel = LessonTests.model) throws -> String {
            try String(contentsOfFile: try runner(model: model).run(lesson2), encoding: .utf8)
        }
        XCTAssertTrue(try page().contains("REPLAYED s2-counts"), "the same model and data: replayed")
        try FileManager.default.removeItem(atPath: output + "/lesson-2/s2-maps.png")
        let again = try page()
        XCTAssertFalse(again.contains("REPLAYED s2-maps"), "its figure was gone: the cell ran")
        XCTAssertTrue(FileManager.default.fileExists(atPath: output + "/lesson-2/s2-maps.png"))
        XCTAssertTrue(again.contains("REPLAYED s2-counts"), "the other cells still replay")
        var other = LessonTests.model
        other.net.layers[1].parameters[0].value.scalars[0] += 0.5
        XCTAssertFalse(try page(other).contains("REPLAYED"), "other weights: every cell ran")
    }

    /// Lesson 5's before and after: the initialization as printed saturates more C5 units
    /// than the default after the same updates (on the embedded digits).
    func testAppendixAsPrintedSaturatesMoreOfC5ThanTheDefault() throws {
        let runner = try runner()
        runner.context.begin(lesson: 5, directory: output + "/lesson-5")
        try FileManager.default.createDirectory(atPath: output + "/lesson-5", withIntermediateDirectories: true)
        let text = try Cells.all["saturation-before-after"]!(runner.context)
        func saturated(_ row: String) throws -> Int {
            let line = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix(row) }, text)
            let counts = line.components(separatedBy: " of ")
            return try XCTUnwrap(Int(try XCTUnwrap(counts[1].split(separator: " ").last)), String(line))
        }
        let printed = try saturated("±2.4/Fᵢ as printed"), reading = try saturated("±√3/√Fᵢ (default)")
        XCTAssertGreaterThan(printed, reading + 50, text)
    }

    /// The printed numbers come from the model: C1 with 8 maps changes them.
    func testChangingTheModelChangesWhatTheLessonPrints() throws {
        let changed = TrainedModel(
            net: LeNet5(variant: .paper, seed: 1, c1Maps: 8), log: [], config: LessonTests.model.config, origin: "test")
        let context = try LessonContext(model: changed, splits: DataSource.embedded(), formats: [.svg], scale: 1)
        let counts = try Cells.all["c1-counts"]!(context)
        XCTAssertTrue(counts.contains("8 maps × (25 weights + 1 bias) = 208"), counts)
        XCTAssertTrue(counts.contains("163,072"), counts)  // 784 × 208
        let check = try Cells.all["check"]!(context)
        XCTAssertTrue(check.contains("✗"), check)
    }

    func testUnknownLessonIsAClearError() throws {
        let library = try NotebookLibrary()
        XCTAssertThrowsError(try library.notebook("10")) {
            XCTAssertEqual("\($0)", "unknown lesson '10': choose one of 1, 2, 3, 4, 5, 6, 7, 8, 9, all or list")
        }
        XCTAssertThrowsError(try library.notebook("x"))
    }

    func testNotebookParsing() {
        let nb = Notebook(number: 2, text: "# Title\n\nSome *words*.\n<!-- cell: a -->\nMore.\n  <!-- cell: b -->\n")
        XCTAssertEqual(nb.title, "Title")
        XCTAssertEqual(nb.blocks, [.markdown("# Title\n\nSome *words*."), .cell("a"), .markdown("More."), .cell("b")])
    }

    /// The lessons show the shipped full-MNIST network by default, with its run's per-pass
    /// test errors as the log; its last pass is the test error its file records.
    func testShippedModelIsTheLessonsDefault() throws {
        let model = try XCTUnwrap(try TrainedModel.shipped())
        let provenance = try XCTUnwrap(model.provenance)
        XCTAssertEqual(model.checkName, "test")
        XCTAssertEqual(model.log.count, 20)
        let last = try XCTUnwrap(model.log.last?.validationError)
        XCTAssertEqual(last, Double(try XCTUnwrap(provenance.testErrors)) / 10_000, accuracy: 1e-9)
        XCTAssertTrue(model.origin.contains("lesson reproduce"), model.origin)
    }

    /// The facts the lessons state, pinned so that they stay corrected.
    func testLessonFactsAgreeWithThePaperAndTheData() throws {
        // Lesson 1: the −0.1/1.175 mapping gives a mean near 0, but a variance far below 1 on MNIST.
        let train = try XCTUnwrap(DataSource.embedded().train)
        let t = train.batch(Array(0..<2_000), scaling: .paper)
        let mean = t.scalars.reduce(0, +) / Float(t.count)
        let variance = t.scalars.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(t.count)
        XCTAssertEqual(mean, 0.03, accuracy: 0.02)
        XCTAssertEqual(variance, 0.125, accuracy: 0.02, "the paper's 'variance about 1' does not hold for padded MNIST")
        // Lessons 2 and 6: f(±1) = ±1; f′(0) ≈ 1.14, f′(±1) ≈ 0.755; |f″| peaks at ±0.99, not at 0.
        let f = SquashingFacts()
        XCTAssertEqual(Activation.squash(1), 1, accuracy: 1e-4)
        XCTAssertEqual(f.slopeAt0, 1.144, accuracy: 1e-3)
        XCTAssertEqual(f.slopeAt1, 0.755, accuracy: 1e-3)
        XCTAssertEqual(f.maxCurvatureAt, 0.988, accuracy: 2e-3)
        // Lesson 6 says whose codes these are; lesson 4 what a bi-pyramid is; lesson 2 why A and S.
        let library = try NotebookLibrary()
        func text(_ n: Int) throws -> String {
            let notebook = try XCTUnwrap(library.notebooks.first { $0.number == n })
            return notebook.blocks.compactMap { if case .markdown(let m) = $0 { return m } else { return nil } }
                .joined(separator: " ").split(whereSeparator: \.isWhitespace).joined(separator: " ")
        }
        XCTAssertTrue(try text(6).contains("this project's own drawings of the ten digits, not the paper's"))
        XCTAssertTrue(try text(6).contains("points of maximum curvature"))
        XCTAssertFalse(try text(6).contains("steep"))
        XCTAssertTrue(try text(4).contains("number of maps grows"))
        XCTAssertTrue(try text(2).contains("|f″| is largest at ±1"))

        // Lesson 8's numbers, from the model and the recipe.
        let paper = LeNet5(variant: .paper)
        let c1 = try XCTUnwrap(paper.layer(named: "C1")), f6 = try XCTUnwrap(paper.layer(named: "F6"))
        let positions = paper.shapes[1][1] * paper.shapes[1][2]
        XCTAssertTrue(
            try text(8).contains("C1 has \(c1.trainableParameterCount) weights shared over \(positions) positions"))
        XCTAssertTrue(try text(8).contains("F6 has \(Format.count(f6.trainableParameterCount)) weights"))
        XCTAssertTrue(try text(8).contains("on \(PaperFacts.curvatureSamples) digits before each pass"))
        XCTAssertTrue(
            try text(8).contains(
                String(
                    format: "from %.4f down to %.5f over %d passes", PaperFacts.rateTable[0].rate, PaperFacts.finalRate,
                    PaperFacts.passes)))
        XCTAssertTrue(try text(8).contains("\(Format.count(PaperFacts.distortedPatterns)) distorted copies"))
        XCTAssertTrue(try text(8).contains("(\(Format.percent(PaperFacts.distortedTestError, digits: 1)) test error)"))
        XCTAssertTrue(
            try text(8).contains("\(PaperFacts.distortedPatterns / PaperFacts.trainingDigits) fixed distorted copies"))
        // Lesson 9's recipes are the rows' own.
        let rows = Ablation.rows(.cumulative)
        let momentum = try XCTUnwrap(rows.first { $0.key == "momentum" }).config,
            dl4j = try XCTUnwrap(rows.first { $0.key == "dl4j" }).config
        XCTAssertTrue(
            try text(9).contains(
                "(learning rate \(momentum.learningRate), momentum \(momentum.momentum), \(momentum.batchSize) digits a step)"
            ))
        XCTAssertTrue(try text(9).contains("Nesterov momentum at learning rate \(dl4j.learningRate)"))
        XCTAssertTrue(try text(9).contains("A = \(Activation.amplitude) and S = 2/3"))
        XCTAssertTrue(try text(9).contains("7×12 bitmaps"))
        XCTAssertEqual(RBFCodes.width * RBFCodes.height, 84)
    }
}

/// The training log file: one Codable type writes it and reads it back, NaN included.
final class TrainingLogTests: XCTestCase {
    func testTheLogFileRoundTrips() throws {
        var records = [
            EpochRecord(
                epoch: 1, learningRate: 0.0005, trainLoss: 19.3, trainError: 0.15, validationError: 0.07, seconds: 1),
            EpochRecord(
                epoch: 2, learningRate: 0.0002, trainLoss: .nan, trainError: 0.1, validationError: nil, seconds: 2),
        ]
        records[1].trainingSetError = .infinity
        let config = TrainingConfig.defaults(for: .paper)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("log-\(UUID()).json").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        let text = TrainingReport.json(records, config: config, source: "a/b")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertTrue(text.contains("\"train_loss\" : \"nan\""), text)
        XCTAssertTrue(text.contains("\"data\" : \"a/b\""), text)
        let back = try TrainingLog.read(path)
        XCTAssertEqual(back.log.count, 2)
        XCTAssertEqual(back.log[0], records[0])
        XCTAssertTrue(back.log[1].trainLoss.isNaN)
        XCTAssertEqual(back.log[1].trainingSetError, .infinity)
        XCTAssertEqual(back.variant, "paper")
        XCTAssertEqual(back.batch, config.batchSize)
        // What other tools read: valid JSON.
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(text.utf8)))
    }
}
