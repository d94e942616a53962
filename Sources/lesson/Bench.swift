import ArgumentParser
import Foundation
import LeNetReports
import LeNetCore
import LeNetData
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
    @Option(help: "FP32 peak of this machine in GFLOP/s, for the share of peak.")
    var peak: Double = 190
    @Option(help: "Least seconds per measurement.")
    var seconds: Double = 1.5
    @Flag(help: "Print one JSON line per variant.")
    var json = false
    @Flag(help: "Also time each layer's forward and backward pass (one thread, a 16-sample slice).")
    var layers = false
    @Option(help: "Runs of each measurement; the median is printed (and the range, in the table).")
    var runs = 1

    func validate() throws {
        guard threads > 0 else { throw OptionError("--threads must be a positive whole number, not \(threads)") }
        guard runs > 0 else { throw OptionError("--runs must be a positive whole number, not \(runs)") }
    }

    func run() throws {
        guard let digits = try DataSource.embedded().train else { throw DataSourceError.embeddedMissing }
        let bench = Benchmark(digits: digits, seconds: seconds)
        for v in variant.map({ [$0] }) ?? Variant.allCases {
            let summary = Benchmark.Summary(
                (0..<runs).map { _ in bench.run(v, path: reference ? .reference : .fast, threads: threads) })
            let r = summary.median
            if json {
                print(
                    String(
                        format:
                            #"{"variant": "%@", "path": "%@", "threads": %d, "runs": %d, "train_batch1": %.0f, "train_batch64": %.0f, "infer_batch1000": %.0f, "train_gflops": %.2f, "infer_gflops": %.2f, "share_of_peak": %.4f, "peak_memory_mb": %.1f}"#,
                        v.rawValue, reference ? "reference" : "fast", threads, runs, r.trainBatch1, r.trainBatch64,
                        r.inferBatch1000, r.trainGFLOPs, r.inferGFLOPs, r.inferGFLOPs / peak, r.peakMemoryMB))
            } else {
                print(table(summary, v).rendered)
                print(
                    "forward multiply-adds per sample: \(Format.count(r.forwardMultiplyAdds)); peak memory \(String(format: "%.0f", r.peakMemoryMB)) MB\n"
                )
            }
            if layers { print(layerTable(bench, v).rendered + "\n") }
        }
    }

    /// Samples/s, GFLOP/s and share of peak; with several runs, medians and the range.
    func table(_ summary: Benchmark.Summary, _ v: Variant) -> TextTable {
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
        let times = bench.layerTimes(v, path: reference ? .reference : .fast)
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
