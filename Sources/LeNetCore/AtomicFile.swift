import Foundation

/// Why a file could not be written.
public struct WriteError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "\(path): cannot write (\(reason))" }
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}

/// Writes files whole or not at all: to a temporary file beside the target, then a rename,
/// so a crash or a full disk never leaves a half-written file where a good one was.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw WriteError(path: path, reason: "cannot create folder \(directory.path)")
        }
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: data) else {
            throw WriteError(path: path, reason: "folder not writable or disk full")
        }
        guard rename(temporary.path, path) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw WriteError(path: path, reason: String(cString: strerror(errno)))
        }
    }

    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }
}
