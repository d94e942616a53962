import Foundation

/// How lessons look in the terminal: bold headings and wrapped text on a terminal, plain
/// text when piped.
public struct Terminal: Sendable {
    public let styled: Bool
    public let width: Int

    public init() {
        styled = isatty(STDOUT_FILENO) != 0 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        var size = winsize()
        let columns = ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 ? Int(size.ws_col) : 0
        width = min(
            max(columns > 0 ? columns : Int(ProcessInfo.processInfo.environment["COLUMNS"] ?? "") ?? 100, 40), 110)
    }

    func bold(_ s: String) -> String { styled ? "\u{1B}[1m\(s)\u{1B}[0m" : s }
    func dim(_ s: String) -> String { styled ? "\u{1B}[2m\(s)\u{1B}[0m" : s }
    func accent(_ s: String) -> String { styled ? "\u{1B}[36m\(s)\u{1B}[0m" : s }

    /// Markdown as readable text: headings emphasised, paragraphs wrapped, lists and code kept.
    public func markdown(_ text: String) {
        for paragraph in text.components(separatedBy: "\n\n") {
            let lines = paragraph.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if let first = lines.first, first.hasPrefix("#") {
                let title = first.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces)
                print("\n" + bold(first.hasPrefix("# ") ? title.uppercased() : title))
                if lines.count > 1 { print(wrap(lines.dropFirst().joined(separator: " "))) }
            } else if lines.allSatisfy({
                $0.hasPrefix("- ") || $0.hasPrefix("  ") || $0.first?.isNumber == true || $0.hasPrefix("    ")
                    || $0.hasPrefix("|")
            }) {
                print(lines.joined(separator: "\n"))
            } else {
                print(wrap(lines.joined(separator: " ")))
            }
            print("")
        }
    }

    public func cell(_ text: String, figures: [String]) {
        print(text.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n"))
        for f in figures { print(accent("  figure written: \(f)")) }
        print("")
    }

    public func note(_ s: String) { print(dim(s)) }

    public func waitForEnter() {
        FileHandle.standardOutput.write(Data(dim("[Enter] for the next cell ").utf8))
        _ = readLine()
    }

    func wrap(_ s: String) -> String {
        var lines: [String] = [], current = ""
        for word in s.split(separator: " ") {
            if !current.isEmpty && current.count + 1 + word.count > width {
                lines.append(current)
                current = ""
            }
            current += (current.isEmpty ? "" : " ") + word
        }
        if !current.isEmpty { lines.append(current) }
        return lines.joined(separator: "\n")
    }
}
