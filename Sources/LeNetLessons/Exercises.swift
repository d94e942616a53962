import Foundation
import LeNetReports
import LeNetCore
import LeNetData
import LeNetModel
import LeNetTraining

/// An exercise's check: the answer, computed from the model and the data (never typed in),
/// a hint for a wrong answer (never the answer itself), and a worked solution.
public struct Exercise: Sendable {
    public enum Answer: Sendable, Equatable {
        /// A whole number; "2,416", "2416" and "2 416" are all accepted.
        case whole(Int)
        /// A number, right within the tolerance.
        case number(Double, tolerance: Double)
        /// A word; any of these spellings, case and spaces ignored.
        case word([String])

        public func accepts(_ text: String) -> Bool {
            let t = text.trimmingCharacters(in: .whitespaces)
            switch self {
            case .whole(let n):
                let digits = t.replacingOccurrences(of: ",", with: "").replacingOccurrences(of: " ", with: "")
                    .replacingOccurrences(of: "_", with: "")
                return Int(digits) == n
            case .number(let x, let tolerance):
                guard let v = Double(t.replacingOccurrences(of: ",", with: "")) else { return false }
                return abs(v - x) <= tolerance
            case .word(let spellings):
                let normal = { (s: String) in s.lowercased().filter { !$0.isWhitespace } }
                return spellings.contains { normal($0) == normal(t) }
            }
        }

        /// The answer as the solution shows it.
        public var shown: String {
            switch self {
            case .whole(let n): return Format.count(n)
            case .number(let x, let tolerance):
                return String(format: "%.\(max(0, Int((-log10(tolerance)).rounded(.up))))f", x)
            case .word(let spellings): return spellings[0]
            }
        }
    }

    public let answer: @Sendable (LessonContext) throws -> Answer
    public let hint: String
    public let solution: @Sendable (LessonContext) throws -> String

    public init(
        answer: @escaping @Sendable (LessonContext) throws -> Answer, hint: String,
        solution: @escaping @Sendable (LessonContext) throws -> String
    ) {
        self.answer = answer
        self.hint = hint
        self.solution = solution
    }
}

/// The checks the lessons' `<!-- exercise: name -->` markers name.
public enum Exercises {
    public static let all: [String: Exercise] = [
        // Lesson 1
        "c1-parameters": Exercise(
            answer: { .whole(layer($0, "C1").trainableParameters) },
            hint:
                "Each of C1's maps has one shared 5×5 kernel and one bias; count them per map, then multiply by the maps.",
            solution: { ctx in
                let maps = layer(ctx, "C1").shape[0]
                return
                    "\(maps) maps × (5 × 5 weights + 1 bias) = \(Format.count(layer(ctx, "C1").trainableParameters)): every unit of a map shares its kernel."
            }),
        "input-value": Exercise(
            answer: { .number(Double($0.net.scaling.value(128)), tolerance: 0.005) },
            hint: "Background (0) maps to −0.1 and full ink (255) to 1.175, linearly in between.",
            solution: { ctx in
                let s = ctx.net.scaling
                return String(
                    format: "background %.3f, plus (foreground − background) %.3f × 128/255: %.3f", s.background,
                    s.foreground - s.background, s.value(128))
            }),
        "c1-map2-strongest": Exercise(
            answer: { .whole(strongestForC1Map2($0).digit) },
            hint:
                "Run the first 100 shown digits through C1, average map 2 over its 28×28 units for each digit, and take the largest.",
            solution: { ctx in
                let (digit, mean) = strongestForC1Map2(ctx)
                return
                    "Among digits 0…99 of the shown set, digit \(digit) (a \(ctx.digits.labels[digit])) gives C1 map 2 the largest mean output, "
                    + String(format: "%.3f.", mean)
            }),
        // Lesson 2
        "s2-parameters": Exercise(
            answer: { .whole(layer($0, "S2").trainableParameters) },
            hint: "A subsampling map has one trainable coefficient and one trainable bias, shared by all its units.",
            solution: { ctx in
                "\(layer(ctx, "S2").shape[0]) maps × (1 coefficient + 1 bias) = \(layer(ctx, "S2").trainableParameters)."
            }),
        "slope-at-zero": Exercise(
            answer: { _ in .number(SquashingFacts().slopeAt0, tolerance: 0.001) },
            hint: "Differentiate A·tanh(S·a) and evaluate at a = 0, where tanh′ is 1.",
            solution: { _ in String(format: "f′(0) = A·S = 1.7159 × 2/3 = %.3f.", SquashingFacts().slopeAt0) }),
        // Lesson 3
        "c3-full-parameters": Exercise(
            answer: { _ in .whole(fullC3().trainableParameterCount) },
            hint: "Without Table I every C3 map reads all six S2 maps through its own 5×5 kernel each, plus one bias.",
            solution: { _ in
                "16 maps × (6 × 25 weights + 1 bias) = \(Format.count(fullC3().trainableParameterCount)), against Table I's 1,516."
            }),
        "c3-maps-reading-all": Exercise(
            answer: { ctx in .whole(c3Table(ctx).inputs.filter { $0.count == c3Table(ctx).inputMaps }.count) },
            hint: "Look at Table I's columns (or the table-i figure) and count the C3 maps with a mark in every row.",
            solution: { ctx in
                let t = c3Table(ctx)
                let all = t.inputs.indices.filter { t.inputs[$0].count == t.inputMaps }
                let maps = all.map(String.init).joined(separator: ", ")
                return (all.count == 1 ? "Map \(maps) reads" : "Maps \(maps) read")
                    + " all \(t.inputMaps) S2 maps: \(all.count) of \(t.outputMaps)."
            }),
        // Lesson 4
        "s4-side-for-40": Exercise(
            answer: { ctx in .whole(shapes(ctx, side: 40)[4][1]) },
            hint: "Follow a 40×40 input: a 5×5 convolution takes 4 off the side, a 2×2 subsampling halves it.",
            solution: { ctx in
                let s = shapes(ctx, side: 40)
                return
                    "40 → C1 \(s[1][1]) → S2 \(s[2][1]) → C3 \(s[3][1]) → S4 \(s[4][1]): S4 is 16@\(s[4][1])×\(s[4][2])."
            }),
        "s4-parameters": Exercise(
            answer: { .whole(layer($0, "S4").trainableParameters) },
            hint: "As S2: one coefficient and one bias per map; S4 has as many maps as C3.",
            solution: { ctx in "\(layer(ctx, "S4").shape[0]) maps × 2 = \(layer(ctx, "S4").trainableParameters)." }),
        // Lesson 5
        "c5-connections": Exercise(
            answer: { .whole(layer($0, "C5").connections) },
            hint:
                "Each C5 unit sees all 16 S4 maps through 5×5 kernels, plus a bias; on a 32×32 input each map is 1×1.",
            solution: { ctx in
                "120 units × (16 × 25 + 1) = \(Format.count(layer(ctx, "C5").connections)); with one unit per map, connections equal parameters."
            }),
        "c5-side-for-40": Exercise(
            answer: { ctx in .whole(shapes(ctx, side: 40)[5][1]) },
            hint: "C5 is a convolution: continue from S4's side for a 40×40 input and take 4 off.",
            solution: { ctx in
                let s = shapes(ctx, side: 40)
                return
                    "S4 is \(s[4][1])×\(s[4][2]), so C5's 5×5 kernels give \(s[5][1])×\(s[5][2]) maps: C5 is a convolution, not a fully connected layer."
            }),
        // Lesson 6
        "f6-parameters": Exercise(
            answer: { .whole(layer($0, "F6").trainableParameters) },
            hint: "Each of F6's units has a weight for every C5 output and a bias.",
            solution: { ctx in
                "84 units × (120 weights + 1 bias) = \(Format.count(layer(ctx, "F6").trainableParameters))."
            }),
        "rbf-trainable": Exercise(
            answer: { .whole(layer($0, "Output").trainableParameters) },
            hint: "Ask what training changes in the RBF layer: its codes are drawn by hand.",
            solution: { ctx in
                "\(layer(ctx, "Output").trainableParameters): the \(RBFCodes.matrix.scalars.count) weights are the fixed ±1 codes of the 10 classes, 7×12 each."
            }),
        // Lesson 7
        "test-errors": Exercise(
            answer: { .whole($0.evaluation.errors) },
            hint:
                "Run `lesson eval` (or read this lesson's results cell) and count the digits whose smallest penalty is not their class.",
            solution: { ctx in
                "\(ctx.evaluation.errors) of \(Format.count(ctx.evaluation.count)) \(ctx.digits.name) digits: \(ErrorRate(errors: ctx.evaluation.errors, count: ctx.evaluation.count).described)."
            }),
        "hardest-digit": Exercise(
            answer: { ctx in .word(hardestDigits(ctx).map(String.init)) },
            hint: "In the confusion matrix, add up each row's off-diagonal cells: which true digit loses the most?",
            solution: { ctx in
                let digits = hardestDigits(ctx), m = ctx.evaluation.confusion
                let errors = m[digits[0]].reduce(0, +) - m[digits[0]][digits[0]]
                return digits.map {
                    "digit \($0): \(errors) of its \(m[$0].reduce(0, +)) examples are taken for another class"
                }.joined(separator: "; ")
                    + (digits.count > 1 ? " (a tie: either answer is right)." : ", more than any other digit's.")
            }),
        // Lesson 8
        "sdlm-largest-step": Exercise(
            answer: { _ in .number(Double(PaperFacts.rateTable[0].rate / PaperFacts.sdlmMu), tolerance: 0.0005) },
            hint: "The step is η/(μ + h) and the curvature h is never negative: which h makes it largest?",
            solution: { _ in
                String(
                    format: "With h = 0 (a flat direction): η/μ = %g / %g = %.4f.", PaperFacts.rateTable[0].rate,
                    PaperFacts.sdlmMu,
                    PaperFacts.rateTable[0].rate / PaperFacts.sdlmMu)
            }),
        "sdlm-samples": Exercise(
            answer: { _ in .whole(Optimizer.sdlmSamples) },
            hint: "Read the section on SDLM: the paper re-estimates h before each pass on a fixed number of patterns.",
            solution: { _ in
                "\(Optimizer.sdlmSamples) digits, before every pass; the estimate is held for the whole pass."
            }),
        // Lesson 9
        "table-i-saves": Exercise(
            answer: { _ in
                .whole(
                    fullC3().connections(input: [6, 14, 14])
                        - LeNet5(variant: .paper).layer(named: "C3")!.connections(input: [6, 14, 14]))
            },
            hint:
                "Count C3's connections with and without Table I: each connected (output, input) pair costs 10×10×25 multiply-adds.",
            solution: { _ in
                let full = fullC3().connections(input: [6, 14, 14]),
                    table = LeNet5(variant: .paper).layer(named: "C3")!.connections(input: [6, 14, 14])
                return
                    "\(Format.count(full)) − \(Format.count(table)) = \(Format.count(full - table)) connections: 36 pairs × 10×10 units × 25 weights."
            }),
        "worst-row": Exercise(
            answer: { ctx in
                let worst = try ctx.ablation.get().rows.max { $0.testErrorMean < $1.testErrorMean }!
                return .word([worst.key, worst.label])
            },
            hint: "Read the ablation table's test error column (or the chart's tallest bar).",
            solution: { ctx in
                let worst = try ctx.ablation.get().rows.max { $0.testErrorMean < $1.testErrorMean }!
                return
                    "\(worst.label) (\(worst.name)): \(Format.percent(worst.testErrorMean)) ± \(Format.percent(worst.testErrorStd)) over \(worst.seeds.count) seeds."
            }),
    ]

    // MARK: what the answers are computed from

    static func layer(_ ctx: LessonContext, _ name: String) -> LayerReport {
        ctx.report.layers.first { $0.name == name }!
    }

    static func fullC3() -> any Layer {
        LeNet5(
            architecture: Architecture(c3: .full, pooling: .trainable, squashing: .squash, output: .rbf),
            scaling: .paper
        ).layer(named: "C3")!
    }

    static func c3Table(_ ctx: LessonContext) -> ConnectionTable { ctx.layer("C3", as: Convolution.self).table }

    /// Per-sample shapes for a square input of this side: input, C1, S2, C3, S4, C5.
    static func shapes(_ ctx: LessonContext, side: Int) -> [[Int]] {
        ctx.net.layers.prefix(5).reduce(into: [[1, side, side]]) { $0.append($1.outputShape($0.last!)) }
    }

    static func strongestForC1Map2(_ ctx: LessonContext) -> (digit: Int, mean: Float) {
        let n = min(100, ctx.digits.count)
        let c1 = ctx.net.layers[0].forward(ctx.digits.batch(Array(0..<n), scaling: ctx.net.scaling), path: ctx.net.path)
        let means = (0..<n).map { s in c1.map(s, 2).reduce(0, +) / Float(c1.shape[2] * c1.shape[3]) }
        let best = means.indices.max { means[$0] < means[$1] }!
        return (best, means[best])
    }

    /// The true digits with the most examples taken for another class (several on a tie).
    static func hardestDigits(_ ctx: LessonContext) -> [Int] {
        let m = ctx.evaluation.confusion
        let errors = (0..<10).map { d in m[d].reduce(0, +) - m[d][d] }
        return errors.indices.filter { errors[$0] == errors.max()! }
    }

    /// Checks an answer: right, or wrong with the exercise's hint.
    public static func check(_ exercise: Exercise, answer: String, context: LessonContext) throws -> (
        right: Bool, message: String
    ) {
        let expected = try exercise.answer(context)
        return expected.accepts(answer)
            ? (true, "right: \(answer.trimmingCharacters(in: .whitespaces)) is correct.")
            : (false, "not quite: \(exercise.hint)")
    }
}
