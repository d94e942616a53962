import ArgumentParser
import Foundation
import LeNetCore
import LeNetData
import LeNetLessons
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

    func validate() throws {
        guard threads > 0 else { throw OptionError("--threads must be a positive whole number, not \(threads)") }
    }

    func run() throws {
        guard let digits = try DataSource.embedded().train else { throw DataSourceError.embeddedMissing }
        let bench = Benchmark(digits: digits, seconds: seconds)
        for v in variant.map({ [$0] }) ?? Variant.allCases {
            let r = bench.run(v, path: reference ? .reference : .fast, threads: threads)
            if json {
                print(String(format: #"{"variant": "%@", "path": "%@", "threads": %d, "train_batch1": %.0f, "train_batch64": %.0f, "infer_batch1000": %.0f, "train_gflops": %.2f, "infer_gflops": %.2f, "share_of_peak": %.4f, "peak_memory_mb": %.1f}"#,
                             v.rawValue, reference ? "reference" : "fast", threads, r.trainBatch1, r.trainBatch64, r.inferBatch1000, r.trainGFLOPs, r.inferGFLOPs, r.inferGFLOPs / peak, r.peakMemoryMB))
            } else {
                var t = TextTable(headers: ["\(v.rawValue) (\(reference ? "reference" : "fast"))", "samples/s", "GFLOP/s", "share of \(Int(peak)) GFLOP/s"], alignments: [.left, .right, .right, .right])
                t.add(["train, batch 1", Format.count(Int(r.trainBatch1)), String(format: "%.2f", r.trainBatch1 * Double(6 * r.forwardMultiplyAdds) / 1e9), ""])
                t.add(["train, batch 64", Format.count(Int(r.trainBatch64)), String(format: "%.2f", r.trainGFLOPs), Format.percent(r.trainGFLOPs / peak)])
                t.add(["inference, batch 1000", Format.count(Int(r.inferBatch1000)), String(format: "%.2f", r.inferGFLOPs), Format.percent(r.inferGFLOPs / peak)])
                print(t.rendered)
                print("forward multiply-adds per sample: \(Format.count(r.forwardMultiplyAdds)); peak memory \(String(format: "%.0f", r.peakMemoryMB)) MB\n")
            }
            if layers { print(layerTable(bench, v).rendered + "\n") }
        }
    }

    /// Per-layer microseconds per sample, for finding where a training step's time goes.
    func layerTable(_ bench: Benchmark, _ v: Variant) -> TextTable {
        let times = bench.layerTimes(v, path: reference ? .reference : .fast)
        var t = TextTable(headers: ["\(v.rawValue) layer", "forward µs", "backward µs", "share"], alignments: [.left, .right, .right, .right])
        let total = times.reduce(0) { $0 + $1.forward + $1.backward }
        for (name, f, b) in times {
            t.add([name, String(format: "%.2f", f), String(format: "%.2f", b), Format.percent((f + b) / total)])
        }
        t.add(["total", String(format: "%.2f", times.reduce(0) { $0 + $1.forward }), String(format: "%.2f", times.reduce(0) { $0 + $1.backward }), ""])
        return t
    }
}
