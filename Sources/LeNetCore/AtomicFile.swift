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
        // A short temporary name, so that a target name near the 255-byte limit still fits.
        let temporary = directory.appendingPathComponent(
            ".lenet5-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max)).tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: data) else {
            throw WriteError(path: path, reason: "folder not writable or disk full")
        }
        // On disk before the rename: a crash right after it leaves the new file, not an empty one.
        if let handle = FileHandle(forUpdatingAtPath: temporary.path) {
            try? handle.synchronize()
            try? handle.close()
        }
        guard rename(temporary.path, path) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw WriteError(path: path, reason: String(cString: strerror(errno)))
        }
    }

    /// Fails early, before any long work, when a file could not be written at `path` later:
    /// writes (and removes) a probe beside it.
    public static func checkWritable(_ path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        let probe = (folder.isEmpty ? "." : folder) + "/.lenet5-probe-\(ProcessInfo.processInfo.processIdentifier)"
        do { try write(Data(), to: probe) } catch { throw WriteError(path: path, reason: "folder not writable") }
        try? FileManager.default.removeItem(atPath: probe)
    }

    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }
}
