import ArgumentParser
import Foundation
import LeNetReports
import LeNetCore
import LeNetData
import LeNetExport
import LeNetModel
import LeNetTraining

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Training and inference throughput (samples/s) on the embedded digits.")

    @Option(help: "paper or keras; both when omitted.")
    var variant: Variant?
    @Flag(help: "Measure the reference layers instead of the fast path.")
    var reference = false
    @Option(help: "Cores a batch is split across (default: all).")
    var threads: Int = coreCount
    @Option(
        help:
            "FP32 peak of this machine in GFLOP/s, for the share of peak (default: measured, fused multiply-adds on every thread in the registers of the products' build)."
    )
    var peak: Double?
    @Option(help: "Least seconds per measurement.")
    var seconds: Double = 1.5
    @Flag(help: "Print one JSON line per variant.")
    var json = false
    @Flag(help: "Also time each layer's forward and backward pass (one thread, a 16-sample slice).")
    var layers = false
    @Option(help: "Samples per pass for --layers (1 is the paper's online step; default: 16, a slice of a batch).")
    var layerBatch: Int = LeNet5.samplesPerSlice
    @Option(help: "Runs of each measurement; the median is printed (and the range, in the table).")
    var runs = 1
    @Flag(
        help:
            "Also measure PyTorch and ONNX Runtime on the keras variant, run by run in turn with ours, when they are installed, and print the ratios."
    )
    var compare = false
    @Option(help: "The Python for --compare (default: $LENET5_PYTHON, else .venv/bin/python, else python3).")
    var python: String?
    @Flag(
        help:
            "Also time the paper's reproduction as 'lesson reproduce' runs it (the shipped weights' seed; 20 passes of SDLM over full MNIST, each evaluated on the second core), and check its weights against the shipped ones, bit for bit."
    )
    var reproduce = false
    @Option(help: "Full MNIST for --reproduce (default: $LENET5_MNIST, else Data/mnist).")
    var data: String?
    @Option(
        help: "Passes for --reproduce (default: the paper's 20; after fewer, there are no shipped weights to check).")
    var passes: Int = PaperFacts.passes

    func validate() throws {
        guard threads > 0 else { throw OptionError("--threads must be a positive whole number, not \(threads)") }
        if let peak, !(peak > 0 && peak.isFinite) {
            throw OptionError("--peak must be a positive number of GFLOP/s, not \(peak)")
        }
        guard runs > 0 else { throw OptionError("--runs must be a positive whole number, not \(runs)") }
        guard layerBatch > 0 else {
            throw OptionError("--layer-batch must be a positive whole number, not \(layerBatch)")
        }
        guard passes > 0 else { throw OptionError("--passes must be a positive whole number, not \(passes)") }
        if !reproduce && (data != nil || passes != PaperFacts.passes) {
            throw OptionError("--data and --passes go with --reproduce")
        }
        if reproduce && reference {
            throw OptionError(
                "--reproduce times the fast path, not --reference: the reference layers would take hours over the paper's 20 passes"
            )
        }
    }

    func run() throws {
        // The reproduction's folder first: a wrong one fails before minutes of measuring. (Its
        // digits are read after the measurements, whose peak memory they would swell.)
        let fullMNIST = reproduce ? try reproductionFolder() : nil
        guard let digits = try DataSource.embedded().train else { throw DataSourceError.embeddedMissing }
        let bench = Benchmark(digits: digits, seconds: seconds)
        let peak = self.peak ?? ProductKernels.measuredPeak(threads: threads, seconds: max(0.2, min(seconds, 0.5)))
        if !json {
            // What two threads pay to hand each other work: where it is long (two chiplets),
            // two-thread training is slower. (Each run measures its own as well.)
            let roundTrip = threads > 1 ? coreRoundTrip() : nil
            let how = self.peak == nil ? "measured on \(min(threads, coreCount)) threads" : "as given"
            let other =
                ProductKernels.selected == .avx512
                ? "LENET5_KERNELS=avx2 runs the AVX2 build"
                : ProductKernels.available ? "chosen by LENET5_KERNELS" : "this CPU has no AVX-512"
            let trip =
                roundTrip.map { "; a write seen on the other core and answered in \(Int($0.rounded())) ns" } ?? ""
            print(
                "products: \(ProductKernels.selected.rawValue) (\(other)); FP32 peak \(Int(peak.rounded())) GFLOP/s (\(how))\(trip)\n"
            )
        }
        for v in variant.map({ [$0] }) ?? Variant.allCases {
            // With --compare, the frameworks run after each of our runs: the same minutes.
            var ours: [Benchmark.Result] = [], theirs: [Frameworks] = [], trips: [Double] = []
            for _ in 0..<runs {
                // Where the two cores sit can change from one minute to the next: each run's own
                // round trip, beside its rates.
                if threads > 1, let trip = coreRoundTrip() { trips.append(trip) }
                ours.append(bench.run(v, path: reference ? .reference : .fast, threads: threads))
                if compare && v == .keras { theirs.append(try Frameworks.measure(bench, self)) }
            }
            let summary = Benchmark.Summary(ours)
            let r = summary.median
            let others = theirs.isEmpty ? nil : Frameworks.median(theirs)
            if json {
                var line = String(
                    format:
                        #"{"variant": "%@", "path": "%@", "kernels": "%@", "threads": %d, "runs": %d, "train_batch1": %.0f, "train_batch64": %.0f, "infer_batch1000": %.0f, "train_gflops": %.2f, "infer_gflops": %.2f, "peak_gflops": %.1f, "share_of_peak": %.4f, "train_share_of_peak": %.4f, "peak_memory_mb": %.1f"#,
                    v.rawValue, reference ? "reference" : "fast", ProductKernels.selected.rawValue, threads, runs,
                    r.trainBatch1, r.trainBatch64,
                    r.inferBatch1000, r.trainGFLOPs, r.inferGFLOPs, peak, r.inferGFLOPs / peak, r.trainGFLOPs / peak,
                    r.peakMemoryMB)
                line +=
                    ", \"core_round_trip_ns\": "
                    + (LeNetCore.median(trips).map { String(format: "%.0f", $0) } ?? "null")
                // Run by run, in the order they ran: each run's round trip and training at batch 64.
                func list(_ values: [Double]) -> String {
                    "[" + values.map { String(format: "%.0f", $0) }.joined(separator: ", ") + "]"
                }
                line += ", \"core_round_trip_ns_runs\": " + list(trips)
                line += ", \"train_batch64_runs\": " + list(ours.map(\.trainBatch64))
                if let others { line += ", " + others.jsonFields(against: r) }
                print(line + "}")
            } else {
                print(table(summary, v, peak: peak).rendered)
                print(
                    "forward multiply-adds per sample: \(Format.count(r.forwardMultiplyAdds)); peak memory \(String(format: "%.0f", r.peakMemoryMB)) MB\n"
                )
                if runs > 1 && !trips.isEmpty {
                    // Training at batch 64 on two threads is slower in runs whose round trip is long
                    // (the cores on two chiplets).
                    let pairs = zip(ours, trips).map {
                        "\(Format.count(Int($0.trainBatch64)))/s (\(Int($1.rounded())) ns)"
                    }
                    print("train, batch 64, run by run (core round trip): \(pairs.joined(separator: ", "))\n")
                }
                if let others { print(others.table(against: r, runs: runs).rendered + "\n") }
            }
            if compare && v != .keras && variant == .paper {
                print(
                    "--compare measures the frameworks on the keras variant only (they have no RBF output or Table I).")
            }
            if layers { print(layerTable(bench, v).rendered + "\n") }
        }
        if let fullMNIST { try reproduction(fullMNIST) }
    }

    /// "--reproduce needs full MNIST (60,000 training and 10,000 test digits), not …".
    func needsFullMNIST(_ what: String) -> OptionError {
        OptionError(
            "--reproduce needs full MNIST (\(Format.count(PaperFacts.trainingDigits)) training and \(Format.count(PaperFacts.testDigits)) test digits), not \(what): --data DIR, $LENET5_MNIST or 'lesson data download'"
        )
    }

    /// The folder --reproduce reads full MNIST from (--data, else where `lesson reproduce`
    /// finds it), once it is seen to have the training and test files.
    func reproductionFolder() throws -> String {
        guard let folder = try data ?? DataSource.fullMNISTFolder() else { throw needsFullMNIST("the embedded digits") }
        try DataSource.requireFolder(folder)
        guard DataSource.hasTrainingAndTestFiles(in: folder) else { throw needsFullMNIST(folder) }
        return folder
    }

    /// `lesson reproduce --seed S`, S the seed of the shipped paper weights, run as that
    /// command runs it (`runEpochs`: each pass evaluated on the second core while the next
    /// trains, the last on every core) and timed from its first step to its last pass's
    /// evaluation, without writing files; then its test error, whether its weights are the
    /// shipped ones bit for bit (after the paper's passes), and the process's peak memory.
    func reproduction(_ folder: String) throws {
        let shipped = ShippedWeights.paper
        guard let seed = try shipped.load().provenance.seed else {
            throw OptionError("--reproduce: the shipped \(shipped.rawValue) weights do not record their seed")
        }
        let data = try DataSource.folder(folder)
        guard let train = data.train, let test = data.test, train.count == PaperFacts.trainingDigits,
            test.count == PaperFacts.testDigits
        else { throw needsFullMNIST(folder) }
        var trainer = Trainer(config: .reproduction(passes: passes, seed: seed))
        trainer.net.threads = threads
        let command = Reproduce.commandLine(seed: seed, passes: passes)
        if !json { print("timing \(command) on \(data.source), \(trainer.config.passesDescription)") }
        let start = Date()
        try runEpochs(
            &trainer, on: train, check: test, unit: "pass", keep: nil,
            report: { record in
                if !json {
                    print(String(format: "  pass %2d done at %.1f s", record.epoch, Date().timeIntervalSince(start)))
                }
            })
        let seconds = Date().timeIntervalSince(start)
        let final = Evaluation(net: trainer.net, digits: test)
        let rate = ErrorRate(errors: final.errors, count: final.count)
        let same = passes == PaperFacts.passes ? try shipped.hasTheWeights(of: trainer.net) : nil
        let memory = Benchmark.peakMemoryMB()
        if json {
            // Through JSONSerialization: the folder's name may hold any character.
            let object: [String: Any] = [
                "reproduction": command, "data": data.source, "passes": passes, "threads": threads,
                "reproduce_seconds": (seconds * 10).rounded() / 10, "test_errors": final.errors,
                "test_digits": final.count, "same_as_shipped": same.map { $0 as Any } ?? NSNull(),
                "peak_memory_mb": (memory * 10).rounded() / 10,
            ]
            print(
                String(
                    decoding: try JSONSerialization.data(
                        withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
            )
        } else {
            let check =
                same.map {
                    $0
                        ? "the shipped \(shipped.rawValue) weights, bit for bit"
                        : "NOT the shipped \(shipped.rawValue) weights"
                } ?? "not checked (the shipped weights had \(PaperFacts.passes) passes)"
            print(
                "\(command): \(String(format: "%.1f", seconds)) s on \(min(threads, coreCount)) cores; test error \(rate.described); weights: \(check); peak memory \(String(format: "%.0f", memory)) MB"
            )
        }
    }

    /// Samples/s, GFLOP/s and share of peak; with several runs, medians and the range.
    func table(_ summary: Benchmark.Summary, _ v: Variant, peak: Double) -> TextTable {
        let r = summary.median, several = summary.runs > 1
        let rate = several ? "samples/s, median of \(summary.runs)" : "samples/s"
        var t = TextTable(
            headers: ["\(v.rawValue) (\(reference ? "reference" : "fast"))", rate] + (several ? ["range"] : []) + [
                "GFLOP/s", "share of \(Int(peak)) GFLOP/s",
            ],
            alignments: [.left, .right] + (several ? [.right] : []) + [.right, .right])
        func row(_ name: String, _ key: KeyPath<Benchmark.Result, Double>, gflops: Double, share: String) {
            let range =
                "\(Format.count(Int(summary.lowest[keyPath: key])))–\(Format.count(Int(summary.highest[keyPath: key])))"
            t.add(
                [name, Format.count(Int(r[keyPath: key]))] + (several ? [range] : []) + [
                    String(format: "%.2f", gflops), share,
                ])
        }
        row("train, batch 1", \.trainBatch1, gflops: r.trainBatch1 * Double(6 * r.forwardMultiplyAdds) / 1e9, share: "")
        row("train, batch 64", \.trainBatch64, gflops: r.trainGFLOPs, share: Format.percent(r.trainGFLOPs / peak))
        row(
            "inference, batch 1000", \.inferBatch1000, gflops: r.inferGFLOPs,
            share: Format.percent(r.inferGFLOPs / peak))
        return t
    }

    /// Per-layer microseconds per sample, for finding where a training step's time goes.
    func layerTable(_ bench: Benchmark, _ v: Variant) -> TextTable {
        let times = bench.layerTimes(v, batch: layerBatch, path: reference ? .reference : .fast)
        var t = TextTable(
            headers: ["\(v.rawValue) layer", "forward µs", "backward µs", "share"],
            alignments: [.left, .right, .right, .right])
        let total = times.reduce(0) { $0 + $1.forward + $1.backward }
        for (name, f, b) in times {
            t.add([name, String(format: "%.2f", f), String(format: "%.2f", b), Format.percent((f + b) / total)])
        }
        t.add([
            "total", String(format: "%.2f", times.reduce(0) { $0 + $1.forward }),
            String(format: "%.2f", times.reduce(0) { $0 + $1.backward }), "",
        ])
        return t
    }
}

/// PyTorch and ONNX Runtime on the keras variant, measured by scripts/bench-frameworks.py.
struct Frameworks {
    var torch: String?
    var torchTrainBatch1: Double?, torchTrainBatch64: Double?, torchInferBatch1000: Double?
    var onnxruntime: String?
    var ortInferBatch1000: Double?

    /// The script, from the source tree this binary was built from.
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/bench-frameworks.py").path

    static func python(_ given: String?) -> String {
        if let given { return given }
        if let env = ProcessInfo.processInfo.environment["LENET5_PYTHON"], !env.isEmpty { return env }
        let venv = FileManager.default.currentDirectoryPath + "/.venv/bin/python"
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : "/usr/bin/python3"
    }

    /// One run of the script, on this tool's ONNX export of the keras network.
    static func measure(_ bench: Benchmark, _ options: Bench) throws -> Frameworks {
        guard FileManager.default.fileExists(atPath: script) else {
            throw OptionError("--compare needs \(script) (the source tree this tool was built from)")
        }
        let python = python(options.python)
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw OptionError("--compare: no Python at \(python) (give one with --python)")
        }
        let onnx = FileManager.default.temporaryDirectory.appendingPathComponent("lenet5-bench-\(UUID()).onnx").path
        defer { try? FileManager.default.removeItem(atPath: onnx) }
        try AtomicFile.write(try ONNXExport.model(LeNet5(variant: .keras, seed: 1), metadata: [:]), to: onnx)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [
            script, "--onnx", onnx, "--seconds", String(options.seconds), "--threads", String(options.threads),
        ]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let problem = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let last = String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        guard p.terminationStatus == 0,
            let object = try? JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any]
        else {
            let reason = problem.split(separator: "\n").last.map(String.init) ?? "exit \(p.terminationStatus)"
            throw OptionError("--compare: \(script) failed: \(reason)")
        }
        return Frameworks(
            torch: object["torch"] as? String, torchTrainBatch1: object["torch_train_batch1"] as? Double,
            torchTrainBatch64: object["torch_train_batch64"] as? Double,
            torchInferBatch1000: object["torch_infer_batch1000"] as? Double,
            onnxruntime: object["onnxruntime"] as? String, ortInferBatch1000: object["ort_infer_batch1000"] as? Double)
    }

    /// Each rate's median over the runs (nil when a framework was missing).
    static func median(_ runs: [Frameworks]) -> Frameworks {
        func med(_ key: KeyPath<Frameworks, Double?>) -> Double? {
            LeNetCore.median(runs.compactMap { $0[keyPath: key] })
        }
        return Frameworks(
            torch: runs[0].torch, torchTrainBatch1: med(\.torchTrainBatch1),
            torchTrainBatch64: med(\.torchTrainBatch64),
            torchInferBatch1000: med(\.torchInferBatch1000), onnxruntime: runs[0].onnxruntime,
            ortInferBatch1000: med(\.ortInferBatch1000))
    }

    /// Ours, theirs and the ratio, measurement by measurement.
    var rows: [(name: String, ours: KeyPath<Benchmark.Result, Double>, framework: String, theirs: Double?)] {
        [
            ("train, batch 1", \.trainBatch1, "PyTorch \(torch ?? "")", torchTrainBatch1),
            ("train, batch 64", \.trainBatch64, "PyTorch \(torch ?? "")", torchTrainBatch64),
            ("inference, batch 1000", \.inferBatch1000, "PyTorch \(torch ?? "")", torchInferBatch1000),
            ("inference, batch 1000", \.inferBatch1000, "ONNX Runtime \(onnxruntime ?? "")", ortInferBatch1000),
        ]
    }

    func table(against r: Benchmark.Result, runs: Int) -> TextTable {
        var t = TextTable(
            headers: [
                "keras, same minutes\(runs > 1 ? " (medians of \(runs))" : "")", "framework", "theirs/s", "ours/s",
                "ours ÷ theirs",
            ],
            alignments: [.left, .left, .right, .right, .right])
        for row in rows {
            guard let theirs = row.theirs else {
                t.add([
                    row.name, row.framework.hasPrefix("PyTorch") ? "PyTorch" : "ONNX Runtime", "not installed", "", "",
                ])
                continue
            }
            t.add([
                row.name, row.framework, Format.count(Int(theirs)), Format.count(Int(r[keyPath: row.ours])),
                String(format: "%.1f×", r[keyPath: row.ours] / theirs),
            ])
        }
        return t
    }

    func jsonFields(against r: Benchmark.Result) -> String {
        func quoted(_ s: String?) -> String { s.map { "\"\($0)\"" } ?? "null" }
        func number(_ v: Double?) -> String { v.map { String(format: "%.0f", $0) } ?? "null" }
        func ratio(_ ours: Double, _ theirs: Double?) -> String {
            theirs.map { String(format: "%.3f", ours / $0) } ?? "null"
        }
        return [
            "\"torch\": \(quoted(torch))", "\"torch_train_batch1\": \(number(torchTrainBatch1))",
            "\"torch_train_batch64\": \(number(torchTrainBatch64))",
            "\"torch_infer_batch1000\": \(number(torchInferBatch1000))",
            "\"onnxruntime\": \(quoted(onnxruntime))", "\"ort_infer_batch1000\": \(number(ortInferBatch1000))",
            "\"vs_torch_train_batch1\": \(ratio(r.trainBatch1, torchTrainBatch1))",
            "\"vs_torch_train_batch64\": \(ratio(r.trainBatch64, torchTrainBatch64))",
            "\"vs_torch_infer_batch1000\": \(ratio(r.inferBatch1000, torchInferBatch1000))",
            "\"vs_ort_infer_batch1000\": \(ratio(r.inferBatch1000, ortInferBatch1000))",
        ].joined(separator: ", ")
    }
}
