import LeNetCore
import LeNetData
import LeNetModel

/// A model's results on a set of digits.
public struct Evaluation: Sendable {
    /// predictions[i] for digit i.
    public let predictions: [Int]
    public let labels: [Int]
    /// The network's outputs, (count, 10): RBF penalties or logits.
    public let outputs: Tensor
    public let meanLoss: Float

    public var count: Int { labels.count }
    public var errors: Int { zip(predictions, labels).filter { $0 != $1 }.count }
    public var errorRate: Double { count == 0 ? 0 : Double(errors) / Double(count) }
    /// Indices of the misclassified digits.
    public var misclassified: [Int] { labels.indices.filter { predictions[$0] != labels[$0] } }

    /// confusion[true][predicted]
    public var confusion: [[Int]] {
        var m = [[Int]](repeating: [Int](repeating: 0, count: 10), count: 10)
        for (p, l) in zip(predictions, labels) { m[l][p] += 1 }
        return m
    }

    public init(net: LeNet5, digits: Digits, loss: Loss? = nil, batchSize: Int = 250) {
        let loss = loss ?? .default(for: net.variant)
        var predictions: [Int] = [], scalars: [Float] = []
        var total: Double = 0
        for start in stride(from: 0, to: digits.count, by: batchSize) {
            let indices = Array(start..<min(start + batchSize, digits.count))
            let out = net.forward(digits, indices)
            predictions += net.predictions(out)
            scalars += out.scalars
            total +=
                Double(loss.evaluate(out, labels: indices.map { Int(digits.labels[$0]) }).loss) * Double(indices.count)
        }
        self.predictions = predictions
        labels = digits.labels.map(Int.init)
        outputs = Tensor(shape: [digits.count, 10], scalars: scalars)
        meanLoss = digits.count == 0 ? 0 : Float(total / Double(digits.count))
    }
}
