import Foundation
import LeNetCore

/// How numbers and shapes are written in tables, lessons and figures.
public enum Format {
    /// 122304 → "122,304".
    public static func count(_ n: Int) -> String { groupedThousands(n) }

    /// The paper's notation: (6, 28, 28) → "6@28×28"; (84) → "84".
    public static func shape(_ shape: [Int]) -> String {
        shape.count == 3 ? "\(shape[0])@\(shape[1])×\(shape[2])" : shape.map(String.init).joined(separator: "×")
    }

    /// 0.0095 → "0.95%".
    public static func percent(_ fraction: Double, digits: Int = 2) -> String {
        String(format: "%.\(digits)f%%", fraction * 100)
    }

    public static func mark(_ ok: Bool?) -> String {
        switch ok {
        case true?: return "✓"
        case false?: return "✗"
        case nil: return "–"
        }
    }

    public static func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
