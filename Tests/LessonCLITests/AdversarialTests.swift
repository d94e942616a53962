import Foundation
import XCTest

/// Issue 12's second round, run against the built binary: a disk that fills up, caches made
/// from other data or damaged, batches larger than memory should allow, output paths that
/// collide. Each case expects one line on stderr and a non-zero exit, or the right result.
final class AdversarialTests: XCTestCase {
    let cli = LessonCLI()
    var scratch: String { cli.scratch }

    override func setUpWithError() throws { try cli.prepare(for: self) }

    /// Runs `lesson` with `ulimit -f` (512-byte blocks in sh) so that any file growing past
    /// `blocks` fails its write as on a full disk.
    func runWithFileLimit(_ blocks: Int, _ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "ulimit -f \(blocks); exec \"$0\" \"$@\"", cli.binary] + arguments
        var env = ProcessInfo.processInfo.environment
        env["LENET5_MNIST"] = nil
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        let err = Pipe()
        p.standardError = err
        try p.run()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: e, as: UTF8.self))
    }

    /// The files of a folder tree and their bytes.
    func snapshot(_ folder: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let e = try XCTUnwrap(FileManager.default.enumerator(atPath: folder))
        for case let name as String in e {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder + "/" + name, isDirectory: &isDirectory),
                !isDirectory.boolValue
            {
                files[name] = FileManager.default.contents(atPath: folder + "/" + name)
            }
        }
        return files
    }

    /// A full disk half-way through a lesson: the run stops with one line naming the file and
    /// the system's reason, and every figure and page already there is still whole (a PNG
    /// still ends with its IEND chunk), with no temporary file left behind.
    func testAFullDiskLeavesEveryFigureWhole() throws {
        let out = scratch + "/out"
        let good = try cli.run(["1", "--output", out])
        XCTAssertEqual(good.status, 0, good.stderr)
        // Make the files on disk distinguishable from what the failing run would write.
        var before = try snapshot(out)
        for (name, data) in before where name.hasSuffix(".svg") {
            let marked = data + Data("<!-- first run -->\n".utf8)
            try marked.write(to: URL(fileURLWithPath: out + "/" + name))
            before[name] = marked
        }
        let r = try runWithFileLimit(40, ["1", "--output", out])  // 20 KiB
        XCTAssertNotEqual(r.status, 0)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("File too large"), r.stderr)
        let after = try snapshot(out)
        XCTAssertEqual(Set(after.keys), Set(before.keys), "files added or removed")
        let iend = Data([0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82])
        for (name, data) in after {
            if name.hasSuffix(".png") { XCTAssertEqual(data.suffix(8), iend, "\(name) is truncated") }
            if data.count > 20 * 1024 { XCTAssertEqual(data, before[name], "\(name) was replaced") }
        }
    }

    /// ../shared's test digits, for making small data folders.
    var t10k: IDXFiles.Set {
        get throws {
            let shared = LessonCLI.sharedTestDigits
            return try IDXFiles.read(
                shared + "/t10k-images-idx3-ubyte.gz", shared + "/t10k-labels-idx1-ubyte.gz")
        }
    }

    /// A folder of `train` training and 100 test digits taken from the test set at `start`:
    /// digits, but not MNIST's own files, so the lessons train a network of their own.
    func folder(_ name: String, start: Int, train: Int = 300) throws -> String {
        let dir = scratch + "/" + name
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let set = try t10k
        try IDXFiles.write(set, range: start..<start + train, to: dir, prefix: "train")
        try IDXFiles.write(set, range: 9_000..<9_100, to: dir, prefix: "t10k")
        return dir
    }

    /// The lessons' cache is reused only for the data and passes it was made from; a cache
    /// made from other digits, for other passes, or damaged, is rebuilt, and the model line
    /// says why.
    func testTheLessonCacheKnowsWhatItWasMadeFrom() throws {
        let a = try folder("a", start: 0), b = try folder("b", start: 1_000)
        let out = scratch + "/out"
        func model(_ arguments: [String]) throws -> String {
            let r = try cli.run(["1", "--output", out, "--format", "png"] + arguments)
            XCTAssertEqual(r.status, 0, r.stderr)
            return try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.hasPrefix("model:") }.map(String.init))
        }
        let first = try model(["--data", a, "--epochs", "1"])
        XCTAssertTrue(
            first.contains("trained now on these images (the shipped weights know MNIST's digits only)"), first)
        XCTAssertTrue(try model(["--data", a, "--epochs", "1"]).contains("cached in"))
        let other = try model(["--data", b, "--epochs", "1"])
        XCTAssertTrue(other.contains("the cache held 300 training digits from \(a), not 300 from \(b)"), other)
        let passes = try model(["--data", b, "--epochs", "2"])
        XCTAssertTrue(passes.contains("the cache held 1 passes, not 2"), passes)
        try Data("not safetensors".utf8).write(to: URL(fileURLWithPath: out + "/cache/paper-weights.safetensors"))
        let damaged = try model(["--data", b, "--epochs", "2"])
        XCTAssertTrue(damaged.contains("paper-weights.safetensors was damaged or missing"), damaged)
        XCTAssertTrue(try model(["--data", b, "--epochs", "2"]).contains("cached in"))
        // The same digits rewritten in place, with one label changed: the content changed.
        var set = try t10k
        set.labels[1_000] = (set.labels[1_000] + 1) % 10
        try IDXFiles.write(set, range: 1_000..<1_300, to: b, prefix: "train")
        let changed = try model(["--data", b, "--epochs", "2"])
        XCTAssertTrue(changed.contains("(their content changed)"), changed)
    }

    /// Fashion-MNIST has MNIST's file names and counts; it is not full MNIST. Here a folder
    /// of 60,000 + 10,000 digits that are not MNIST's: the data line must not call them so.
    func testSixtyThousandDigitsAreNotFullMNISTByCountAlone() throws {
        let dir = scratch + "/many"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var set = try t10k
        set.images = Array(repeating: set.images, count: 6).flatMap { $0 }
        set.labels = Array(repeating: set.labels, count: 6).flatMap { $0 }
        try IDXFiles.write(set, range: 0..<60_000, to: dir, prefix: "train")
        try IDXFiles.write(set, range: 0..<10_000, to: dir, prefix: "t10k")
        let r = try cli.run(["eval", "--data", dir])
        XCTAssertFalse(r.stdout.contains("full MNIST,"), r.stdout)
        XCTAssertTrue(r.stdout.contains("60,000 training + 10,000 test digits from"), r.stdout)
    }

    /// A batch larger than the training set is worked through in parts: one full-batch step
    /// on full MNIST's 60,000 digits (1.2 GB before) stays under 300 MB.
    func testAHugeBatchKeepsMemoryBounded() throws {
        let r = try cli.run([
            "train", "--data", try LessonCLI.fullMNIST(), "--batch", "100000", "--epochs", "1", "--save",
            scratch + "/w.safetensors",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let line = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.contains("peak memory") }, r.stdout)
        let mb = try XCTUnwrap(Double(line.split(separator: " ").reversed().dropFirst().first ?? ""), String(line))
        XCTAssertLessThan(mb, 300, String(line))
    }

    /// Outputs that name one file, or an input, are refused before any work.
    func testCollidingOutputsAreRefused() throws {
        let weights = Bundle(for: AdversarialTests.self).bundleURL.appendingPathComponent(
            "lenet5-lessons_LeNetTraining.resources/Resources/paper-mnist.safetensors"
        ).path
        let copy = scratch + "/w.safetensors"
        try FileManager.default.copyItem(atPath: weights, toPath: copy)
        try cli.assertOneLineError(
            [
                "eval", "--weights", copy, "--dump-logits",
                scratch + "/../" + (scratch as NSString).lastPathComponent
                    + "/w.safetensors",
            ],
            contains: "is the same file as --weights")
        XCTAssertEqual(FileManager.default.contents(atPath: copy), FileManager.default.contents(atPath: weights))
    }
}
