import Foundation
import XCTest

/// The `lesson` executable on bad input: one line on stderr, a non-zero exit, no trap.
final class CLITests: XCTestCase {
    /// The built `lesson`, beside this test bundle.
    let binary = Bundle(for: CLITests.self).bundleURL.appendingPathComponent("lesson").path
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID())").path
    /// ../shared beside the checkout: test digits only.
    let sharedData = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data/mnist-t10k").path

    func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func assertOneLineError(_ arguments: [String], contains text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try run(arguments)
        XCTAssertNotEqual(r.status, 0, "\(arguments)", file: file, line: line)
        let lines = r.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "\(arguments): \(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stderr.contains(text), "\(arguments): \(r.stderr)", file: file, line: line)
    }

    override func setUpWithError() throws {
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: binary), "lesson is not built beside the tests: \(binary)")
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    func testBadOptions() throws {
        try assertOneLineError(["9"], contains: "unknown lesson '9'")
        try assertOneLineError(["train", "--epochs", "0"], contains: "--epochs must be a positive whole number")
        try assertOneLineError(["train", "--batch=-3"], contains: "--batch must be a positive whole number")
        try assertOneLineError(["train", "--lr", "nan"], contains: "--lr must be a positive finite number")
        try assertOneLineError(["train", "--lr", "inf"], contains: "--lr must be a positive finite number")
        try assertOneLineError(["1", "--output", "/proc/no/such"], contains: "cannot create the output folder")
        try assertOneLineError(["1", "--format", "gif"], contains: "unknown format 'gif'")
        try assertOneLineError(["bench", "--runs", "0"], contains: "--runs must be a positive whole number")
    }

    /// `lesson bench --json` prints one JSON line per variant with the fields issue 6 names;
    /// `--layers` adds a table with a row for each of the seven layers.
    func testBenchPrintsOneJSONLinePerVariant() throws {
        let r = try run(["bench", "--json", "--seconds", "0"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 2, r.stdout)
        for (line, variant) in zip(lines, ["paper", "keras"]) {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], String(line))
            XCTAssertEqual(object["variant"] as? String, variant)
            for key in ["train_batch1", "train_batch64", "infer_batch1000", "train_gflops", "infer_gflops", "share_of_peak"] {
                XCTAssertGreaterThan(try XCTUnwrap(object[key] as? Double, key), 0, key)
            }
        }
        let table = try run(["bench", "--variant", "keras", "--layers", "--seconds", "0"])
        XCTAssertEqual(table.status, 0, table.stderr)
        for layer in ["C1", "S2", "C3", "S4", "C5", "F6", "Output", "total"] {
            XCTAssertTrue(table.stdout.split(separator: "\n").contains { $0.hasPrefix(layer + " ") }, "\(layer) in \(table.stdout)")
        }
    }

    func testBadFiles() throws {
        let bad = scratch + "/data"
        try FileManager.default.createDirectory(atPath: bad, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: bad + "/t10k-images-idx3-ubyte", contents: Data([0, 0, 8, 3, 0, 0]))
        try assertOneLineError(["verify", "--data", bad], contains: "t10k-images-idx3-ubyte")
        try assertOneLineError(["verify", "--data", scratch + "/none"], contains: "no such folder")
        try assertOneLineError(["1", "--data", sharedData, "--output", scratch + "/out"], contains: "has no training digits")
        FileManager.default.createFile(atPath: scratch + "/w.safetensors", contents: Data("garbage!".utf8))
        try assertOneLineError(["eval", "--weights", scratch + "/w.safetensors"], contains: "w.safetensors")
        try assertOneLineError(["eval", "--weights", scratch + "/missing.safetensors"], contains: "cannot be read")
    }

    func testVerifyPassesOnThePaperVariant() throws {
        let r = try run(["verify"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.contains("Every shape and count matches the paper."))
    }
}
