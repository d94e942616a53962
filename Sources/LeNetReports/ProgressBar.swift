import Foundation

/// A one-line progress bar with rate and time left on a terminal; silent when piped
/// (the caller prints a summary line per epoch either way).
public final class ProgressBar {
    let enabled = isatty(STDOUT_FILENO) != 0
    var start = Date()
    var lastDraw = Date.distantPast

    public init() {}

    public func update(label: String, done: Int, total: Int) {
        guard enabled else { return }
        if done <= 1 { start = Date() }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) > 0.1 || done == total else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let left = rate > 0 ? Double(total - done) / rate : 0
        let width = 30
        let filled = total > 0 ? width * done / total : 0
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        FileHandle.standardOutput.write(
            Data(String(format: "\r%@ %@ %d/%d  %.0f/s  %.0f s left ", label, bar, done, total, rate, left).utf8))
    }

    public func finish() {
        guard enabled else { return }
        FileHandle.standardOutput.write(Data("\r\u{1B}[K".utf8))
    }
}
