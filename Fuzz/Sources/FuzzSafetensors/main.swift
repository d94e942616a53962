import Foundation
import FuzzSupport
import LeNetModel
import LeNetTraining

/// The fuzz target: any bytes as a weights file and as a checkpoint must give a network,
/// a trainer or a WeightsError: never a trap.
let fuzz: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt = { start, count in
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    _ = try? Weights.decode(data, file: "fuzz", variant: .paper)
    _ = try? Weights.decode(data, file: "fuzz", variant: .keras)
    _ = try? Checkpoint.decode(data, file: "fuzz")
    return 0
}

runFuzzer(fuzz)
