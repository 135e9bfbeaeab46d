/// One source's pulled audio: `channels` interleaved, as the SDK's `AudioFrame` carries it.
public struct PulledAudio {
    public let channels: Int
    public let samples: [Int16]

    public init(channels: Int, samples: [Int16]) {
        self.channels = channels
        self.samples = samples
    }
}

/// The speaker's buffer: every remote source pulled for the same span and summed into mono.
/// The SDK keeps one jitter buffer per source and leaves mixing to the app, which owns the
/// output device.
public enum RemoteAudioMixer {
    /// Sums with saturation, so two loud voices clip at full scale instead of wrapping round
    /// to the opposite sign. Stereo is averaged to mono; a nil source (no packet yet) or a
    /// short one adds silence.
    public static func mix(_ sources: [PulledAudio?], samplesPerChannel: Int) -> [Int16] {
        var sum = [Int32](repeating: 0, count: samplesPerChannel)
        for case let source? in sources where source.channels > 0 {
            let channels = source.channels
            let available = min(samplesPerChannel, source.samples.count / channels)
            for i in 0..<available {
                if channels == 1 {
                    sum[i] += Int32(source.samples[i])
                } else {
                    sum[i] += (Int32(source.samples[i * channels]) + Int32(source.samples[i * channels + 1])) / 2
                }
            }
        }
        return sum.map { Int16(clamping: $0) }
    }

    /// Float samples for an AVAudioSourceNode's buffer (-1...1).
    public static func toFloat(_ samples: [Int16]) -> [Float] {
        samples.map { Float($0) / 32768 }
    }

    /// The audio engine's Float input to 16-bit samples, clipped at full scale; NaN (a broken
    /// buffer) becomes silence rather than a crash in the conversion.
    public static func toInt16(_ samples: [Float]) -> [Int16] {
        samples.map { x in
            let clipped = x.isNaN ? 0 : Swift.max(-1, Swift.min(1, x))
            return Int16((clipped * 32767).rounded())
        }
    }
}
