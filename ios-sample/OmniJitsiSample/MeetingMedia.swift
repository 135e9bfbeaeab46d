import CoreGraphics
import OmniJitsiMeet
import SampleMedia

/// One meeting's media: camera and microphone into the SDK, everyone else's audio to the
/// speaker and video to `tiles`. Frames go to the SDK through one task per kind, in order;
/// video keeps only the newest picture while a push is in progress (encoding may fall behind
/// the camera for a moment, and queueing would add latency that never drains).
@MainActor
final class MeetingMedia {
    private let meeting: Meeting
    private let camera: CameraCapture?
    private let audio: AudioIO?
    private var subscription: VideoSubscription?
    private var senders: [Task<Void, Never>] = []
    private var cameraRunning = false

    init(meeting: Meeting, cameraAllowed: Bool, microphoneAllowed: Bool, show: @escaping @MainActor (String, CGImage) -> Void) {
        self.meeting = meeting
        let (videoFrames, videoInput) = AsyncStream<VideoFrame>.makeStream(bufferingPolicy: .bufferingNewest(1))
        // Ten 10 ms frames: enough for a slow moment, short enough that audio is never late.
        let (audioFrames, audioInput) = AsyncStream<AudioFrame>.makeStream(bufferingPolicy: .bufferingNewest(10))
        camera = cameraAllowed ? CameraCapture { videoInput.yield($0) } : nil
        do {
            audio = try AudioIO(meeting: meeting, microphoneAllowed: microphoneAllowed) { audioInput.yield($0) }
        } catch {
            print("audio is unavailable: \(error)")
            audio = nil
        }
        senders = [
            Task {
                for await frame in videoFrames {
                    try? await meeting.pushVideo(frame: frame)
                }
            },
            Task {
                for await frame in audioFrames {
                    try? await meeting.pushAudio(frame: frame)
                }
            },
        ]
        subscription = meeting.subscribeRemoteVideo(sink: RemoteVideo { source, image in
            Task { @MainActor in show(source, image) }
        })
        do {
            try audio?.start()
        } catch {
            print("the audio engine did not start: \(error)")
        }
    }

    /// Capture runs only when wanted: a muted camera is stopped (its light goes off).
    func follow(cameraOn: Bool, microphoneOn: Bool, remote: RemoteSources) {
        if cameraOn != cameraRunning {
            cameraRunning = cameraOn
            if cameraOn { camera?.start() } else { camera?.stop() }
        }
        audio?.setMicrophone(on: microphoneOn)
        audio?.setRemoteAudioSources(remote.audioSourceNames)
    }

    func stop() {
        camera?.stop()
        cameraRunning = false
        audio?.stop()
        subscription?.cancel()
        subscription = nil
        senders.forEach { $0.cancel() }
        senders = []
    }
}
