import ArgumentParser
import Foundation
import LeNetCore
import LeNetData
import LeNetFigures
import LeNetModel
import LeNetTraining

/// `lesson classify photo.png …`: any picture of a digit, prepared as MNIST's digits were
/// (`DigitPicture`), through the network: one line per picture with the answer, then the ten
/// outputs, and a figure of the 28×28 it became beside C1's maps.
struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Classify pictures of digits (PNG): prepared as MNIST was, then the network's answer and outputs.")

    @Argument(help: "PNG pictures, each of one digit (a scan, a photo of paper, a drawing).")
    var pictures: [String]
    @Option(help: "Which LeNet-5: paper (1998) or keras (the usual tutorial's).")
    var variant: Variant = .paper
    @Option(help: "Weights (safetensors); default: the variant's shipped full-MNIST weights.")
    var weights: String?
    @Option(help: "Where each picture's figure goes (what it became, and C1's maps).")
    var output: String = "Output/classify"

    func validate() throws {
        guard !pictures.isEmpty else { throw OptionError("name at least one PNG picture") }
    }

    func run() throws {
        let chosen = try ChosenWeights(weights, variant: variant, scaling: nil)
        let net = chosen.net
        print("weights: \(chosen.origin)")
        try OutputFolder.ensureWritable(output)
        var failed = 0
        for path in pictures {
            let picture: DigitPicture
            do {
                picture = try DigitPicture(png: path)
            } catch {
                FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
                failed += 1
                continue
            }
            let digit = Digits(
                name: path, rows: DigitPicture.side, columns: DigitPicture.side, pixels: picture.pixels, labels: [0])
            let trace = net.trace(digit.batch([0], scaling: net.scaling))
            let out = trace.last!
            let answer = net.predictions(out)[0]
            let kind = variant == .paper ? "RBF penalties, smallest wins" : "logits, largest wins"
            print("\(path): \(answer)  (\(kind))")
            print("  " + (0..<10).map { "\($0): \(String(format: "%.2f", out[0, $0]))" }.joined(separator: "  "))
            print("  prepared: " + picture.steps.joined(separator: "; "))
            let base = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
            let c1 = trace[1]
            var tiles = [
                ImageGrid.Tile(
                    caption: "28×28, as MNIST", values: picture.pixels.map { Float($0) }, rows: DigitPicture.side,
                    columns: DigitPicture.side)
            ]
            tiles += (0..<c1.shape[1]).map {
                .init(caption: "C1 map \($0)", values: c1.map(0, $0), rows: c1.shape[2], columns: c1.shape[3])
            }
            let figure = ImageGrid(
                title: "\(base): LeNet-5 answers \(answer)",
                subtitle:
                    "the picture as MNIST prepared its digits (20×20 box, centred by mass in 28×28), and C1's maps",
                tiles: tiles, columns: 7, scale: .perTile, colorBarLabel: "value", tileSize: 96)
            let file = "\(output)/\(base).png"
            try figure.write(to: file, scale: 2)
            print("  figure written: \(file)")
        }
        if failed > 0 { throw ExitCode.failure }
    }
}
