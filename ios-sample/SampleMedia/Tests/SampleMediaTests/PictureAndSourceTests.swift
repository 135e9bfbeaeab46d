import XCTest

@testable import SampleMedia

/// BT.601 limited-range YUV of the usual test colours.
private let white = (y: 235, u: 128, v: 128)
private let black = (y: 16, u: 128, v: 128)
private let red = (y: 81, u: 90, v: 240)
private let green = (y: 145, u: 54, v: 34)
private let blue = (y: 41, u: 240, v: 110)

/// One 2x2 block per colour, left to right, rows padded as a decoder may hand them over.
private func bars(_ colours: [(y: Int, u: Int, v: Int)], rotation: Int = 0) -> I420Picture {
    let width = colours.count * 2
    let strideY = width + 3
    let strideC = colours.count + 5
    var y = [UInt8](repeating: 0, count: strideY * 2)
    var u = [UInt8](repeating: 0, count: strideC)
    var v = u
    for (i, c) in colours.enumerated() {
        for row in 0..<2 { for column in 0..<2 { y[row * strideY + i * 2 + column] = UInt8(c.y) } }
        u[i] = UInt8(c.u)
        v[i] = UInt8(c.v)
    }
    return I420Picture(width: width, height: 2, rotation: rotation, y: y, u: u, v: v,
                       strideY: strideY, strideU: strideC, strideV: strideC)
}

private func assertColour(_ picture: RGBAPicture, _ x: Int, _ y: Int, _ expected: (Int, Int, Int),
                          file: StaticString = #filePath, line: UInt = #line) {
    let p = picture.pixel(x: x, y: y)
    let close = abs(Int(p.r) - expected.0) <= 2 && abs(Int(p.g) - expected.1) <= 2 && abs(Int(p.b) - expected.2) <= 2
    XCTAssertTrue(close && p.a == 255, "(\(x), \(y)): expected \(expected), got \(p)", file: file, line: line)
}

final class I420ToRGBATests: XCTestCase {
    func testColourBarsComeOutInTheirColours() throws {
        let picture = try I420ToRGBA.convert(bars([white, black, red, green, blue]))
        XCTAssertEqual([picture.width, picture.height], [10, 2])
        let expected = [(255, 255, 255), (0, 0, 0), (255, 0, 0), (0, 255, 0), (0, 0, 255)]
        for (i, colour) in expected.enumerated() {
            for row in 0..<2 { for column in 0..<2 { assertColour(picture, i * 2 + column, row, colour) } }
        }
    }

    func testRotationsTurnThePictureClockwise() throws {
        let quarter = try I420ToRGBA.convert(bars([red, blue], rotation: 90))
        XCTAssertEqual([quarter.width, quarter.height], [2, 4])
        assertColour(quarter, 0, 0, (255, 0, 0))
        assertColour(quarter, 1, 3, (0, 0, 255))
        let half = try I420ToRGBA.convert(bars([red, blue], rotation: 180))
        assertColour(half, 0, 0, (0, 0, 255))
        assertColour(half, 3, 1, (255, 0, 0))
        let threeQuarters = try I420ToRGBA.convert(bars([red, blue], rotation: 270))
        assertColour(threeQuarters, 0, 0, (0, 0, 255))
        assertColour(threeQuarters, 1, 3, (255, 0, 0))
    }

    func testBrokenFramesAreRefusedWithATypedError() {
        var short = bars([red, blue])
        short.u = [1]
        XCTAssertThrowsError(try I420ToRGBA.convert(short)) {
            XCTAssertEqual($0 as? MediaFormatError, .planeTooSmall(plane: "u", bytes: 1, needed: 2))
        }
        var huge = bars([red])
        huge.height = 100_000
        XCTAssertThrowsError(try I420ToRGBA.convert(huge)) {
            XCTAssertEqual($0 as? MediaFormatError, .badSize(width: 2, height: 100_000))
        }
    }
}

final class RemoteSourcesTests: XCTestCase {
    private func annAndBob() -> RemoteSources {
        var sources = RemoteSources()
        sources.apply(.added(endpointId: "a1b2c3d4", sourceName: "a1b2c3d4-a0", video: false))
        sources.apply(.added(endpointId: "a1b2c3d4", sourceName: "a1b2c3d4-v0", video: true))
        sources.apply(.added(endpointId: "5e6f7a8b", sourceName: "5e6f7a8b-v1", video: true))
        sources.apply(.added(endpointId: "5e6f7a8b", sourceName: "5e6f7a8b-a0", video: false))
        return sources
    }

    func testAddedTracksBecomeTilesAndMixerInputsInArrivalOrder() {
        let sources = annAndBob()
        XCTAssertEqual(sources.audioSourceNames, ["a1b2c3d4-a0", "5e6f7a8b-a0"])
        XCTAssertEqual(sources.video.map(\.sourceName), ["a1b2c3d4-v0", "5e6f7a8b-v1"])
        XCTAssertEqual(sources.video.map(\.isScreen), [false, true])
    }

    func testRemovalsLeavesAndTheEndEmptyTheGrid() {
        var sources = annAndBob()
        sources.apply(.removed(sourceName: "a1b2c3d4-v0"))
        sources.apply(.added(endpointId: "5e6f7a8b", sourceName: "5e6f7a8b-v1", video: true))
        XCTAssertEqual(sources.video.map(\.sourceName), ["5e6f7a8b-v1"])
        sources.apply(.participantLeft(endpointId: "5e6f7a8b"))
        XCTAssertEqual(sources.audioSourceNames, ["a1b2c3d4-a0"])
        XCTAssertEqual(sources.video, [])
        sources.apply(.meetingEnded)
        XCTAssertEqual(sources, RemoteSources())
    }

    func testTheGridStaysNearSquare() {
        var sources = RemoteSources()
        var shapes = [[sources.columns, sources.rows]]
        for i in 0..<7 {
            sources.apply(.added(endpointId: "e\(i)", sourceName: "e\(i)-v0", video: true))
            shapes.append([sources.columns, sources.rows])
        }
        XCTAssertEqual(shapes, [[0, 0], [1, 1], [2, 1], [2, 2], [2, 2], [3, 2], [3, 2], [3, 3]])
    }
}
