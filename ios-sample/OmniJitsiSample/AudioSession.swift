import AVFoundation

/// A call records and plays at once; `.voiceChat` mode turns on the system's echo cancellation
/// and gain control, which the app owns (the SDK only moves audio frames).
enum AudioSession {
    static func start() throws {
        let session = AVAudioSession.sharedInstance()
        try session.setCategory(
            .playAndRecord,
            mode: .voiceChat,
            options: [.allowBluetooth, .defaultToSpeaker]
        )
        try session.setActive(true)
    }

    /// Lets music that we interrupted resume.
    static func stop() {
        do {
            try AVAudioSession.sharedInstance().setActive(false, options: .notifyOthersOnDeactivation)
        } catch {
            // Another app's session may still be running I/O; ours is over either way.
            print("AVAudioSession deactivation failed: \(error.localizedDescription)")
        }
    }
}
