import Foundation
import LeNetData
import XCTest

/// Downloads from an HTTP server on 127.0.0.1 that the test starts (Python's http.server
/// with range requests), serving the shared test files, a corrupted copy, and a copy whose
/// first bytes are wrong (only a resumed download that skips them gets the right sum).
final class DownloadTests: XCTestCase {
    var server: Process?
    var port = 0
    var root = ""
    let files = MNISTFile.all.filter { $0.name.hasPrefix("t10k") }

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("download-\(UUID())").path
        for sub in ["good", "bad", "front"] {
            try FileManager.default.createDirectory(atPath: "\(root)/\(sub)", withIntermediateDirectories: true)
        }
        for f in files {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(sharedData)/\(f.name)")))
            XCTAssertTrue(FileManager.default.createFile(atPath: "\(root)/good/\(f.name)", contents: Data(bytes)))
            var bad = bytes
            bad[bad.count / 2] ^= 0xff
            XCTAssertTrue(FileManager.default.createFile(atPath: "\(root)/bad/\(f.name)", contents: Data(bad)))
            var front = bytes
            for i in 0..<100 { front[i] = 0 }
            XCTAssertTrue(FileManager.default.createFile(atPath: "\(root)/front/\(f.name)", contents: Data(front)))
        }
        let script = """
            import http.server, os, re, sys, time
            class Handler(http.server.SimpleHTTPRequestHandler):
                def do_GET(self):
                    if self.path.startswith('/silent/'):
                        time.sleep(60); return
                    if self.path.startswith('/trickle/'):
                        self.send_response(200); self.send_header('Content-Length', '4542'); self.end_headers()
                        for _ in range(120):
                            self.wfile.write(b'x'); self.wfile.flush(); time.sleep(0.5)
                        return
                    if self.path.startswith('/endless/'):
                        # At most 64 MB/s, as a fast network would bring it: unpaced over
                        # loopback, the client's buffers grew by up to 20 GB before its
                        # cancellation took hold.
                        self.send_response(200); self.end_headers()
                        try:
                            while True: self.wfile.write(bytes(65536)); time.sleep(0.001)
                        except OSError: return
                    if self.path.startswith('/oversized/'):
                        self.send_response(200); self.send_header('Content-Length', str(1 << 30)); self.end_headers()
                        return
                    path = self.translate_path(self.path)
                    if not os.path.isfile(path):
                        self.send_error(404); return
                    data = open(path, 'rb').read()
                    m = re.match(r'bytes=(\\d+)-', self.headers.get('Range', ''))
                    start = int(m.group(1)) if m else 0
                    self.send_response(206 if m else 200)
                    if m: self.send_header('Content-Range', 'bytes %d-%d/%d' % (start, len(data) - 1, len(data)))
                    self.send_header('Content-Length', str(len(data) - start))
                    self.end_headers()
                    self.wfile.write(data[start:])
                def log_message(self, *args): pass
            server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), lambda *a, **k: Handler(*a, directory=sys.argv[1], **k))
            print(server.server_address[1], flush=True)
            server.serve_forever()
            """
        try script.write(toFile: "\(root)/server.py", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "\(root)/server.py", root]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        server = process
        let line = String(decoding: pipe.fileHandleForReading.availableData, as: UTF8.self)
        port = try XCTUnwrap(Int(line.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    override func tearDown() {
        server?.terminate()
        server?.waitUntilExit()
        try? FileManager.default.removeItem(atPath: root)
    }

    func mirror(_ sub: String) -> String { "http://127.0.0.1:\(port)/\(sub)/" }

    func testDownloadsAndChecksTheFiles() throws {
        let dir = "\(root)/out"
        var reports = 0
        try MNISTDownload.download(files, to: dir, mirrors: [mirror("good")]) { _, _, _ in reports += 1 }
        for f in files {
            XCTAssertEqual(MD5.hex([UInt8](FileManager.default.contents(atPath: "\(dir)/\(f.name)")!)), f.md5)
        }
        XCTAssertGreaterThan(reports, 0)
        XCTAssertEqual(try DataSource.folder(dir).test?.count, 10_000)
    }

    func testACorruptedCopyIsRejectedAndTheNextMirrorUsed() throws {
        let dir = "\(root)/out"
        try MNISTDownload.download(files, to: dir, mirrors: [mirror("bad"), mirror("good")])
        for f in files {
            XCTAssertEqual(MD5.hex([UInt8](FileManager.default.contents(atPath: "\(dir)/\(f.name)")!)), f.md5)
        }
    }

    func testOnlyCorruptedCopiesIsAnErrorAndLeavesNoFile() {
        let dir = "\(root)/out"
        XCTAssertThrowsError(try MNISTDownload.download(files, to: dir, mirrors: [mirror("bad")], packageIndex: false))
        {
            XCTAssertTrue("\($0)".contains("MD5"), "\($0)")
            XCTAssertTrue("\($0)".contains("by hand"), "\($0)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/\(files[0].name)"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/\(files[0].name).part"))
    }

    /// A partial file is continued with a range request: the server's copy is wrong in its
    /// first 100 bytes, so only a download that keeps the local first bytes ends up right.
    func testResumesAPartialDownload() throws {
        let dir = "\(root)/out"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let name = files[1].name
        let good = try Data(contentsOf: URL(fileURLWithPath: "\(root)/good/\(name)"))
        XCTAssertTrue(FileManager.default.createFile(atPath: "\(dir)/\(name).part", contents: good.prefix(1_000)))
        try MNISTDownload.download([files[1]], to: dir, mirrors: [mirror("front")])
        XCTAssertEqual(FileManager.default.contents(atPath: "\(dir)/\(name)"), good)
    }

    /// A mirror that accepts the connection and never answers is given up after the idle
    /// timeout, in words, and the next mirror serves the file.
    func testASilentMirrorTimesOutAndTheNextServes() throws {
        let dir = "\(root)/out"
        let started = Date()
        let served = try MNISTDownload.download(
            [files[1]], to: dir, mirrors: [mirror("silent"), mirror("good")], packageIndex: false,
            limits: DownloadLimits(idle: 1, total: 30))
        XCTAssertLessThan(Date().timeIntervalSince(started), 15)
        XCTAssertEqual(served.first?.source, mirror("good") + files[1].name)
    }

    func testASilentMirrorAloneSaysItTimedOut() {
        XCTAssertThrowsError(
            try MNISTDownload.download(
                [files[1]], to: "\(root)/out", mirrors: [mirror("silent")], packageIndex: false,
                limits: DownloadLimits(idle: 1, total: 30))
        ) {
            XCTAssertTrue("\($0)".contains("no data for 1 s"), "\($0)")
            XCTAssertFalse("\($0)".contains("NSURLErrorDomain"), "\($0)")
        }
    }

    /// A byte every half second never trips the idle timeout: the deadline ends it.
    func testATricklingMirrorMeetsTheDeadline() {
        let started = Date()
        XCTAssertThrowsError(
            try MNISTDownload.download(
                [files[1]], to: "\(root)/out", mirrors: [mirror("trickle")], packageIndex: false,
                limits: DownloadLimits(idle: 2, total: 3))
        ) {
            XCTAssertTrue("\($0)".contains("not finished after 3 s"), "\($0)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 15)
    }

    /// An endless body is cut off at the published size, and nothing of it is kept.
    func testAnEndlessBodyStopsAtThePublishedSize() {
        let dir = "\(root)/out"
        XCTAssertThrowsError(
            try MNISTDownload.download([files[0]], to: dir, mirrors: [mirror("endless")], packageIndex: false)
        ) {
            XCTAssertTrue("\($0)".contains("more than the published \(self.files[0].size) bytes"), "\($0)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/\(files[0].name).part"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/\(files[0].name)"))
    }

    func testAnOversizedOfferIsRefusedBeforeItsBody() {
        XCTAssertThrowsError(
            try MNISTDownload.download(
                [files[0]], to: "\(root)/out", mirrors: [mirror("oversized")], packageIndex: false)
        ) {
            XCTAssertTrue("\($0)".contains("offers 1073741824 bytes"), "\($0)")
        }
    }

    /// The published sizes are the shared files' sizes.
    func testPublishedSizes() throws {
        for f in files {
            let size = try FileManager.default.attributesOfItem(atPath: "\(sharedData)/\(f.name)")[.size] as? Int
            XCTAssertEqual(size.map(Int64.init), f.size, f.name)
        }
    }

    func testOfflineSaysWhereToPutTheFiles() {
        XCTAssertThrowsError(
            try MNISTDownload.download(files, to: "\(root)/out", mirrors: ["http://127.0.0.1:1/"], packageIndex: false)
        ) {
            XCTAssertTrue("\($0)".contains("in \(root)/out by hand"), "\($0)")
        }
    }
}
