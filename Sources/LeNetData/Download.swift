import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One of the four MNIST files and its published MD5 sum.
public struct MNISTFile: Sendable, Equatable {
    public let name: String
    public let md5: String

    public static let all = [
        MNISTFile(name: "train-images-idx3-ubyte.gz", md5: "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        MNISTFile(name: "train-labels-idx1-ubyte.gz", md5: "d53e105ee54ea40749a09fcbcd1e9432"),
        MNISTFile(name: "t10k-images-idx3-ubyte.gz", md5: "9fb629c4189551a2d022fa330f9573f3"),
        MNISTFile(name: "t10k-labels-idx1-ubyte.gz", md5: "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
}

public enum DownloadError: Error, CustomStringConvertible, Equatable {
    case failed(file: String, directory: String, reasons: [String])

    public var description: String {
        switch self {
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
    /// (file, bytes so far, total bytes if known).
    public static func download(_ files: [MNISTFile] = MNISTFile.all, to directory: String, mirrors: [String] = mirrors,
                                progress: @escaping (String, Int64, Int64?) -> Void = { _, _, _ in }) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for file in files {
            let target = directory + "/" + file.name
            if let existing = FileManager.default.contents(atPath: target), MD5.hex([UInt8](existing)) == file.md5 { continue }
            var reasons: [String] = []
            for mirror in mirrors {
                guard let url = URL(string: mirror + file.name) else { reasons.append("\(mirror): not a URL"); continue }
                do {
                    try fetch(url, to: target + ".part") { progress(file.name, $0, $1) }
                    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: target + ".part")))
                    let sum = MD5.hex(bytes)
                    guard sum == file.md5 else {
                        try? FileManager.default.removeItem(atPath: target + ".part")
                        reasons.append("\(url.absoluteString): MD5 \(sum), expected \(file.md5)")
                        continue
                    }
                    guard rename(target + ".part", target) == 0 else { throw CocoaError(.fileWriteUnknown) }
                    reasons = []
                    break
                } catch {
                    reasons.append("\(url.absoluteString): \(error.localizedDescription)")
                }
            }
            if !reasons.isEmpty { throw DownloadError.failed(file: file.name, directory: directory, reasons: reasons) }
        }
    }

    /// Appends `url`'s bytes to `part`, asking only for what is missing when part of it is
    /// there already (an HTTP range request); starts over if the server ignores the range.
    static func fetch(_ url: URL, to part: String, progress: @escaping (Int64, Int64?) -> Void) throws {
        if !FileManager.default.fileExists(atPath: part) { FileManager.default.createFile(atPath: part, contents: nil) }
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

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
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
