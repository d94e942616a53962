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
    /// The pages written so far, for the front page's cards.
    final class Pages: @unchecked Sendable {
        var byNumber: [Int: LessonPage] = [:]
    }
    let pages = Pages()

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
        var shown: [WrittenFigure] = []
        // The lesson's own words that introduce a cell: they caption its figures.
        var introduction = ""
        var replay = CellReplay.load(output: output, lesson: notebook.number, key: context.replayKey)
        for block in notebook.blocks {
            switch block {
            case .markdown(let text):
                terminal.markdown(text)
                html.append(parser.html(from: text))
                introduction = Notebook.firstSentence(of: text)
            case .cell(let name):
                if step { terminal.waitForEnter() }
                let text: String, figures: [WrittenFigure]
                if let stored = replay.entry(name, directory: dir) {
                    (text, figures) = stored
                } else {
                    text = try Cells.all[name]!(context)
                    figures = context.takeWritten()
                    replay.store(name, text: text, figures: figures)
                }
                terminal.cell(text, figures: figures.map { "\(dir)/\($0.file)" })
                html.append(HTMLPage.cell(name: name, text: text, figures: figures, caption: introduction))
                introduction = ""
                shown += figures
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
        try replay.save(output: output, lesson: notebook.number)
        let page = "\(dir)/index.html"
        try AtomicFile.write(
            HTMLPage.document(
                title: notebook.title, body: html.joined(separator: "\n"),
                navigation: navigation(notebook)), to: page)
        terminal.note("page written: \(page)")
        pages.byNumber[notebook.number] = LessonPage(notebook: notebook, figures: shown)
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

    /// Output/index.html, the course's front page: the network as a row of layers, each
    /// linking to its lesson; a card per lesson with a thumbnail and its first sentence; the
    /// explorer; the paper ledger when `lesson reproduce` has written one; and what the pages
    /// were made from.
    public func writeIndex(explorer: Bool, made: String, ledger: String?) throws -> String {
        let notebooks = library.notebooks
        /// The lesson whose title names a layer (or "input").
        func lesson(for name: String) -> Notebook? {
            notebooks.first { $0.title.lowercased().contains(name.lowercased()) }
        }
        let stages = context.stages.map { stage -> String in
            let label =
                "<span class=\"stage-name\">\(HTMLPage.escape(stage.name))</span><span class=\"stage-shape\">\(stage.shape.map(String.init).joined(separator: "×"))</span><span class=\"stage-note\">\(HTMLPage.escape(stage.note))</span>"
            guard let nb = lesson(for: stage.name == "input" ? "input" : stage.name) else {
                return "<span class=\"stage\">\(label)</span>"
            }
            return "<a class=\"stage\" href=\"lesson-\(nb.number)/index.html\">\(label)</a>"
        }
        let cards = notebooks.map { nb -> String in
            // The lesson's own first figure: most lessons open with the architecture diagram.
            let figures = pages.byNumber[nb.number]?.figures ?? []
            let thumbnail = (figures.first { !$0.name.hasPrefix("architecture") } ?? figures.first).map {
                "<img src=\"lesson-\(nb.number)/\(HTMLPage.escape($0.file))\" alt=\"\(HTMLPage.escape($0.title))\">"
            }
            return """
                <a class="card" href="lesson-\(nb.number)/index.html">\(thumbnail ?? "")
                <span class="card-title">\(HTMLPage.escape(nb.title))</span>
                <span class="card-text">\(HTMLPage.escape(nb.firstSentence))</span></a>
                """
        }
        var body = """
            <h1>LeNet-5, one layer at a time</h1>
            <p class="lead">LeCun, Bottou, Bengio and Haffner, “Gradient-Based Learning Applied to Document Recognition”, Proc. IEEE 1998: the network, computed and checked layer by layer.</p>
            <h2>The network</h2>
            <p>Each layer links to its lesson.</p>
            <div class="stages">\(stages.joined(separator: "<span class=\"arrow\">→</span>"))</div>
            """
        if explorer {
            body += """
                <p class="explore"><a href="explorer/index.html">Open the explorer</a>: every map of the trained network for a digit you pick or draw, and the arithmetic of any unit.</p>
                """
        }
        body += "<h2>The lessons</h2>\n<div class=\"cards\">\n\(cards.joined(separator: "\n"))\n</div>"
        if let ledger { body += "\n<h2>The paper's results, reproduced</h2>\n<pre>\(HTMLPage.escape(ledger))</pre>" }
        body += "\n<p class=\"made\">\(HTMLPage.escape(made))</p>"
        let path = "\(output)/index.html"
        try AtomicFile.write(HTMLPage.document(title: "LeNet-5 lessons", body: body, navigation: ""), to: path)
        return path
    }
}

/// What the front page knows of a lesson page it links to.
struct LessonPage {
    var notebook: Notebook
    var figures: [WrittenFigure]
}

/// The HTML around the lessons: one self-contained page per lesson that opens offline.
enum HTMLPage {
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
            of: ">", with: "&gt;")
    }

    /// A cell: its text, then its figures, each with its title as caption and alt text; an
    /// SVG, when written, is what the browser shows, with the PNG as fallback.
    static func cell(name: String, text: String, figures: [WrittenFigure], caption: String = "") -> String {
        let images = figures.map { f -> String in
            let title = escape(f.title)
            let raster = f.formats.first { $0 == .png }.map { "\(f.name).\($0.rawValue)" } ?? f.file
            let img = "<img src=\"\(escape(raster))\" alt=\"\(title)\">"
            let picture =
                f.formats.contains(.svg) && f.formats.contains(.png)
                ? "<picture><source srcset=\"\(escape(f.name)).svg\" type=\"image/svg+xml\">\(img)</picture>" : img
            let words = caption.isEmpty ? "" : " " + escape(caption)
            return "<figure>\(picture)<figcaption><strong>\(title).</strong>\(words)</figcaption></figure>"
        }.joined(separator: "\n")
        return
            "<section class=\"cell\" id=\"\(escape(name))\">\n<pre>\(escape(text))</pre>\n\(images)</section>"
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
        pre { white-space: pre-wrap; font-family: "DejaVu Sans Mono", monospace; font-size: 0.85em; margin: 0.4em 0; }
        figure { margin: 0.8em 0; } img { max-width: 100%; height: auto; background: white; }
        code { background: #eef; padding: 0 0.2em; }
        .exercise { border-left: 4px solid #d95f02; background: #fdf6f0; padding: 0.4em 1em; margin: 1em 0; }
        .exercise .check { font-size: 0.9em; color: #555; }
        figcaption { font-size: 0.85em; color: #555; margin-top: 0.2em; }
        .lead { color: #444; }
        .stages { display: flex; flex-wrap: wrap; align-items: center; gap: 0.3em; margin: 0.8em 0; }
        .stage { display: flex; flex-direction: column; align-items: center; padding: 0.4em 0.7em; border: 2px solid #1b6ca8; border-radius: 6px; color: #1b6ca8; text-decoration: none; background: #f6f8fa; min-width: 4.5em; }
        a.stage:hover { background: #1b6ca8; color: white; }
        .stage-name { font-weight: bold; } .stage-shape { font-size: 0.8em; } .stage-note { font-size: 0.7em; color: inherit; opacity: 0.8; }
        .arrow { color: #999; }
        .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 1em; }
        .card { display: flex; flex-direction: column; border: 1px solid #ddd; border-radius: 6px; padding: 0.6em; text-decoration: none; color: #222; background: white; }
        .card:hover { border-color: #1b6ca8; box-shadow: 0 1px 6px rgba(0,0,0,0.12); }
        .card img { width: 100%; height: 130px; object-fit: contain; background: white; }
        .card-title { font-weight: bold; margin: 0.4em 0 0.2em; color: #1b6ca8; }
        .card-text { font-size: 0.85em; color: #444; }
        .explore { font-size: 1.05em; background: #fdf6f0; border-left: 4px solid #d95f02; padding: 0.5em 1em; }
        .made { font-size: 0.8em; color: #666; margin-top: 2em; }
        @media print { nav, .explore { display: none; } .cell, .exercise { break-inside: avoid; } a { color: inherit; text-decoration: none; } }
        </style></head>
        <body><nav>\(navigation)</nav>
        \(body)
        </body></html>

        """
    }
}
