import LeNetCore
import LeNetData
import XCTest

final class PreprocessingTests: XCTestCase {
    /// One 28×28 digit whose pixel (0, 0) is ink and (0, 1) mid-grey.
    let digits: Digits = {
        var pixels = [UInt8](repeating: 0, count: 28 * 28)
        pixels[0] = 255
        pixels[1] = 51
        return Digits(name: "t", rows: 28, columns: 28, pixels: pixels, labels: [3])
    }()

    func testPaperScalingPadsWithBackgroundAndMapsInkTo1175() {
        let t = digits.batch([0], scaling: .paper)
        XCTAssertEqual(t.shape, [1, 1, 32, 32])
        XCTAssertEqual(t[0, 0, 0, 0], -0.1)  // padding
        XCTAssertEqual(t[0, 0, 31, 31], -0.1)  // padding
        XCTAssertEqual(t[0, 0, 2, 2], 1.175, accuracy: 1e-6)  // the digit's (0, 0), shifted by 2
        XCTAssertEqual(t[0, 0, 2, 3], -0.1 + 1.275 * 0.2, accuracy: 1e-6)  // 51/255 = 0.2
        XCTAssertEqual(t[0, 0, 3, 2], -0.1)  // background inside the digit
    }

    /// Online training writes each digit where the one before was: into a kept tensor, a
    /// digit is its own batch, in the same buffer; a tensor of another shape is made anew.
    func testADigitWrittenIntoAKeptTensorIsItsBatchInTheSameBuffer() {
        let pixels: [UInt8] = (0..<3 * 28 * 28).map { UInt8(($0 * 29) % 256) }
        let three = Digits(name: "three", rows: 28, columns: 28, pixels: pixels, labels: [0, 1, 2])
        var kept = Tensor.empty
        three.batch([0, 1], scaling: .paper, into: &kept)
        XCTAssertEqual(kept, three.batch([0, 1], scaling: .paper))
        three.batch([2], scaling: .paper, into: &kept)
        XCTAssertEqual(kept, three.batch([2], scaling: .paper))
        let buffer = kept.scalars.withUnsafeBufferPointer { $0.baseAddress }
        for i in [1, 0, 2] {
            three.batch([i], scaling: .paper, into: &kept)
            XCTAssertEqual(kept, three.batch([i], scaling: .paper))
            XCTAssertEqual(kept.scalars.withUnsafeBufferPointer { $0.baseAddress }, buffer)
        }
    }

    /// A digit holding every grey level (eight at a time in a row's first 24 columns, the
    /// last 4 from the lookup table): each input is `value` of its grey level, bit for bit,
    /// in every scaling, for one digit and for a batch converted on every core.
    func testEveryGreyLevelBecomesItsValueBitForBit() {
        let pixels: [UInt8] = (0..<4 * 28 * 28).map { (i: Int) -> UInt8 in UInt8((i * 37 + i / 256) % 256) }
        let many = Digits(name: "grey", rows: 28, columns: 28, pixels: pixels, labels: [0, 1, 2, 3])
        XCTAssertEqual(Set(pixels).count, 256)
        for scaling in InputScaling.allCases {
            let batch: [Int] = (0..<320).map { $0 % 4 }
            for indices in [[2], batch] {
                let t = many.batch(indices, scaling: scaling)
                for (n, digit) in indices.enumerated() {
                    for y in 0..<28 {
                        for x in 0..<28 {
                            let grey = pixels[digit * 784 + y * 28 + x]
                            XCTAssertEqual(
                                t[n, 0, y + 2, x + 2].bitPattern, scaling.value(grey).bitPattern,
                                "\(scaling) grey \(grey) at (\(y), \(x))")
                        }
                    }
                }
            }
        }
    }

    func testKerasScalingStandardizesPixelOver255() {
        // (p/255 − 0.1307)/0.3081, worked out by hand; padding is a standardized 0.
        let t = digits.batch([0], scaling: .standard)
        XCTAssertEqual(t[0, 0, 0, 0], -0.424213, accuracy: 1e-5)
        XCTAssertEqual(t[0, 0, 2, 2], 2.821487, accuracy: 1e-5)
        XCTAssertEqual(t[0, 0, 2, 3], 0.224927, accuracy: 1e-5)  // 51/255 = 0.2
    }

    func testPaperInputsHaveMeanNearZero() throws {
        // The paper's reason for −0.1 and 1.175 (II.B) is a mean near 0 and a variance near 1.
        // On real MNIST digits the mean holds; the variance comes out near 0.15, because most
        // of a padded digit is background (lesson 1 prints both).
        let train = try XCTUnwrap(DataSource.embedded().train)
        let t = train.batch(Array(0..<500), scaling: .paper)
        let mean = t.scalars.reduce(0, +) / Float(t.count)
        let variance = t.scalars.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(t.count)
        XCTAssertEqual(mean, 0, accuracy: 0.1)
        XCTAssertEqual(variance, 0.15, accuracy: 0.05)
    }

    /// The fingerprint caches are keyed on is 64-bit FNV-1a over the sizes (UInt64, little
    /// endian), the labels and the pixels: the value worked out independently (Python).
    func testFingerprintIsFNV1aOfSizesLabelsAndPixels() {
        let d = Digits(name: "two pixels", rows: 1, columns: 2, pixels: [0, 255], labels: [3])
        XCTAssertEqual(d.fingerprint, "19b0a783aa04de41")
    }
}
