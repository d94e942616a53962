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
        let temporary = try prepare(data, for: path)
        try commit(temporary, to: path)
    }

    /// Writes files that belong together (a run's weights and its logs) so that no mix of
    /// two runs is ever left: all are written and synced first; then the old companions are
    /// removed, the first file renamed into place, and the companions after it. Killed at
    /// any point, the folder holds the old first file alone, or the new one with (some of)
    /// its own companions.
    public static func writeSet(_ files: [(data: Data, path: String)]) throws {
        var temporaries: [String] = []
        defer { for t in temporaries { unlink(t) } }
        for f in files { temporaries.append(try prepare(f.data, for: f.path)) }
        for f in files.dropFirst() { unlink(f.path) }
        for (t, f) in zip(temporaries, files) { try commit(t, to: f.path) }
    }

    /// The data in a synced temporary file beside `path`; returns the temporary's path.
    static func prepare(_ data: Data, for path: String) throws -> String {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw WriteError(path: path, reason: "cannot create folder \(directory.path)")
        }
        // A short temporary name, so that a target name near the 255-byte limit still fits.
        let temporary = directory.appendingPathComponent(
            ".lenet5-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max)).tmp"
        ).path
        // Written with POSIX calls so that a failure says why ("No space left on device").
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw WriteError(path: path, reason: String(cString: strerror(errno))) }
        var failure: Int32 = 0
        data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < buffer.count {
                let n = Foundation.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += n
            }
        }
        // On disk before the rename: a crash right after it leaves the new file, not an empty one.
        if failure == 0, fsync(fd) != 0 { failure = errno }
        if close(fd) != 0, failure == 0 { failure = errno }
        guard failure == 0 else {
            unlink(temporary)
            throw WriteError(path: path, reason: String(cString: strerror(failure)))
        }
        return temporary
    }

    /// Renames a prepared temporary into place.
    static func commit(_ temporary: String, to path: String) throws {
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw WriteError(path: path, reason: reason)
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
