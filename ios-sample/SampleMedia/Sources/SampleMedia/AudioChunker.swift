/// 48 kHz mono samples and their capture time, the fields of the SDK's `AudioFrame`.
public struct PCMFrame: Equatable {
    public let samples: [Int16]
    public let timestampUs: UInt64
}

public let sampleRate = 48_000

/// Cuts the audio engine's buffers (whatever size the hardware delivers, after conversion to
/// 48 kHz) into the exact 10 or 20 ms frames the SDK takes. Timestamps count samples from the
/// start, so they rise by exactly one frame each time, as the encoder's RTP clock expects.
public struct AudioChunker {
    public let samplesPerFrame: Int
    private let frameUs: UInt64
    private let startUs: UInt64
    private var pending: [Int16] = []
    private var framesOut: UInt64 = 0

    public init(frameMs: Int, startUs: UInt64 = 0) throws {
        guard frameMs == 10 || frameMs == 20 else {
            throw MediaFormatError.badFrameDuration(ms: frameMs)
        }
        samplesPerFrame = sampleRate / 1000 * frameMs
        frameUs = UInt64(frameMs) * 1000
        self.startUs = startUs
        pending.reserveCapacity(samplesPerFrame)
    }

    /// The frames these samples complete, oldest first; the rest waits for the next call.
    public mutating func push<C: Collection>(_ samples: C) -> [PCMFrame] where C.Element == Int16 {
        var frames: [PCMFrame] = []
        var rest = samples[...]
        while !rest.isEmpty {
            let taken = rest.prefix(samplesPerFrame - pending.count)
            pending.append(contentsOf: taken)
            rest = rest.dropFirst(taken.count)
            if pending.count == samplesPerFrame {
                frames.append(PCMFrame(samples: pending, timestampUs: startUs + framesOut * frameUs))
                framesOut += 1
                pending.removeAll(keepingCapacity: true)
            }
        }
        return frames
    }
}
