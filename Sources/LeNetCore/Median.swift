/// The median of `values`: the middle one of an odd count, the mean of the middle two of an
/// even count; nil when there are none. Every median the tool reports (a benchmark's runs, a
/// framework's, the cores' round trips) is this one.
public func median(_ values: [Double]) -> Double? {
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted(), n = sorted.count
    return (sorted[(n - 1) / 2] + sorted[n / 2]) / 2
}
