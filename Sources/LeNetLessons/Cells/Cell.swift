import LeNetReports
import LeNetFigures
import LeNetModel
import LeNetTraining
import LeNetData
import LeNetCore

/// A named piece of Swift that a notebook runs: it computes from the model and the data,
/// writes figures through the context, and returns the text to show.
public typealias Cell = @Sendable (LessonContext) throws -> String

public enum Cells {
    /// Every cell, by the name notebooks use.
    public static let all: [String: Cell] = groups.reduce(into: [:]) { $0.merge($1) { first, _ in first } }

    static let groups = [
        lesson1, lesson2, lesson3, lesson4, lesson5, lesson6, lesson7, lesson8, lesson9, gradients, common,
    ]

    /// Names that more than one lesson's cells define: an error (`LessonRunner.validate`),
    /// never a silent choice of one of them.
    public static let duplicates: [String] = {
        var seen = Set<String>(), twice = Set<String>()
        for name in groups.flatMap(\.keys) where !seen.insert(name).inserted { twice.insert(name) }
        return twice.sorted()
    }()

    /// Cells every lesson uses, about the lesson's own layer.
    static let common: [String: Cell] = [
        "architecture": { ctx in
            let layer = ctx.lessonLayer
            try ctx.save(
                ArchitectureDiagram(
                    title: "LeNet-5: this lesson is about \(layer)", stages: ctx.stages, highlighted: layer),
                as: "architecture")
            return "LeNet-5 as the model computes it: "
                + ctx.stages.map { "\($0.name) \(Format.shape($0.shape))" }.joined(separator: " → ")
        },
        "check": { ctx in
            let row = ctx.report.layers.first { $0.name == ctx.lessonLayer }!
            let ok = [row.shapeMatches, row.parametersMatch, row.connectionsMatch].allSatisfy { $0 != false }
            return "Check of \(row.name) against the paper (II.B):\n" + ctx.check(row.name) + "\n"
                + (ok ? "\(row.name) matches the paper." : "\(row.name) differs from the paper (✗).")
        },
    ]

    /// A layer's maps for the sample digit, as a figure named "<layer>-maps".
    static func featureMaps(
        _ ctx: LessonContext, layer: String, title: String, subtitle: String, columns: Int, tileSize: Double
    ) throws -> String {
        let maps = ctx.output(of: layer)
        let shape = Array(maps.shape.dropFirst())
        try ctx.save(
            ImageGrid(
                title: "\(layer): the \(shape[0]) \(title) of \(ctx.sampleName), \(shape[1])×\(shape[2]) each",
                subtitle: subtitle,
                tiles: mapTiles(maps, name: layer), columns: columns, scale: .shared(activationScale),
                colorBarLabel: "activation", tileSize: tileSize), as: "\(layer.lowercased())-maps")
        return
            "\(layer) output: \(Format.shape(shape)), values \(value(maps.scalars.min()!)) … \(value(maps.scalars.max()!))"
    }

    /// Tiles for the maps of a (1, C, H, W) tensor.
    static func mapTiles(_ t: Tensor, name: String) -> [ImageGrid.Tile] {
        (0..<t.shape[1]).map {
            .init(caption: "\(name) map \($0)", values: t.map(0, $0), rows: t.shape[2], columns: t.shape[3])
        }
    }

    /// The shared grey scale for squashed activations: −A … A.
    static let activationScale = ColorMap.grayscale(low: -Activation.amplitude, high: Activation.amplitude)

    /// The values of `tensors` (one per parameter of `layer`: its curvature, gradient, …) that
    /// belong to weights the layer really uses: trainable parameters, and of a kernel only the
    /// connections its map table makes (Table I leaves 36 of C3's 96 pairs out).
    static func usedValues(of layer: any Layer, _ tensors: [Tensor]) -> [Float] {
        zip(layer.parameters, tensors).enumerated().flatMap { p, pair -> [Float] in
            let (parameter, t) = pair
            guard parameter.trainable else { return [] }
            guard p == 0, let table = layer.mapInputs, t.shape.count == 4 else { return t.scalars }
            let (inputs, block) = (t.shape[1], t.shape[2] * t.shape[3])
            return table.enumerated().flatMap { o, reads in
                reads.flatMap { i in t.scalars[((o * inputs + i) * block)..<((o * inputs + i + 1) * block)] }
            }
        }
    }

    /// A primitive in a few words: "conv 5×5", "2×2 sum × β + b", "tanh".
    static func primitiveName(_ p: Primitive) -> String {
        switch p {
        case .convolution(let w, _): "convolution \(w.shape[2])×\(w.shape[3])"
        case .scaledSum2x2: "2×2 sum × β + b"
        case .average2x2: "2×2 mean"
        case .flatten: "flatten"
        case .dense: "W·x + b"
        case .squaredDistance(let c): "Σⱼ (xⱼ − cᵢⱼ)² to \(c.shape[0]) codes"
        case .activation(let a): a == .squash ? "A·tanh(S·a)" : "\(a)"
        }
    }

    /// The share of `values` in each of `bins` equal bins from `low` to `high` (values outside
    /// fall in the end bins), as (bin centre, share) points for a line chart.
    static func histogram(_ values: [Double], from low: Double, to high: Double, bins: Int) -> [(x: Double, y: Double)]
    {
        let width = (high - low) / Double(bins)
        var counts = [Double](repeating: 0, count: bins)
        for v in values { counts[min(bins - 1, max(0, Int((v - low) / width)))] += 1 }
        return counts.indices.map { (low + (Double($0) + 0.5) * width, counts[$0] / Double(max(values.count, 1))) }
    }

    /// The start of a training run with `config` on `train`: the network at the start and
    /// after each number of training digits in `stops` (one update each), paused and resumed
    /// through `trainEpoch(shouldStop:)` so the run is exactly the one `config` makes. Ends
    /// early, at the end of the first pass, when the digits run out.
    static func runStart(_ config: TrainingConfig, on train: Digits, stops: [Int]) throws -> [(
        seen: Int, net: LeNet5
    )] {
        var trainer = Trainer(config: config)
        var frames = [(seen: 0, net: trainer.net)]
        var position = 0
        for stop in stops where stop > 0 {
            let finished = try trainer.trainEpoch(
                train, shouldStop: { position >= stop }, progress: { done, _ in position = done })
            frames.append((position, trainer.net))
            if finished != nil { break }
        }
        return frames
    }

    static func value(_ v: Float, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", v) }
}

extension LessonContext {
    /// Lesson N is about layer N: C1, S2, C3, S4, C5, F6, Output.
    public var lessonLayer: String { net.layers[min(max(lesson - 1, 0), net.layers.count - 1)].name }
}

import LeNetCore
