import ArgumentParser
import LeNetData
import LeNetModel

extension Variant: ExpressibleByArgument {}

/// Options that pick the model and the data.
struct ModelOptions: ParsableArguments {
    @Option(help: "Which LeNet-5: paper (1998) or keras (the usual tutorial's).")
    var variant: Variant = .paper

    @Option(help: "A folder with MNIST files (train-/t10k-images-idx3-ubyte[.gz] and labels); default: the embedded 5,000 digits.")
    var data: String?

    @Flag(help: "Compute with the reference layers (the oracle) instead of the fast path.")
    var reference = false

    var path: ComputePath { reference ? .reference : .fast }

    func splits() throws -> DataSplits {
        try data.map(DataSource.folder) ?? DataSource.embedded()
    }
}

extension ModelOptions {
    /// Digits to show: validation if any, else test, else train.
    func digitsForDisplay() throws -> Digits {
        let s = try splits()
        guard let d = s.validation ?? s.test ?? s.train, d.count > 0 else { throw DataSourceError.noData(s.source) }
        return d
    }
}

/// A bad option or argument: one line on stderr and a non-zero exit (ArgumentParser's
/// ValidationError would add the usage text).
struct OptionError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
