import Foundation
import Ink
import LeNetReports
import LeNetCore

/// Runs notebooks: prints each to the terminal and writes its HTML page and figures.
public struct LessonRunner {
    public let library: NotebookLibrary
    public let context: LessonContext
    public let output: String
    public let terminal: Terminal
    /// Wait for Enter between cells.
    public let step: Bool

    public init(library: NotebookLibrary, context: LessonContext, output: String, terminal: Terminal, step: Bool) {
        self.library = library
        self.context = context
        self.output = output
        self.terminal = terminal
        self.step = step
    }

    /// Every cell a notebook names must exist before anything runs.
    public func validate(_ notebook: Notebook) throws {
        if let twice = Cells.duplicates.first { throw NotebookError.duplicateCell(twice) }
        if let missing = notebook.cellNames.first(where: { Cells.all[$0] == nil }) {
            throw NotebookError.unknownCell(lesson: notebook.number, cell: missing)
        }
        if let missing = notebook.exercises.first(where: { Exercises.all[$0.name] == nil }) {
            throw NotebookError.noCheck(lesson: notebook.number, exercise: missing.name)
        }
    }

    public func directory(_ notebook: Notebook) -> String { "\(output)/lesson-\(notebook.number)" }

    /// Runs one notebook; returns the path of its HTML page.
    @discardableResult
    public func run(_ notebook: Notebook) throws -> String {
        try validate(notebook)
        let dir = directory(notebook)
        context.begin(lesson: notebook.number, directory: dir)
        var html: [String] = []
        let parser = MarkdownParser()
        var exercises = notebook.exercises.makeIterator()
        for block in notebook.blocks {
            switch block {
            case .markdown(let text):
                terminal.markdown(text)
                html.append(parser.html(from: text))
            case .cell(let name):
                if step { terminal.waitForEnter() }
                let text = try Cells.all[name]!(context)
                let figures = context.takeWritten()
                terminal.cell(text, figures: figures.map { "\(dir)/\($0)" })
                html.append(HTMLPage.cell(name: name, text: text, figures: figures))
            case .exercise:
                let e = exercises.next()!
                let how =
                    "Check your answer: lesson check \(e.number) ANSWER   (a worked solution: lesson check \(e.number) --solution)"
                terminal.markdown("Exercise \(e.number). \(e.question)")
                terminal.note("  " + how)
                html.append(
                    "<section class=\"exercise\" id=\"exercise-\(e.number)\"><p><strong>Exercise \(e.number).</strong></p>\n"
                        + parser.html(from: e.question)
                        + "\n<p class=\"check\"><code>lesson check \(e.number) ANSWER</code></p></section>")
            }
        }
        let page = "\(dir)/index.html"
        try AtomicFile.write(
            HTMLPage.document(
                title: notebook.title, body: html.joined(separator: "\n"),
                navigation: navigation(notebook)), to: page)
        terminal.note("page written: \(page)")
        return page
    }

    func navigation(_ notebook: Notebook) -> String {
        let all = library.notebooks
        let i = all.firstIndex { $0.number == notebook.number }!
        var links = ["<a href=\"../index.html\">all lessons</a>"]
        if i > 0 {
            links.insert(
                "<a href=\"../lesson-\(all[i - 1].number)/index.html\">← \(HTMLPage.escape(all[i - 1].title))</a>",
                at: 0)
        }
        if i + 1 < all.count {
            links.append(
                "<a href=\"../lesson-\(all[i + 1].number)/index.html\">\(HTMLPage.escape(all[i + 1].title)) →</a>")
        }
        return links.joined(separator: " · ")
    }

    /// Output/index.html linking every lesson.
    public func writeIndex() throws -> String {
        let items = library.notebooks.map {
            "<li><a href=\"lesson-\($0.number)/index.html\">\(HTMLPage.escape($0.title))</a></li>"
        }
        let body =
            "<h1>LeNet-5, one layer at a time</h1>\n<p>LeCun, Bottou, Bengio, Haffner, “Gradient-Based Learning Applied to Document Recognition”, Proc. IEEE 1998.</p>\n<ol>\n\(items.joined(separator: "\n"))\n</ol>"
        let path = "\(output)/index.html"
        try AtomicFile.write(HTMLPage.document(title: "LeNet-5 lessons", body: body, navigation: ""), to: path)
        return path
    }
}

/// The HTML around the lessons: one self-contained page per lesson that opens offline.
enum HTMLPage {
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
            of: ">", with: "&gt;")
    }

    static func cell(name: String, text: String, figures: [String]) -> String {
        let images = figures.map { "<figure><img src=\"\(escape($0))\" alt=\"\(escape(name))\"></figure>" }.joined(
            separator: "\n")
        return
            "<section class=\"cell\" id=\"\(escape(name))\"><div class=\"cell-name\">\(escape(name))</div>\n<pre>\(escape(text))</pre>\n\(images)</section>"
    }

    static func document(title: String, body: String, navigation: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <style>
        body { font-family: "DejaVu Sans", system-ui, sans-serif; max-width: 980px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.5; }
        nav { font-size: 0.9em; margin-bottom: 1.5em; } nav a { color: #1b6ca8; }
        h1 { font-size: 1.8em; } h2 { margin-top: 1.6em; }
        .cell { border-left: 4px solid #1b6ca8; background: #f6f8fa; padding: 0.6em 1em; margin: 1.2em 0; }
        .cell-name { font-size: 0.75em; color: #777; text-transform: uppercase; letter-spacing: 0.05em; }
        pre { white-space: pre-wrap; font-family: "DejaVu Sans Mono", monospace; font-size: 0.85em; margin: 0.4em 0; }
        figure { margin: 0.8em 0; } img { max-width: 100%; height: auto; background: white; }
        code { background: #eef; padding: 0 0.2em; }
        .exercise { border-left: 4px solid #d95f02; background: #fdf6f0; padding: 0.4em 1em; margin: 1em 0; }
        .exercise .check { font-size: 0.9em; color: #555; }
        </style></head>
        <body><nav>\(navigation)</nav>
        \(body)
        </body></html>

        """
    }
}
