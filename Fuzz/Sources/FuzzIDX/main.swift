import Foundation
import FuzzSupport
import LeNetData

/// The fuzz target: any bytes, as an IDX images file and as a labels file (gzip'd or not),
/// must give images, labels or an IDXError: never a trap.
let fuzz: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt = { start, count in
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    if let bytes = try? IDX.inflated(data, file: "fuzz") {
        _ = try? IDX.images(from: bytes, file: "fuzz")
        _ = try? IDX.labels(from: bytes, file: "fuzz")
    }
    return 0
}

runFuzzer(fuzz)
