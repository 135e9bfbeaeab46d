import AVFoundation
import OmniJitsiMeet
import SampleMedia

/// Both directions of a call's audio on one AVAudioEngine, so that voice processing (echo
/// cancellation against what the engine plays) covers them:
/// - the input node's buffers, in whatever format the hardware runs, are converted to 48 kHz
///   16-bit mono and cut into 10 ms frames for `onFrame`;
/// - an AVAudioSourceNode asks for audio on the render thread at the device's pace; each
///   remote source is pulled from the SDK for exactly that span and the mix is played.
///
/// The audio session must already be `.playAndRecord` in `.voiceChat` mode (AudioSession).
final class AudioIO {
    private let engine = AVAudioEngine()
    private let sources = SourceList()
    private let microphoneAllowed: Bool
    private var capture: MicrophoneConverter?

    /// Without microphone access the input node is never touched (that alone would ask iOS
    /// for the microphone); the engine then only plays.
    init(meeting: Meeting, microphoneAllowed: Bool, onFrame: @escaping (AudioFrame) -> Void) throws {
        self.microphoneAllowed = microphoneAllowed
        if microphoneAllowed {
            let input = engine.inputNode
            try input.setVoiceProcessingEnabled(true)
            let converter = try MicrophoneConverter(from: input.outputFormat(forBus: 0), onFrame: onFrame)
            input.installTap(onBus: 0, bufferSize: 960, format: input.outputFormat(forBus: 0)) { buffer, _ in
                converter.convert(buffer)
            }
            capture = converter
        }
        guard let playFormat = AVAudioFormat(standardFormatWithSampleRate: Double(sampleRate), channels: 1) else {
            throw AudioIOError.noFormat
        }
        let sources = self.sources
        let player = AVAudioSourceNode(format: playFormat) { _, _, frameCount, bufferList -> OSStatus in
            let count = Int(frameCount)
            let pulled = sources.names.map { name -> PulledAudio? in
                // Null until the source's first packet; an error (meeting ended) plays silence.
                guard let frame = try? meeting.pullRemoteAudio(sourceName: name, samplesPerChannel: UInt32(count)) else {
                    return nil
                }
                return PulledAudio(channels: Int(frame.channels), samples: frame.samples)
            }
            let mixed = RemoteAudioMixer.toFloat(RemoteAudioMixer.mix(pulled, samplesPerChannel: count))
            for buffer in UnsafeMutableAudioBufferListPointer(bufferList) {
                guard let data = buffer.mData?.assumingMemoryBound(to: Float.self) else { continue }
                for i in 0..<count {
                    data[i] = mixed[i]
                }
            }
            return noErr
        }
        engine.attach(player)
        engine.connect(player, to: engine.mainMixerNode, format: playFormat)
    }

    func start() throws {
        engine.prepare()
        try engine.start()
    }

    func stop() {
        engine.stop()
        if microphoneAllowed {
            engine.inputNode.removeTap(onBus: 0)
        }
    }

    /// Muted, voice processing keeps the input running (so echo cancellation stays converged)
    /// but delivers silence, and nothing is sent.
    func setMicrophone(on: Bool) {
        guard microphoneAllowed else { return }
        engine.inputNode.isVoiceProcessingInputMuted = !on
        capture?.sending = on
    }

    /// From the track events, for the render thread.
    func setRemoteAudioSources(_ names: [String]) {
        sources.names = names
    }
}

enum AudioIOError: Error {
    case noFormat
    case noConverter
}

/// The remote audio source names, written on the main actor and read on the render thread.
private final class SourceList: @unchecked Sendable {
    private let lock = NSLock()
    private var value: [String] = []

    var names: [String] {
        get {
            lock.lock()
            defer { lock.unlock() }
            return value
        }
        set {
            lock.lock()
            value = newValue
            lock.unlock()
        }
    }
}

/// Hardware-format microphone buffers to 48 kHz 16-bit mono 10 ms frames.
private final class MicrophoneConverter: @unchecked Sendable {
    private let converter: AVAudioConverter
    private let target: AVAudioFormat
    private var chunker: AudioChunker
    private let onFrame: (AudioFrame) -> Void
    private let lock = NSLock()
    private var isSending = true

    var sending: Bool {
        get {
            lock.lock()
            defer { lock.unlock() }
            return isSending
        }
        set {
            lock.lock()
            isSending = newValue
            lock.unlock()
        }
    }

    init(from input: AVAudioFormat, onFrame: @escaping (AudioFrame) -> Void) throws {
        guard let target = AVAudioFormat(commonFormat: .pcmFormatInt16, sampleRate: Double(sampleRate), channels: 1, interleaved: true),
              let converter = AVAudioConverter(from: input, to: target) else {
            throw AudioIOError.noConverter
        }
        self.target = target
        self.converter = converter
        chunker = try AudioChunker(frameMs: 10)
        self.onFrame = onFrame
    }

    /// On the tap's thread, one buffer at a time.
    func convert(_ buffer: AVAudioPCMBuffer) {
        guard sending else { return }
        let ratio = target.sampleRate / buffer.format.sampleRate
        let capacity = AVAudioFrameCount(Double(buffer.frameLength) * ratio) + 32
        guard let out = AVAudioPCMBuffer(pcmFormat: target, frameCapacity: capacity) else { return }
        var handedOver = false
        var error: NSError?
        let status = converter.convert(to: out, error: &error) { _, inputStatus in
            if handedOver {
                inputStatus.pointee = .noDataNow
                return nil
            }
            handedOver = true
            inputStatus.pointee = .haveData
            return buffer
        }
        guard status != .error, let samples = out.int16ChannelData?[0] else {
            print("microphone conversion failed: \(error?.localizedDescription ?? "unknown")")
            return
        }
        for frame in chunker.push(UnsafeBufferPointer(start: samples, count: Int(out.frameLength))) {
            onFrame(AudioFrame(sampleRate: UInt32(sampleRate), channels: 1, samples: frame.samples, timestampUs: frame.timestampUs))
        }
    }
}
