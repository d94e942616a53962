import Foundation
import LeNetModel

/// The learning rate for each pass (epoch), from a base rate.
public enum Schedule: String, CaseIterable, Sendable {
    case constant
    /// Halved every 5 passes.
    case step
    /// Cosine from the base rate down to 0 over the run.
    case cosine
    /// The paper's table (III.B), scaled so the first two passes use the base rate:
    /// 0.0005 for passes 1–2, 0.0002 for 3–5, 0.0001 for 6–8, 0.00005 for 9–12, then 0.00001.
    case paper

    public static let paperTable = PaperFacts.rateTable
    public static let paperFinalRate = PaperFacts.finalRate

    /// Rate for `epoch` (0-based) of `epochs`.
    public func rate(base: Float, epoch: Int, epochs: Int) -> Float {
        switch self {
        case .constant: return base
        case .step: return base * pow(0.5, Float(epoch / 5))
        case .cosine: return base * 0.5 * (1 + cos(Float.pi * Float(epoch) / Float(max(epochs, 1))))
        case .paper:
            let pass = epoch + 1
            let rate = Schedule.paperTable.first { pass <= $0.untilPass }?.rate ?? Schedule.paperFinalRate
            return base * rate / Schedule.paperTable[0].rate
        }
    }
}
