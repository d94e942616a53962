import Foundation
import LeNetCore
import LeNetData
import LeNetModel

/// The road from the paper's LeNet-5 to the seed's Keras and DL4J models, one change at a
/// time (`lesson ablation`, lesson 9). Every row is trained and measured the same way.
public enum Ablation {
    /// How the rows are built: each change on top of the previous ones, or each alone on
    /// top of the paper.
    public enum Path: String, Sendable, CaseIterable, Codable {
        case cumulative, single
    }

    /// One way of building and training the network.
    public struct Row: Sendable {
        /// A short name used in file names and `--rows`: "full-c3".
        public var key: String
        /// What changed: "Table I → full C3".
        public var change: String
        /// A label short enough for a chart's axis: "full C3".
        public var label: String
        public var architecture: Architecture
        public var config: TrainingConfig

        /// The untrained network of this row (for its counts).
        public var network: LeNet5 { LeNet5(architecture: architecture, scaling: config.scaling ?? .paper) }
        public var parameters: Int { network.trainableParameterCount }
        public var connections: Int { network.connections }

        /// The row's recipe with this seed and number of passes.
        public func config(seed: UInt64, passes: Int) -> TrainingConfig {
            var c = config
            c.seed = seed
            c.epochs = passes
            return c
        }
    }

    /// The paper as-is: its architecture, inputs, initialization and recipe (`lesson reproduce`).
    static var paperConfig: TrainingConfig {
        var c = TrainingConfig.defaults(for: .paper)
        c.architecture = .paper
        c.scaling = .paper
        c.initialization = .paper
        return c
    }

    /// The changes, in the order the cumulative path applies them.
    static let changes:
        [(
            key: String, label: String, change: String,
            apply: @Sendable (inout Architecture, inout TrainingConfig) -> Void
        )] = [
            ("full-c3", "full C3", "Table I → full C3", { a, _ in a.c3 = .full }),
            (
                "average-pooling", "avg pool", "trainable subsampling → average pooling",
                { a, _ in a.pooling = .average }
            ),
            ("tanh", "tanh", "scaled tanh → tanh", { a, _ in a.squashing = .tanh }),
            (
                "softmax", "softmax", "RBF output, eq. 9 → dense softmax, cross-entropy",
                { a, c in
                    a.output = .dense
                    c.loss = .crossEntropy
                }
            ),
            (
                "momentum", "momentum", "SDLM → momentum SGD (lr 0.01, 0.9, batch 32)",
                { _, c in
                    let keras = TrainingConfig.defaults(for: .keras)
                    c.optimizer = keras.optimizer
                    c.learningRate = keras.learningRate
                    c.momentum = keras.momentum
                    c.batchSize = keras.batchSize
                    c.schedule = keras.schedule
                    c.curvatureMemory = 0
                }
            ),
        ]

    /// The rows of a path, the paper first, then the seed's Keras and DL4J models.
    public static func rows(_ path: Path) -> [Row] {
        var rows = [
            Row(key: "paper", change: "the paper as-is", label: "paper", architecture: .paper, config: paperConfig)
        ]
        var architecture = Architecture.paper, config = paperConfig
        for change in changes {
            if path == .single { architecture = .paper; config = paperConfig }
            change.apply(&architecture, &config)
            config.architecture = architecture
            rows.append(
                Row(
                    key: path == .single ? "only-\(change.key)" : change.key, change: change.change,
                    label: path == .single ? "only \(change.label)" : "+ \(change.label)",
                    architecture: architecture, config: config))
        }
        for example in SeedExample.allCases {
            rows.append(
                Row(
                    key: example.rawValue, change: example.change, label: example.label,
                    architecture: example.config.architecture!, config: example.config))
        }
        return rows
    }

    /// One training run of one row with one seed.
    public struct Run: Codable, Sendable, Equatable {
        public var row: String
        public var seed: UInt64
        public var passes: Int
        public var testError: Double
        public var testDigits: Int
        public var trainingError: Double
        public var trainingDigits: Int
        public var seconds: Double
        /// Where the digits came from (DataSource's description).
        public var data: String

        enum CodingKeys: String, CodingKey {
            case row, seed, passes, seconds, data
            case testError = "test_error", testDigits = "test_digits"
            case trainingError = "training_error", trainingDigits = "training_digits"
        }

        public init(
            row: String, seed: UInt64, passes: Int, testError: Double, testDigits: Int, trainingError: Double,
            trainingDigits: Int, seconds: Double, data: String
        ) {
            self.row = row
            self.seed = seed
            self.passes = passes
            self.testError = testError
            self.testDigits = testDigits
            self.trainingError = trainingError
            self.trainingDigits = trainingDigits
            self.seconds = seconds
            self.data = data
        }

        /// Trains `row` with `seed` for `passes` and measures it; `progress` gets (pass, done, total).
        public static func train(
            _ row: Row, seed: UInt64, passes: Int, train: Digits, test: Digits, data: String,
            shouldStop: () -> Bool = { false },
            progress: (Int, Int, Int) -> Void = { _, _, _ in }
        ) throws -> Run? {
            var trainer = Trainer(config: row.config(seed: seed, passes: passes))
            let start = Date()
            while trainer.epochsDone < passes {
                let pass = trainer.epochsDone + 1
                guard try trainer.trainEpoch(train, shouldStop: shouldStop, progress: { progress(pass, $0, $1) }) != nil
                else { return nil }
            }
            let seconds = Date().timeIntervalSince(start)
            let testResult = Evaluation(net: trainer.net, digits: test, loss: row.config.loss)
            let trainResult = Evaluation(net: trainer.net, digits: train, loss: row.config.loss)
            return Run(
                row: row.key, seed: seed, passes: passes, testError: testResult.errorRate, testDigits: test.count,
                trainingError: trainResult.errorRate, trainingDigits: train.count, seconds: seconds, data: data)
        }
    }

    /// A row's runs summarized: the table's line and the JSON's row.
    public struct Summary: Codable, Sendable, Equatable {
        public var key: String
        public var name: String
        public var label: String
        public var parameters: Int
        public var connections: Int
        public var testErrorMean: Double
        /// The sample standard deviation over seeds (0 with one seed).
        public var testErrorStd: Double
        public var trainingErrorMean: Double
        public var secondsMean: Double
        public var testDigits: Int
        public var seeds: [Run]

        enum CodingKeys: String, CodingKey {
            case key, name, label, parameters, connections, seeds
            case testErrorMean = "test_error_mean", testErrorStd = "test_error_std"
            case trainingErrorMean = "training_error_mean", secondsMean = "training_seconds_mean", testDigits =
                "test_digits"
        }

        public init?(row: Row, runs: [Run]) {
            guard !runs.isEmpty else { return nil }
            key = row.key
            name = row.change
            label = row.label
            parameters = row.parameters
            connections = row.connections
            let errors = runs.map(\.testError)
            testErrorMean = Ablation.mean(errors)
            testErrorStd = Ablation.standardDeviation(errors)
            trainingErrorMean = Ablation.mean(runs.map(\.trainingError))
            secondsMean = Ablation.mean(runs.map(\.seconds))
            testDigits = runs[0].testDigits
            seeds = runs.sorted { $0.seed < $1.seed }
        }

        /// One test run's binomial standard error at the mean rate: the noise of a single
        /// measurement on this many digits.
        public var measurementError: Double {
            ErrorRate(rate: testErrorMean, count: testDigits).standardError
        }
    }

    /// The whole table, as `--json` writes it and lesson 9 reads it.
    public struct Report: Codable, Sendable, Equatable {
        public var path: Path
        public var passes: Int
        public var data: String
        public var command: String
        public var rows: [Summary]

        public init(path: Path, passes: Int, data: String, command: String, rows: [Summary]) {
            self.path = path
            self.passes = passes
            self.data = data
            self.command = command
            self.rows = rows
        }

        public func encoded() throws -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
        }

        public static func decode(_ data: Data, file: String) throws -> Report {
            do { return try JSONDecoder().decode(Report.self, from: data) } catch {
                throw AblationError(file: file)
            }
        }

        /// The comparison a reader needs: is the difference between two rows larger than
        /// their spreads? Two standard errors of the difference of the means, from the seeds'
        /// spread, or from one run's binomial error when there is a single seed.
        public func withinNoise(_ a: Summary, _ b: Summary) -> Bool {
            func variance(_ s: Summary) -> Double {
                s.seeds.count > 1
                    ? s.testErrorStd * s.testErrorStd / Double(s.seeds.count) : s.measurementError * s.measurementError
            }
            return abs(a.testErrorMean - b.testErrorMean) <= 2 * (variance(a) + variance(b)).squareRoot()
        }

        /// The table as CSV, one row per line.
        public var csv: String {
            var lines = [
                "key,change,parameters,connections,test_error_mean,test_error_std,training_error_mean,training_seconds_mean,seeds"
            ]
            for r in rows {
                lines.append(
                    [
                        r.key, "\"\(r.name)\"", "\(r.parameters)", "\(r.connections)",
                        String(format: "%.6f", r.testErrorMean),
                        String(format: "%.6f", r.testErrorStd), String(format: "%.6f", r.trainingErrorMean),
                        String(format: "%.1f", r.secondsMean), "\(r.seeds.count)",
                    ].joined(separator: ","))
            }
            return lines.joined(separator: "\n") + "\n"
        }
    }

    /// Finished runs kept as one JSON file each in a folder, so that an interrupted ablation
    /// goes on where it stopped and two processes can share the rows.
    public struct Store: Sendable {
        public var folder: String
        public var passes: Int
        /// Which digits (`DataSplits.identity`): a run on other data is not reused.
        public var data: String

        public init(folder: String, passes: Int, data: String) {
            self.folder = folder
            self.passes = passes
            self.data = data
        }

        public func file(_ row: Row, seed: Int) -> String { "\(folder)/\(row.key)-\(passes)p-seed\(seed).json" }

        /// The finished run of this row and seed, if one is kept for these passes and data.
        public func run(_ row: Row, seed: Int) -> Run? {
            guard let bytes = FileManager.default.contents(atPath: file(row, seed: seed)),
                let run = try? JSONDecoder().decode(Run.self, from: bytes),
                run.row == row.key, run.seed == UInt64(seed), run.passes == passes, run.data == data
            else { return nil }
            return run
        }

        public func keep(_ run: Run, row: Row) throws {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(
                String(decoding: try encoder.encode(run), as: UTF8.self) + "\n", to: file(row, seed: Int(run.seed)))
        }

        /// The run of this row and seed: the kept one (unless `again`), else trained now and
        /// kept; nil when `shouldStop` interrupts the training.
        public func obtain(
            _ row: Row, seed: Int, again: Bool = false, train: Digits, test: Digits, shouldStop: () -> Bool = { false },
            progress: (Int, Int, Int) -> Void = { _, _, _ in }
        ) throws -> (run: Run, kept: Bool)? {
            if !again, let kept = run(row, seed: seed) { return (kept, true) }
            guard
                let run = try Run.train(
                    row, seed: UInt64(seed), passes: passes, train: train, test: test, data: data,
                    shouldStop: shouldStop,
                    progress: progress)
            else { return nil }
            try keep(run, row: row)
            return (run, false)
        }

        /// The table of every row of `path` whose `seeds` runs are all kept.
        public func report(_ path: Path, seeds: Int, command: String, description: String) -> Report {
            let rows = Ablation.rows(path).compactMap { row in
                let runs = (0..<seeds).compactMap { run(row, seed: $0) }
                return runs.count == seeds ? Summary(row: row, runs: runs) : nil
            }
            return Report(path: path, passes: passes, data: description, command: command, rows: rows)
        }
    }

    /// The full-MNIST table that ships with the tool (`Resources/ablation-mnist.json`; the
    /// command that made it is inside), or nil when this build carries none.
    public static func shipped() throws -> Report? {
        guard let path = Bundle.module.path(forResource: "ablation-mnist", ofType: "json", inDirectory: "Resources")
        else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else { throw AblationError(file: path) }
        return try Report.decode(data, file: path)
    }

    static func mean(_ x: [Double]) -> Double { x.isEmpty ? 0 : x.reduce(0, +) / Double(x.count) }

    static func standardDeviation(_ x: [Double]) -> Double {
        guard x.count > 1 else { return 0 }
        let m = mean(x)
        return (x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count - 1)).squareRoot()
    }
}

public struct AblationError: Error, CustomStringConvertible {
    public var file: String
    public init(file: String) { self.file = file }
    public var description: String { "\(file): not an ablation report (the JSON 'lesson ablation' writes)" }
}
