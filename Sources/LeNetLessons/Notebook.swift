import Foundation

/// A lesson notebook: Markdown narrative with named cells that Swift code fills in.
/// A cell is a line of its own: `<!-- cell: c1-kernels -->` (invisible where the Markdown is
/// read as is, so teachers can edit the words freely).
public struct Notebook: Sendable {
    public enum Block: Equatable, Sendable {
        case markdown(String)
        case cell(String)
        /// An exercise: its check's name and its question (the lines after the marker, up to
        /// a blank line), numbered N.K in the order of the lesson.
        case exercise(name: String, question: String)
    }

    public let number: Int
    public let title: String
    public let blocks: [Block]

    /// The first sentence of the lesson's prose (after its title), for the front page.
    public var firstSentence: String {
        for case .markdown(let text) in blocks {
            let sentence = Notebook.firstSentence(of: text)
            if !sentence.isEmpty { return sentence }
        }
        return ""
    }

    /// The first sentence of a Markdown block's prose (headings left out), as plain text.
    public static func firstSentence(of text: String) -> String {
        let prose = text.split(separator: "\n").filter {
            !$0.hasPrefix("#") && !$0.trimmingCharacters(in: .whitespaces).isEmpty
        }.joined(separator: " ")
        let plain = prose.replacingOccurrences(of: "*", with: "").replacingOccurrences(of: "`", with: "")
        if let end = plain.range(of: ". ") { return String(plain[..<end.lowerBound]) + "." }
        return plain
    }

    public var cellNames: [String] { blocks.compactMap { if case .cell(let n) = $0 { return n } else { return nil } } }

    /// The exercises in order: exercise K of lesson N is "N.K".
    public var exercises: [(number: String, name: String, question: String)] {
        blocks.compactMap { if case .exercise(let n, let q) = $0 { return (n, q) } else { return nil } }
            .enumerated().map { ("\(number).\($0.offset + 1)", $0.element.0, $0.element.1) }
    }

    public init(number: Int, text: String) {
        self.number = number
        var blocks: [Block] = []
        var prose: [Substring] = []
        func flush() {
            let s = prose.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            if !s.isEmpty { blocks.append(.markdown(s)) }
            prose = []
        }
        var exercise: String?, question: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let t = line.trimmingCharacters(in: .whitespaces)
            if let name = exercise {
                if t.isEmpty && !question.isEmpty {
                    blocks.append(.exercise(name: name, question: question.joined(separator: "\n")))
                    exercise = nil
                    question = []
                } else if !t.isEmpty {
                    question.append(line)
                }
                continue
            }
            if t.hasPrefix("<!-- exercise:") && t.hasSuffix("-->") {
                flush()
                exercise = t.dropFirst("<!-- exercise:".count).dropLast(3).trimmingCharacters(in: .whitespaces)
            } else if t.hasPrefix("<!-- cell:") && t.hasSuffix("-->") {
                flush()
                blocks.append(.cell(t.dropFirst("<!-- cell:".count).dropLast(3).trimmingCharacters(in: .whitespaces)))
            } else {
                prose.append(line)
            }
        }
        if let name = exercise { blocks.append(.exercise(name: name, question: question.joined(separator: "\n"))) }
        flush()
        self.blocks = blocks
        title =
            text.split(separator: "\n").first { $0.hasPrefix("# ") }.map { String($0.dropFirst(2)) }
            ?? "Lesson \(number)"
    }
}

public enum NotebookError: Error, CustomStringConvertible, Equatable {
    case folderNotFound
    case unknownLesson(String, available: [Int])
    case unknownCell(lesson: Int, cell: String)
    case unknownExercise(String, available: [String])
    case duplicateCell(String)
    case noCheck(lesson: Int, exercise: String)

    public var description: String {
        switch self {
        case .folderNotFound: return "cannot find the Lessons/ folder (pass --lessons DIR)"
        case .unknownLesson(let s, let a):
            return "unknown lesson '\(s)': choose one of \(a.map(String.init).joined(separator: ", ")), all or list"
        case .unknownCell(let l, let c):
            return "Lessons/\(String(format: "%02d", l))-….md names a cell '\(c)' that no code provides"
        case .duplicateCell(let c): return "two lessons' code defines a cell named '\(c)': rename one"
        case .unknownExercise(let e, let a): return "no exercise '\(e)': the exercises are \(a.joined(separator: ", "))"
        case .noCheck(let l, let e):
            return "Lessons/\(String(format: "%02d", l))-….md names an exercise '\(e)' that no check provides"
        }
    }
}

/// The notebooks in a folder: files named `NN-name.md`.
public struct NotebookLibrary: Sendable {
    public let folder: String
    public let notebooks: [Notebook]

    /// The repository's Lessons/ folder, found from this source file (a build from a checkout).
    public static let defaultFolder: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Lessons").path

    public init(folder: String = NotebookLibrary.defaultFolder) throws {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
            throw NotebookError.folderNotFound
        }
        self.folder = folder
        notebooks = try names.sorted().compactMap { name in
            guard name.hasSuffix(".md"), let number = Int(name.prefix(2)) else { return nil }
            let text = try String(contentsOfFile: folder + "/" + name, encoding: .utf8)
            return Notebook(number: number, text: text)
        }
    }

    public func notebook(_ argument: String) throws -> Notebook {
        guard let n = Int(argument), let nb = notebooks.first(where: { $0.number == n }) else {
            throw NotebookError.unknownLesson(argument, available: notebooks.map(\.number))
        }
        return nb
    }
}
