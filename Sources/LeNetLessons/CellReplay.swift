import Foundation
import LeNetCore
import LeNetData
import LeNetFigures
import LeNetModel

/// What each cell printed and drew the last time a lesson ran, so that running it again with
/// nothing changed replays the cell instead of recomputing it (`lesson all` warm). A cell is
/// replayed only when everything it reads is the same (`LessonContext.replayKey`: the program,
/// the weights and their log, the data's content, the digit, the figure formats) and every
/// figure it wrote is still on disk; otherwise it runs, and its result replaces the old one.
struct CellReplay: Codable {
    struct Entry: Codable {
        var text: String
        var figures: [Figure]
    }
    struct Figure: Codable {
        var name: String
        var formats: [String]
        var title: String
    }

    var key: String
    var cells: [String: Entry] = [:]

    /// Cells that read more than the key covers (lesson 9 reads the ablation runs kept in the
    /// output folder): always run.
    static func replayable(_ cell: String) -> Bool { !cell.hasPrefix("ablation-") }

    static func path(output: String, lesson: Int) -> String { "\(output)/cache/cells-lesson-\(lesson).json" }

    /// The stored replay for this key, or an empty one (a different key, or none stored).
    static func load(output: String, lesson: Int, key: String) -> CellReplay {
        guard let data = FileManager.default.contents(atPath: path(output: output, lesson: lesson)),
            let stored = try? JSONDecoder().decode(CellReplay.self, from: data), stored.key == key
        else { return CellReplay(key: key) }
        return stored
    }

    /// The cell's stored text and figures, when every figure file is still there.
    func entry(_ cell: String, directory: String) -> (text: String, figures: [WrittenFigure])? {
        guard CellReplay.replayable(cell), let e = cells[cell] else { return nil }
        let figures = e.figures.map {
            WrittenFigure(name: $0.name, formats: $0.formats.compactMap(FigureFormat.init(rawValue:)), title: $0.title)
        }
        let present = figures.allSatisfy { f in
            !f.formats.isEmpty
                && f.formats.allSatisfy {
                    FileManager.default.fileExists(atPath: "\(directory)/\(f.name).\($0.rawValue)")
                }
        }
        return present ? (e.text, figures) : nil
    }

    mutating func store(_ cell: String, text: String, figures: [WrittenFigure]) {
        guard CellReplay.replayable(cell) else { return }
        cells[cell] = Entry(
            text: text,
            figures: figures.map { Figure(name: $0.name, formats: $0.formats.map(\.rawValue), title: $0.title) })
    }

    func save(output: String, lesson: Int) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try FileManager.default.createDirectory(atPath: output + "/cache", withIntermediateDirectories: true)
        try AtomicFile.write(try encoder.encode(self), to: CellReplay.path(output: output, lesson: lesson))
    }
}

extension LessonContext {
    /// Everything the replayable cells read, as one string (MD5): the program itself, the
    /// network's weights, recipe and log, the data's content, the digit followed, and the
    /// figure formats and scale.
    func computeReplayKey() -> String {
        var parts: [String] = []
        // The program: a rebuilt `lesson` may compute or word things differently.
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let attributes = try? FileManager.default.attributesOfItem(atPath: exe)
        parts.append(
            "program \(exe) \((attributes?[.size] as? Int) ?? -1) \((attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? -1)"
        )
        // The network and the run that made it.
        var weights: [UInt8] = []
        for p in net.parameters {
            weights += Array(p.name.utf8)
            p.value.scalars.withUnsafeBytes { weights += $0 }
        }
        parts.append("weights \(MD5.hex(weights)) \(net.scaling.rawValue) \(net.architecture)")
        parts.append(
            "model \(model.origin) \(model.checkName) \(model.config.passesDescription) seed \(model.config.seed)")
        parts.append("provenance \(model.provenance.map { "\($0)" } ?? "none")")
        parts.append(
            "log "
                + model.log.map {
                    "\($0.epoch) \($0.trainLoss) \($0.trainError) \($0.validationError ?? -1) \($0.trainingSetError ?? -1)"
                }.joined(separator: ","))
        // The data, by content.
        parts.append("data \(splits.identity) \(splits.source)")
        for (name, d) in [("train", splits.train), ("validation", splits.validation), ("test", splits.test)] {
            parts.append("\(name) \(d.map { "\($0.count) \($0.fingerprint)" } ?? "none")")
        }
        parts.append("shown \(digits.name) \(digits.count) \(digits.fingerprint) sample \(sample)")
        if let picture {
            parts.append("picture \(picture.file) \(picture.labelKnown) \(picture.digit.fingerprint)")
        }
        parts.append("formats \(formats.map(\.rawValue)) scale \(scale)")
        return MD5.hex(Array(parts.joined(separator: "\n").utf8))
    }
}
