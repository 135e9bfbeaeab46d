import XCTest

@testable import SampleMedia

/// Samples a camera might deliver: every value tells its plane, row and column apart.
private func luma(_ row: Int, _ column: Int) -> UInt8 { UInt8(16 + row * 20 + column) }
private func cb(_ row: Int, _ column: Int) -> UInt8 { UInt8(100 + row * 10 + column) }
private func cr(_ row: Int, _ column: Int) -> UInt8 { UInt8(200 + row * 10 + column) }

private let padding: UInt8 = 0x7f

final class NV12PackerTests: XCTestCase {
    /// A 6x4 NV12 picture with rows padded to [lumaStride] and [chromaStride] bytes.
    private func nv12(lumaStride: Int, chromaStride: Int) -> (luma: [UInt8], chroma: [UInt8]) {
        var y = [UInt8](repeating: padding, count: lumaStride * 4)
        for row in 0..<4 { for column in 0..<6 { y[row * lumaStride + column] = luma(row, column) } }
        var uv = [UInt8](repeating: padding, count: chromaStride * 2)
        for row in 0..<2 {
            for column in 0..<3 {
                uv[row * chromaStride + 2 * column] = cb(row, column)
                uv[row * chromaStride + 2 * column + 1] = cr(row, column)
            }
        }
        return (y, uv)
    }

    private func pack(_ planes: (luma: [UInt8], chroma: [UInt8]), width: Int = 6, height: Int = 4,
                      lumaStride: Int, chromaStride: Int, rotation: Int = 0) throws -> I420Picture {
        try planes.luma.withUnsafeBytes { y in
            try planes.chroma.withUnsafeBytes { uv in
                try NV12Packer.pack(width: width, height: height, luma: y, lumaBytesPerRow: lumaStride,
                                    chroma: uv, chromaBytesPerRow: chromaStride, rotation: rotation)
            }
        }
    }

    func testPaddedRowsArePackedAndInterleavedChromaSplit() throws {
        let picture = try pack(nv12(lumaStride: 16, chromaStride: 8), lumaStride: 16, chromaStride: 8, rotation: 90)
        XCTAssertEqual(picture.y, (0..<24).map { luma($0 / 6, $0 % 6) })
        XCTAssertEqual(picture.u, (0..<6).map { cb($0 / 3, $0 % 3) })
        XCTAssertEqual(picture.v, (0..<6).map { cr($0 / 3, $0 % 3) })
        XCTAssertEqual([picture.strideY, picture.strideU, picture.strideV], [6, 3, 3])
        XCTAssertEqual(picture.rotation, 90)
    }

    func testOddSizesAreRefusedWithATypedError() {
        let planes = nv12(lumaStride: 6, chromaStride: 6)
        XCTAssertThrowsError(try pack(planes, width: 5, lumaStride: 6, chromaStride: 6)) {
            XCTAssertEqual($0 as? MediaFormatError, .badSize(width: 5, height: 4))
        }
        XCTAssertThrowsError(try pack(planes, height: 0, lumaStride: 6, chromaStride: 6)) {
            XCTAssertEqual($0 as? MediaFormatError, .badSize(width: 6, height: 0))
        }
    }

    func testShortPlanesNarrowStridesAndOddRotationsAreRefused() {
        let planes = nv12(lumaStride: 6, chromaStride: 6)
        let short = (luma: Array(planes.luma.dropLast()), chroma: planes.chroma)
        XCTAssertThrowsError(try pack(short, lumaStride: 6, chromaStride: 6)) {
            XCTAssertEqual($0 as? MediaFormatError, .planeTooSmall(plane: "y", bytes: 23, needed: 24))
        }
        XCTAssertThrowsError(try pack(planes, lumaStride: 4, chromaStride: 6)) {
            XCTAssertEqual($0 as? MediaFormatError, .badStride(plane: "y", stride: 4))
        }
        XCTAssertThrowsError(try pack(planes, lumaStride: 6, chromaStride: 6, rotation: 45)) {
            XCTAssertEqual($0 as? MediaFormatError, .badRotation(45))
        }
    }

    func testCameraRotationFollowsWebRTCsTable() {
        XCTAssertEqual(cameraFrameRotation(.portrait, frontCamera: true), 90)
        XCTAssertEqual(cameraFrameRotation(.portraitUpsideDown, frontCamera: false), 270)
        XCTAssertEqual(cameraFrameRotation(.landscapeLeft, frontCamera: false), 0)
        XCTAssertEqual(cameraFrameRotation(.landscapeLeft, frontCamera: true), 180)
        XCTAssertEqual(cameraFrameRotation(.landscapeRight, frontCamera: true), 0)
    }
}
