import LeNetData
import XCTest

final class DataSourceTests: XCTestCase {
    func testEmbeddedDigitsSplitFourThousandFiveHundredAndFiveHundred() throws {
        let splits = try DataSource.embedded()
        let train = try XCTUnwrap(splits.train), validation = try XCTUnwrap(splits.validation)
        XCTAssertEqual(train.count, 4_500)
        XCTAssertEqual(validation.count, 500)
        for digit in 0..<10 {
            XCTAssertEqual(train.labels.filter { $0 == digit }.count, 450)
            XCTAssertEqual(validation.labels.filter { $0 == digit }.count, 50)
        }
        XCTAssertEqual(train.rows, 28)
        XCTAssertNil(splits.test)
    }

    func testAllFiveThousandForTrainingWithoutValidation() throws {
        let splits = try DataSource.embedded(validationPerClass: 0)
        XCTAssertEqual(splits.train?.count, 5_000)
        XCTAssertNil(splits.validation)
    }

    func testSharedTestSetFolder() throws {
        let splits = try DataSource.folder(sharedData)
        let test = try XCTUnwrap(splits.test)
        XCTAssertNil(splits.train)
        XCTAssertEqual(test.count, 10_000)
        XCTAssertEqual(Array(test.labels.prefix(5)), [7, 2, 1, 0, 4])
    }

    func testFashionMNISTFolderWhenInstalled() throws {
        let dir = "/usr/share/datasets/fashion-mnist"
        try XCTSkipUnless(FileManager.default.fileExists(atPath: dir), "dataset-fashion-mnist is not installed")
        let splits = try DataSource.folder(dir)
        XCTAssertEqual(splits.train?.count, 60_000)
        XCTAssertEqual(splits.test?.count, 10_000)
    }

    func testFolderErrors() throws {
        XCTAssertThrowsError(try DataSource.folder("/nonexistent")) {
            XCTAssertEqual($0 as? DataSourceError, .noFolder("/nonexistent"))
        }
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("empty-\(UUID())").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: empty) }
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        XCTAssertThrowsError(try DataSource.folder(empty)) { XCTAssertEqual($0 as? DataSourceError, .noData(empty)) }
    }

    /// Full MNIST is found through $LENET5_MNIST; a variable naming no folder is an error,
    /// not a silent fall back to the embedded digits.
    func testFullMNISTFromTheEnvironment() throws {
        XCTAssertEqual(try DataSource.fullMNISTFolder(environment: ["LENET5_MNIST": sharedData]), sharedData)
        XCTAssertThrowsError(try DataSource.fullMNISTFolder(environment: ["LENET5_MNIST": sharedData + "/nothing"])) {
            XCTAssertEqual(
                $0 as? DataSourceError, .badEnvironment(variable: "LENET5_MNIST", folder: sharedData + "/nothing"))
        }
        let embedded = try DataSource.embedded()
        XCTAssertFalse(embedded.isFullMNIST)
        XCTAssertTrue(
            embedded.announcement.hasPrefix("data: the embedded digits (4,500 training + 500 validation)"),
            embedded.announcement)
        let test = try DataSource.folder(sharedData)
        XCTAssertEqual(test.announcement, "data: 10,000 test digits from \(sharedData)")
    }

    /// A file's identity is its content: the published .gz matches by its own sum, its
    /// decompressed bytes by the content sum, anything else by neither.
    func testMNISTFilesMatchByPublishedOrContentSum() throws {
        let file = try XCTUnwrap(MNISTFile.all.first { $0.name == "t10k-labels-idx1-ubyte.gz" })
        let gz = [UInt8](try Data(contentsOf: URL(fileURLWithPath: sharedData + "/" + file.name)))
        XCTAssertEqual(file.match(gz), .published)
        let plain = try IDX.inflated(Data(gz), file: file.name)
        XCTAssertEqual(file.match(plain), .content)
        XCTAssertEqual(MD5.hex(plain), "27ae3e4e09519cfbb04c329615203637")
        var damaged = plain
        damaged[100] ^= 1
        XCTAssertEqual(file.match(damaged), .mismatch)
    }

    /// Which digits serve which purpose is decided in one place (DataSplits).
    func testEachPurposeHasItsDigits() throws {
        let embedded = try DataSource.embedded()
        XCTAssertEqual(embedded.checkName, "validation")
        XCTAssertEqual(embedded.checkDigits?.count, 500)
        XCTAssertEqual(embedded.heldOut?.count, 500)
        XCTAssertEqual(embedded.shownDigits?.count, 500)
        let folder = try XCTUnwrap(
            ProcessInfo.processInfo.environment["LENET5_MNIST"], "run the tests with scripts/test.sh")
        let full = try DataSource.folder(folder)
        XCTAssertEqual(full.checkName, "test")
        XCTAssertEqual(full.checkDigits?.count, 10_000)
        XCTAssertEqual(full.heldOut?.name, "test")
        XCTAssertEqual(full.shownDigits?.name, "test")
        let trainOnly = DataSplits(train: embedded.train, validation: nil, test: nil, source: "s")
        XCTAssertNil(trainOnly.heldOut)
        XCTAssertEqual(trainOnly.shownDigits?.count, embedded.train?.count)
    }
}
