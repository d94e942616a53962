import Foundation
import LeNetData
import XCTest

final class MD5Tests: XCTestCase {
    func testRFC1321Vectors() {
        XCTAssertEqual(MD5.hex([]), "d41d8cd98f00b204e9800998ecf8427e")
        XCTAssertEqual(MD5.hex(Array("abc".utf8)), "900150983cd24fb0d6963f7d28e17f72")
        XCTAssertEqual(MD5.hex(Array("message digest".utf8)), "f96b697d7cb7938d525a2f31aaf161d0")
        XCTAssertEqual(
            MD5.hex(Array("12345678901234567890123456789012345678901234567890123456789012345678901234567890".utf8)),
            "57edf4a22be3c955ac49da2e2107b67a")
    }

    func testSharedTestSetMatchesItsPublishedSums() throws {
        let labels = try [UInt8](Data(contentsOf: URL(fileURLWithPath: sharedData + "/t10k-labels-idx1-ubyte.gz")))
        XCTAssertEqual(MD5.hex(labels), "ec29112dd5afa0611ce80d1b7f02629c")
        // Read in 1 MiB pieces: the 1.6 MB test images take two, and give the published sum.
        XCTAssertEqual(MD5.hex(fileAt: sharedData + "/t10k-images-idx3-ubyte.gz"), "9fb629c4189551a2d022fa330f9573f3")
        XCTAssertNil(MD5.hex(fileAt: sharedData + "/no-such-file"))
    }
}
