import XCTest

@testable import SampleMedia

final class AudioChunkerTests: XCTestCase {
    /// A ramp, so any lost, repeated or reordered sample shows.
    private let microphone: [Int16] = (0..<5000).map { Int16($0 * 7 - 16000) }

    private func read(_ bursts: [Int], into chunker: inout AudioChunker) -> [PCMFrame] {
        var at = 0
        var frames: [PCMFrame] = []
        for burst in bursts {
            frames += chunker.push(microphone[at..<(at + burst)])
            at += burst
        }
        return frames
    }

    func testBuffersOfAnySizeComeOutAsExact10MsFramesInOrder() throws {
        var chunker = try AudioChunker(frameMs: 10)
        let frames = read([7, 500, 1000, 413, 1024, 96], into: &chunker)
        // 3040 samples: six whole frames of 480; 160 wait for the next buffer.
        XCTAssertEqual(frames.count, 6)
        XCTAssertTrue(frames.allSatisfy { $0.samples.count == 480 })
        XCTAssertEqual(frames.flatMap(\.samples), Array(microphone[0..<2880]))
    }

    func testTimestampsRiseByExactlyOneFrame() throws {
        var chunker = try AudioChunker(frameMs: 20, startUs: 1_000_000)
        let frames = read([1000, 1000, 1000, 900], into: &chunker)
        XCTAssertEqual(frames.map(\.timestampUs), [1_000_000, 1_020_000, 1_040_000, 1_060_000])
        XCTAssertTrue(frames.allSatisfy { $0.samples.count == 960 })
    }

    func testOtherFrameLengthsAreRefused() {
        XCTAssertThrowsError(try AudioChunker(frameMs: 15)) {
            XCTAssertEqual($0 as? MediaFormatError, .badFrameDuration(ms: 15))
        }
    }
}

final class RemoteAudioMixerTests: XCTestCase {
    func testSpeakersAreSummedSampleBySample() {
        let mixed = RemoteAudioMixer.mix(
            [PulledAudio(channels: 1, samples: [1000, -200, 5]), PulledAudio(channels: 1, samples: [-300, -300, 5])],
            samplesPerChannel: 3
        )
        XCTAssertEqual(mixed, [700, -500, 10])
    }

    func testLoudSpeakersClipInsteadOfWrappingRound() {
        let mixed = RemoteAudioMixer.mix(
            [PulledAudio(channels: 1, samples: [30000, -30000]), PulledAudio(channels: 1, samples: [10000, -10000])],
            samplesPerChannel: 2
        )
        XCTAssertEqual(mixed, [Int16.max, Int16.min])
    }

    func testStereoIsFoldedToMonoAndSilentSourcesAddNothing() {
        let mixed = RemoteAudioMixer.mix(
            [PulledAudio(channels: 2, samples: [1000, 3000, -400, 0]), nil, PulledAudio(channels: 1, samples: [1])],
            samplesPerChannel: 3
        )
        XCTAssertEqual(mixed, [2001, -200, 0])
    }

    func testFloatConversionsKeepFullScaleAndSurviveBrokenInput() {
        XCTAssertEqual(RemoteAudioMixer.toInt16([0, 0.5, 1, -1, 2, -3, .nan]), [0, 16384, 32767, -32767, 32767, -32767, 0])
        XCTAssertEqual(RemoteAudioMixer.toFloat([16384, -32768]), [0.5, -1])
    }
}
