import Foundation
import LeNetCore
import XCTest

/// The built `lesson` (beside the test bundle) and a scratch folder, for the CLI tests.
struct LessonCLI {
    let binary = Bundle(for: CLITests.self).bundleURL.appendingPathComponent("lesson").path
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID())").path

    /// ../shared/data/mnist-t10k beside the checkout: MNIST's test digits alone.
    static let sharedTestDigits = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("shared/data/mnist-t10k").path

    /// Full MNIST, as scripts/test.sh exports it: a test that needs it fails, never skips, without it.
    static func fullMNIST() throws -> String {
        let folder = try XCTUnwrap(
            ProcessInfo.processInfo.environment["LENET5_MNIST"],
            "LENET5_MNIST is not set: run the tests with scripts/test.sh")
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/t10k-images-idx3-ubyte.gz"), folder)
        return folder
    }

    /// Makes the scratch folder, which goes when `test` ends.
    func prepare(for test: XCTestCase) throws {
        test.addTeardownBlock { [scratch] in try? FileManager.default.removeItem(atPath: scratch) }
        XCTAssertTrue(
            FileManager.default.isExecutableFile(atPath: binary), "lesson is not built beside the tests: \(binary)")
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    /// Runs `lesson` with these arguments; `environment` is added to this process's, from
    /// which $LENET5_MNIST is removed so that a run sees full MNIST only when told to.
    /// Starts `lesson` with these arguments, its stdout on a pipe and its stderr on `stderr`.
    func start(_ arguments: [String], environment: [String: String] = [:], stderr: Any = FileHandle.nullDevice) throws
        -> (process: Process, stdout: Pipe)
    {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["LENET5_MNIST"] = nil
        p.environment = env.merging(environment) { _, new in new }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = stderr
        try p.run()
        return (p, out)
    }

    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (
        status: Int32, stdout: String, stderr: String
    ) {
        let err = Pipe()
        let (p, out) = try start(arguments, environment: environment, stderr: err)
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func assertOneLineError(
        _ arguments: [String], environment: [String: String] = [:], contains text: String,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let r = try run(arguments, environment: environment)
        XCTAssertNotEqual(r.status, 0, "\(arguments)", file: file, line: line)
        let lines = r.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "\(arguments): \(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stderr.contains(text), "\(arguments): \(r.stderr)", file: file, line: line)
    }
}

/// The `lesson` executable on bad input: one line on stderr, a non-zero exit, no trap.
final class CLITests: XCTestCase {
    let cli = LessonCLI()
    var binary: String { cli.binary }
    var scratch: String { cli.scratch }
    /// ../shared beside the checkout: test digits only.
    let sharedData = LessonCLI.sharedTestDigits

    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (
        status: Int32, stdout: String, stderr: String
    ) {
        try cli.run(arguments, environment: environment)
    }

    func assertOneLineError(
        _ arguments: [String], environment: [String: String] = [:], contains text: String,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        try cli.assertOneLineError(arguments, environment: environment, contains: text, file: file, line: line)
    }

    override func setUpWithError() throws { try cli.prepare(for: self) }

    func testBadOptions() throws {
        try assertOneLineError(["10"], contains: "unknown lesson '10'")
        try assertOneLineError(["train", "--epochs", "0"], contains: "--epochs must be a positive whole number")
        try assertOneLineError(["train", "--batch=-3"], contains: "--batch must be a positive whole number")
        try assertOneLineError(["train", "--lr", "nan"], contains: "--lr must be a positive finite number")
        try assertOneLineError(["train", "--lr", "inf"], contains: "--lr must be a positive finite number")
        try assertOneLineError(["1", "--output", "/proc/no/such"], contains: "cannot create the output folder")
        try assertOneLineError(["1", "--format", "gif"], contains: "unknown format 'gif'")
        try assertOneLineError(["bench", "--runs", "0"], contains: "--runs must be a positive whole number")
        try assertOneLineError(["bench", "--peak", "0"], contains: "--peak must be a positive number of GFLOP/s")
        try assertOneLineError(
            ["train", "--save", scratch + "/w.csv"], contains: "--save must name a .safetensors file")
        try assertOneLineError(
            ["train", "--save", "/proc/no/w.safetensors"], contains: "cannot write (folder not writable)")
        try assertOneLineError(
            ["train", "--epochs", "-1"], contains: "--epochs must be a positive whole number, not -1")
        try assertOneLineError(["train", "--momentum", "nan"], contains: "--momentum must be a number from 0 up to 1")
        try assertOneLineError(
            ["train", "--curvature-memory", "1.5"], contains: "--curvature-memory must be between 0 and 1")
        try assertOneLineError(
            ["data", "download", "--dir", "/etc/hostname", "--no-package-index"], contains: "is a file, not a folder")
    }

    /// `lesson bench --json` prints one JSON line per variant with the fields issue 6 names;
    /// `--layers` adds a table with a row for each of the seven layers.
    func testBenchPrintsOneJSONLinePerVariant() throws {
        let r = try run(["bench", "--json", "--seconds", "0"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 2, r.stdout)
        for (line, variant) in zip(lines, ["paper", "keras"]) {
            let object = try XCTUnwrap(
                JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], String(line))
            XCTAssertEqual(object["variant"] as? String, variant)
            for key in [
                "train_batch1", "train_batch64", "infer_batch1000", "train_gflops", "infer_gflops", "share_of_peak",
                "train_share_of_peak",
            ] {
                XCTAssertGreaterThan(try XCTUnwrap(object[key] as? Double, key), 0, key)
            }
            // The shares of the peak: inference's, and training's at batch 64, from their GFLOP/s.
            let peak = try XCTUnwrap(object["peak_gflops"] as? Double)
            for (share, rate) in [("share_of_peak", "infer_gflops"), ("train_share_of_peak", "train_gflops")] {
                let value = try XCTUnwrap(object[share] as? Double), gflops = try XCTUnwrap(object[rate] as? Double)
                XCTAssertEqual(value, gflops / peak, accuracy: 1e-3, share)
            }
            // The round trip between the two cores, where there are two.
            if coreCount > 1 {
                XCTAssertGreaterThan(try XCTUnwrap(object["core_round_trip_ns"] as? Double), 0)
            } else {
                XCTAssertTrue(object["core_round_trip_ns"] is NSNull)
            }
        }
        let one = try run(["bench", "--json", "--seconds", "0", "--variant", "keras", "--threads", "1"])
        XCTAssertEqual(one.status, 0, one.stderr)
        let alone = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(one.stdout.utf8)) as? [String: Any])
        XCTAssertTrue(alone["core_round_trip_ns"] is NSNull, "one thread: no round trip")
        XCTAssertEqual((alone["core_round_trip_ns_runs"] as? [Double])?.count, 0, "one thread: no round trips")
        // Several runs: each run's round trip and training rate at batch 64, in the order they
        // ran; the round trip reported is their median, and so is the rate.
        let three = try run(["bench", "--json", "--seconds", "0", "--variant", "keras", "--runs", "3"])
        XCTAssertEqual(three.status, 0, three.stderr)
        let runs = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(three.stdout.utf8)) as? [String: Any])
        let rates = try XCTUnwrap(runs["train_batch64_runs"] as? [Double])
        XCTAssertEqual(rates.count, 3)
        XCTAssertEqual(try XCTUnwrap(runs["train_batch64"] as? Double), rates.sorted()[1], accuracy: 0.5)
        let trips = try XCTUnwrap(runs["core_round_trip_ns_runs"] as? [Double])
        if coreCount > 1 {
            XCTAssertEqual(trips.count, 3)
            XCTAssertTrue(trips.allSatisfy { $0 > 0 }, "\(trips)")
            XCTAssertEqual(try XCTUnwrap(runs["core_round_trip_ns"] as? Double), trips.sorted()[1], accuracy: 0.5)
        } else {
            XCTAssertEqual(trips.count, 0)
        }
        let table = try run(["bench", "--variant", "keras", "--layers", "--seconds", "0"])
        XCTAssertEqual(table.status, 0, table.stderr)
        for layer in ["C1", "S2", "C3", "S4", "C5", "F6", "Output", "total"] {
            XCTAssertTrue(
                table.stdout.split(separator: "\n").contains { $0.hasPrefix(layer + " ") },
                "\(layer) in \(table.stdout)")
        }
    }

    /// `lesson bench --reproduce` runs `lesson reproduce --seed S` (S the shipped weights'
    /// seed) as that command does and times it: after one pass, its test errors are the
    /// command's own, and with fewer than the paper's passes there are no shipped weights to
    /// check it against.
    func testBenchTimesTheReproductionAsTheCommandRunsIt() throws {
        let mnist = try LessonCLI.fullMNIST()
        let r = try run([
            "bench", "--variant", "paper", "--seconds", "0", "--json", "--reproduce", "--passes", "1", "--data", mnist,
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 2, r.stdout)
        let timing = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(lines.last!.utf8)) as? [String: Any], r.stdout)
        XCTAssertEqual(timing["reproduction"] as? String, "lesson reproduce --seed 1 --passes 1")
        XCTAssertEqual(timing["passes"] as? Int, 1)
        XCTAssertEqual(timing["data"] as? String, mnist)
        XCTAssertEqual(timing["test_digits"] as? Int, 10_000)
        XCTAssertGreaterThan(try XCTUnwrap(timing["reproduce_seconds"] as? Double), 0)
        XCTAssertGreaterThan(try XCTUnwrap(timing["peak_memory_mb"] as? Double), 0)
        XCTAssertTrue(timing["same_as_shipped"] is NSNull, "one pass: nothing shipped to compare with")
        let reproduced = try run([
            "reproduce", "--data", mnist, "--seed", "1", "--passes", "1", "--output", scratch + "/rep", "--format",
            "png", "--json", scratch + "/ledger.json",
        ])
        XCTAssertEqual(reproduced.status, 0, reproduced.stderr)
        let ledger = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: scratch + "/ledger.json")))
                as? [String: Any])
        XCTAssertEqual(timing["test_errors"] as? Int, try XCTUnwrap(ledger["misclassified"] as? Int))
        // Ctrl-C stops the timing with nothing kept (no weights, no checkpoint): exit 130.
        let (p, out) = try cli.start(["bench", "--variant", "paper", "--seconds", "0", "--reproduce", "--data", mnist])
        var seen = ""
        while !seen.contains("timing lesson reproduce") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        Thread.sleep(forTimeInterval: 1)
        p.interrupt()
        seen += String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 130, seen)
        XCTAssertTrue(seen.contains("interrupted in pass 1 after"), seen)
        XCTAssertFalse(seen.contains("resume with"), seen)
    }

    /// The paper's whole reproduction through `lesson bench --reproduce`: the weights of
    /// `lesson reproduce --seed 1` are the shipped ones bit for bit, on this machine's cores
    /// and build of the products, with the shipped file's number of test errors. (Every speed
    /// change is held to this.)
    func testBenchReproducesTheShippedPaperWeightsBitForBit() throws {
        let r = try run([
            "bench", "--variant", "paper", "--seconds", "0", "--json", "--reproduce", "--data",
            try LessonCLI.fullMNIST(),
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let timing = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(r.stdout.split(separator: "\n").last!.utf8)) as? [String: Any],
            r.stdout)
        XCTAssertEqual(timing["passes"] as? Int, 20)
        XCTAssertEqual(timing["same_as_shipped"] as? Bool, true, r.stdout)
        // The shipped file's own record of its test errors, from its safetensors header.
        let shipped = try Data(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent(
                    "Sources/LeNetTraining/Resources/paper-mnist.safetensors"))
        let length = shipped.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try XCTUnwrap(
            JSONSerialization.jsonObject(with: shipped.subdata(in: 8..<8 + length)) as? [String: Any])
        let metadata = try XCTUnwrap(header["__metadata__"] as? [String: String])
        XCTAssertEqual(timing["test_errors"] as? Int, Int(try XCTUnwrap(metadata["test_errors"])))
    }

    func testBadFiles() throws {
        let bad = scratch + "/data"
        try FileManager.default.createDirectory(atPath: bad, withIntermediateDirectories: true)
        XCTAssertTrue(
            FileManager.default.createFile(atPath: bad + "/t10k-images-idx3-ubyte", contents: Data([0, 0, 8, 3, 0, 0])))
        try assertOneLineError(["verify", "--data", bad], contains: "t10k-images-idx3-ubyte")
        try assertOneLineError(["verify", "--data", scratch + "/none"], contains: "no such folder")
        try assertOneLineError(
            ["1", "--data", sharedData, "--retrain", "--output", scratch + "/out"], contains: "has no training digits")
        try assertOneLineError(
            ["verify"], environment: ["LENET5_MNIST": scratch + "/none"], contains: "$LENET5_MNIST names")
        try assertOneLineError(
            ["reproduce", "--data", sharedData, "--output", scratch + "/rep"],
            contains: "reproduce needs the 60,000 training and 10,000 test digits")
        try assertOneLineError(["reproduce", "--passes", "0"], contains: "--passes must be a positive whole number")
        try assertOneLineError(["bench", "--passes", "3"], contains: "--data and --passes go with --reproduce")
        try assertOneLineError(["bench", "--reproduce", "--reference"], contains: "--reproduce times the fast path")
        try assertOneLineError(
            ["bench", "--reproduce", "--passes", "0"], contains: "--passes must be a positive whole number")
        // A folder without the 60,000 training digits fails before any measuring: nothing on stdout.
        let partial = try run(["bench", "--reproduce", "--data", sharedData, "--seconds", "0"])
        XCTAssertNotEqual(partial.status, 0)
        XCTAssertEqual(partial.stdout, "")
        XCTAssertEqual(partial.stderr.split(separator: "\n").count, 1, partial.stderr)
        XCTAssertTrue(partial.stderr.contains("--reproduce needs full MNIST (60,000 training"), partial.stderr)
        XCTAssertTrue(
            FileManager.default.createFile(atPath: scratch + "/w.safetensors", contents: Data("garbage!".utf8)))
        try assertOneLineError(["eval", "--weights", scratch + "/w.safetensors"], contains: "w.safetensors")
        try assertOneLineError(["eval", "--weights", scratch + "/missing.safetensors"], contains: "cannot be read")
    }

    /// Training with the AVX2 build of the products (LENET5_KERNELS=avx2) and with the build
    /// this CPU selects (AVX-512 where it has it) writes the same file, byte for byte: the same
    /// weights, losses and errors. Both variants, one pass over the embedded digits.
    func testBothBuildsOfTheProductsTrainTheSameWeights() throws {
        try cli.prepare(for: self)
        let save = scratch + "/w.safetensors"
        for variant in ["paper", "keras"] {
            var files: [Data] = []
            for kernels in ["avx2", "any"] {
                let r = try run(
                    ["train", "--variant", variant, "--epochs", "1", "--seed", "4", "--save", save],
                    environment: ["LENET5_KERNELS": kernels])
                XCTAssertEqual(r.status, 0, r.stderr)
                files.append(try Data(contentsOf: URL(fileURLWithPath: save)))
            }
            XCTAssertGreaterThan(files[0].count, 200_000, variant)
            XCTAssertEqual(files[0], files[1], "\(variant): the two builds trained different weights")
        }
        for (kernels, expected) in [("avx2", ["AVX2"]), ("any", ["AVX2", "AVX-512"])] {
            let r = try run(
                ["bench", "--variant", "keras", "--json", "--seconds", "0"], environment: ["LENET5_KERNELS": kernels])
            XCTAssertEqual(r.status, 0, r.stderr)
            let object = try XCTUnwrap(
                JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
            XCTAssertTrue(expected.contains(try XCTUnwrap(object["kernels"] as? String)), r.stdout)
            XCTAssertGreaterThan(try XCTUnwrap(object["peak_gflops"] as? Double), 1, r.stdout)
        }
    }

    func testVerifyPassesOnThePaperVariant() throws {
        let r = try run(["verify"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.contains("Every shape and count matches the paper."))
    }

    /// `lesson reproduce` on a small folder of real digits (600 training, 200 test): the
    /// ledger's JSON fields, the figures in every format, weights with their provenance.
    func testReproduceWritesLedgerFiguresAndWeights() throws {
        let data = scratch + "/small"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let test = try IDXFiles.read(
            sharedData + "/t10k-images-idx3-ubyte.gz", sharedData + "/t10k-labels-idx1-ubyte.gz")
        try IDXFiles.write(test, range: 0..<600, to: data, prefix: "train")
        try IDXFiles.write(test, range: 600..<800, to: data, prefix: "t10k")
        let r = try run([
            "reproduce", "--data", data, "--passes", "2", "--output", scratch + "/rep", "--json",
            scratch + "/ledger.json",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("data: 600 training + 200 test digits from \(data)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("paper ledger"), r.stdout)
        let json = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: scratch + "/ledger.json")))
                as? [String: Any])
        XCTAssertEqual(json["passes"] as? Int, 2)
        let testError = try XCTUnwrap(json["test_error"] as? Double)
        let misclassified = try XCTUnwrap(json["misclassified"] as? Int)
        XCTAssertEqual(testError, Double(misclassified) / 200, accuracy: 1e-12)
        XCTAssertLessThan(testError, 0.5, "two passes over 600 digits should beat chance by far")
        XCTAssertNotNil(json["training_error"] as? Double)
        // Pass 1 was evaluated on the second core while pass 2 trained: its line and its log
        // entry still carry both errors, and come first.
        let log = try XCTUnwrap(json["log"] as? [[String: Any]])
        XCTAssertEqual(log.map { $0["pass"] as? Int }, [1, 2])
        for entry in log {
            XCTAssertNotNil(entry["test_error"] as? Double, "\(entry)")
            XCTAssertNotNil(entry["training_error"] as? Double, "\(entry)")
        }
        let first = try XCTUnwrap(r.stdout.range(of: "pass  1 ")),
            second = try XCTUnwrap(r.stdout.range(of: "pass  2 "))
        XCTAssertLessThan(first.lowerBound, second.lowerBound)
        XCTAssertTrue(r.stdout[first.lowerBound...].prefix(200).contains("test error"), r.stdout)
        for figure in ["figure5", "figure8"] {
            for ext in ["png", "svg", "pdf"] {
                let path = "\(scratch)/rep/\(figure)-paper-seed0.\(ext)"
                let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
                XCTAssertGreaterThan(size, 1000, path)
            }
        }
        let header = try String(
            decoding: Data(contentsOf: URL(fileURLWithPath: scratch + "/rep/paper-seed0.safetensors")).prefix(4096),
            as: UTF8.self)
        XCTAssertTrue(header.contains("lesson reproduce --seed 0 --passes 2"), header)
        XCTAssertTrue(header.contains("\"test_errors\":\"\(misclassified)\""), header)
    }

    func testAblationRunsKeepsItsRunsAndRefusesUnknownRows() throws {
        try assertOneLineError(["ablation", "--rows", "nope"], contains: "no row 'nope' in the cumulative path")
        try assertOneLineError(["ablation", "--seeds", "0"], contains: "--seeds must be between 1 and 100")
        let out = scratch + "/ablation"
        let first = try run([
            "ablation", "--passes", "1", "--seeds", "1", "--rows", "paper,keras", "--output", out, "--format", "png",
        ])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("errors on 500 held-out digits (no test set)"), first.stdout)
        XCTAssertTrue(first.stdout.contains("not yet run with 1 seeds: full-c3"), first.stdout)
        let json =
            try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: out + "/ablation.json")))
            as! [String: Any]
        let rows = json["rows"] as! [[String: Any]]
        XCTAssertEqual(rows.map { $0["key"] as! String }, ["paper", "keras"])
        XCTAssertEqual(rows[0]["parameters"] as? Int, 60_000)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/ablation.png"))
        let second = try run([
            "ablation", "--passes", "1", "--seeds", "1", "--rows", "paper", "--output", out, "--format", "png",
        ])
        XCTAssertTrue(second.stdout.contains("paper, seed 0: kept from an earlier run"), second.stdout)
    }

    func testCheckSaysRightOrGivesAHint() throws {
        let right = try run(["check", "3.1", "2,416"])
        XCTAssertEqual(right.status, 0, right.stderr)
        XCTAssertTrue(right.stdout.contains("right"), right.stdout)
        try assertOneLineError(["check", "3.1", "1516"], contains: "not quite: Without Table I")
        try assertOneLineError(["check", "1.9", "3"], contains: "no exercise '1.9'")
        try assertOneLineError(["check", "3.1"], contains: "give an answer")
        let solution = try run(["check", "3.1", "--solution"])
        XCTAssertEqual(solution.status, 0, solution.stderr)
        XCTAssertTrue(solution.stdout.contains("Answer: 2,416"), solution.stdout)
    }

    /// A checkpoint continues its own run: options that would change it are refused in one line.
    func testResumeRefusesConflictingOptions() throws {
        let save = scratch + "/w.safetensors", checkpoint = scratch + "/w.resume.safetensors"
        let (p, out) = try cli.start(["train", "--epochs", "50", "--save", save])
        _ = out.fileHandleForReading.availableData  // the run has started
        Thread.sleep(forTimeInterval: 1)
        p.interrupt()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 130)
        XCTAssertTrue(FileManager.default.fileExists(atPath: checkpoint))
        try assertOneLineError(
            ["train", "--resume", checkpoint, "--save", save, "--lr", "0.01", "--epochs", "5"],
            contains: "these options differ from it: --epochs 5 (checkpoint: 50), --lr 0.01 (checkpoint: 0.0005)")
        try assertOneLineError(
            ["train", "--resume", checkpoint, "--save", save, "--variant", "keras"],
            contains: "--variant keras (checkpoint: paper)")
    }

    /// The seed's DL4J example in one command; its weights remember that C1 and C3 are linear,
    /// so `eval` computes the network that was trained (the same validation error).
    func testSeedExampleDL4JTrainsAndItsWeightsKeepTheirLinearConvolutions() throws {
        let save = scratch + "/dl4j.safetensors"
        let trained = try run(["train", "--seed-example", "dl4j", "--epochs", "1", "--save", save])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        XCTAssertTrue(trained.stdout.contains("the seed's DL4J example"), trained.stdout)
        XCTAssertTrue(trained.stdout.contains("nesterov, η 0.006"), trained.stdout)
        let logged = try XCTUnwrap(
            trained.stdout.components(separatedBy: "validation error ").last?.prefix { $0 != "%" })
        let evaluated = try run(["eval", "--variant", "keras", "--weights", save])
        XCTAssertEqual(evaluated.status, 0, evaluated.stderr)
        XCTAssertTrue(evaluated.stdout.contains("= \(logged)% ±"), "trained: \(logged)%; eval: \(evaluated.stdout)")
        // A value the reader does not know is refused, not guessed.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: save))
        let key = Data("\"convolutions\":\"linear\"".utf8)
        let at = try XCTUnwrap(bytes.range(of: key), "the file records its linear convolutions")
        bytes.replaceSubrange(at, with: Data("\"convolutions\":\"LINEAR\"".utf8))
        try bytes.write(to: URL(fileURLWithPath: scratch + "/bad.safetensors"))
        try assertOneLineError(
            ["eval", "--variant", "keras", "--weights", scratch + "/bad.safetensors"],
            contains: "unknown convolutions 'LINEAR'")
    }

    /// Piped output arrives line by line while a run goes on, not at its exit.
    func testPipedOutputIsWrittenLineByLine() throws {
        let (p, out) = try cli.start(["train", "--epochs", "200", "--save", scratch + "/w.safetensors"])
        defer { p.terminate(); p.waitUntilExit() }
        let first = out.fileHandleForReading.availableData  // blocks until the first write
        XCTAssertTrue(String(decoding: first, as: UTF8.self).hasPrefix("data:"), String(decoding: first, as: UTF8.self))
        XCTAssertTrue(p.isRunning, "the first line came only at the exit")
    }
}

/// Writes slices of a real IDX set as a small MNIST folder.
enum IDXFiles {
    struct Set { var images: [UInt8]; var labels: [UInt8]; var rows: Int; var columns: Int }

    static func read(_ images: String, _ labels: String) throws -> Set {
        func inflate(_ path: String) throws -> [UInt8] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/gzip")
            p.arguments = ["-dc", path]
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return [UInt8](data)
        }
        let i = try inflate(images), l = try inflate(labels)
        return Set(images: Array(i[16...]), labels: Array(l[8...]), rows: Int(i[11]), columns: Int(i[15]))
    }

    static func write(_ set: Set, range: Range<Int>, to folder: String, prefix: String) throws {
        func be(_ v: Int) -> [UInt8] {
            [UInt8(v >> 24 & 255), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)]
        }
        let size = set.rows * set.columns
        let images =
            [0, 0, 8, 3] + be(range.count) + be(set.rows) + be(set.columns)
            + Array(set.images[range.lowerBound * size..<range.upperBound * size])
        let labels = [0, 0, 8, 1] + be(range.count) + Array(set.labels[range])
        try Data(images).write(to: URL(fileURLWithPath: "\(folder)/\(prefix)-images-idx3-ubyte"))
        try Data(labels).write(to: URL(fileURLWithPath: "\(folder)/\(prefix)-labels-idx1-ubyte"))
    }
}
