import CoreGraphics
import Foundation
import OmniJitsiMeet
import PermissionFlow
import SampleMedia

struct ChatLine: Identifiable {
    let id = UUID()
    let from: String
    let text: String
    let isPrivate: Bool

    var rendered: String { isPrivate ? "\(from) (privately): \(text)" : "\(from): \(text)" }
}

/// A refusal to explain before joining anyway.
struct Refusal {
    let plan: JoinPlan
    let message: String
    let canOpenSettings: Bool
}

/// The one screen's state: the join form, then one meeting built from the SDK's events, with
/// its media (MeetingMedia) following our mute state and others' track events.
@MainActor
final class MeetingModel: ObservableObject {
    enum Phase { case idle, joining, joined, ended }

    @Published var serverUrl = "https://meet.jit.si"
    @Published var room = ""
    @Published var displayName = ""
    @Published var email = ""
    @Published var avatarUrl = ""
    @Published var refusal: Refusal?
    @Published private(set) var phase = Phase.idle
    @Published private(set) var status = ""
    @Published private(set) var participants: [Participant] = []
    @Published private(set) var chat: [ChatLine] = []
    @Published private(set) var remote = RemoteSources()
    /// The latest picture of each remote video source.
    @Published private(set) var tiles: [String: CGImage] = [:]
    @Published private(set) var audioMuted = false
    @Published private(set) var videoMuted = false
    @Published private(set) var cameraAllowed = true
    @Published private(set) var microphoneAllowed = true

    private var meeting: Meeting?
    private var media: MeetingMedia?
    private var network: NetworkWatcher?

    var inMeeting: Bool { phase == .joining || phase == .joined }

    /// Asks for camera, microphone and photo library, then joins, or explains what was refused.
    func joinTapped() async {
        if trimmed(room).isEmpty {
            status = "Enter a room name"
            return
        }
        switch await PermissionFlow(platform: ApplePermissions()).beforeJoin() {
        case let .join(plan):
            await join(plan)
        case let .explain(plan, message, canOpenSettings):
            refusal = Refusal(plan: plan, message: message, canOpenSettings: canOpenSettings)
        }
    }

    /// Joins, audio-only without the camera and muted without the microphone, and then follows
    /// the meeting's events until it ends.
    func join(_ plan: JoinPlan) async {
        guard !inMeeting else { return }
        refusal = nil
        phase = .joining
        participants = []
        chat = []
        remote = RemoteSources()
        tiles = [:]
        audioMuted = plan.audioMuted
        videoMuted = plan.audioOnly
        cameraAllowed = !plan.audioOnly
        microphoneAllowed = !plan.audioMuted
        status = "Joining \(trimmed(room))…"
        let options = MeetingOptions(
            room: trimmed(room),
            serverUrl: trimmed(serverUrl),
            displayName: nonEmpty(displayName),
            email: nonEmpty(email),
            avatarUrl: nonEmpty(avatarUrl),
            audioMuted: plan.audioMuted,
            audioOnly: plan.audioOnly
        )
        let stream = EventStream()
        do {
            try AudioSession.start()
        } catch {
            status = "Audio is unavailable: \(error.localizedDescription)"
        }
        do {
            // Qualified: inside this class, `join` alone would name the method above.
            meeting = try await OmniJitsiMeet.join(options: options, listener: stream)
        } catch {
            AudioSession.stop()
            phase = .ended
            status = error.localizedDescription
            return
        }
        if let meeting {
            network = NetworkWatcher {
                Task { try? await meeting.networkChanged() }
            }
            media = MeetingMedia(
                meeting: meeting, cameraAllowed: cameraAllowed, microphoneAllowed: microphoneAllowed
            ) { [weak self] source, image in
                // A picture of a source that went away meanwhile gets no tile.
                guard let self, self.remote.video.contains(where: { $0.sourceName == source }) else { return }
                self.tiles[source] = image
            }
        }
        for await event in stream.events {
            apply(event)
            followMedia()
        }
        network = nil
        media?.stop()
        media = nil
        meeting = nil
        AudioSession.stop()
    }

    func send(_ text: String) async {
        guard let meeting, !text.isEmpty else { return }
        do {
            try await meeting.sendChat(text: text, to: nil)
            // The SDK does not echo our own messages back as events.
            chat.append(ChatLine(from: nonEmpty(displayName) ?? "Me", text: text, isPrivate: false))
        } catch {
            status = error.localizedDescription
        }
    }

    /// The SDK answers with `audioMutedChanged`, which turns the microphone off or on.
    func toggleAudio() async {
        do {
            try await meeting?.setAudioMuted(muted: !audioMuted)
        } catch {
            status = error.localizedDescription
        }
    }

    func toggleVideo() async {
        do {
            try await meeting?.setVideoMuted(muted: !videoMuted)
        } catch {
            status = error.localizedDescription
        }
    }

    /// The name under a video tile; a second video source (`-v1`) is a shared screen.
    func label(_ source: RemoteSource) -> String {
        let name = participants.first { $0.endpointId == source.endpointId }?.displayName ?? source.endpointId
        return source.isScreen ? "\(name) (screen)" : name
    }

    private func followMedia() {
        media?.follow(
            cameraOn: phase == .joined && cameraAllowed && !videoMuted,
            microphoneOn: phase == .joined && microphoneAllowed && !audioMuted,
            remote: remote
        )
        tiles = tiles.filter { key, _ in remote.video.contains { $0.sourceName == key } }
    }

    /// The events then end with `conferenceTerminated`, which ends `join`.
    func hangUp() async {
        do {
            try await meeting?.hangUp()
        } catch MeetingError.MeetingEnded(_) {
            // It ended on its own meanwhile; the status already says why.
        } catch {
            status = error.localizedDescription
        }
    }

    private func apply(_ event: MeetingEvent) {
        switch event {
        case let .conferenceJoined(room, _, _):
            phase = .joined
            status = "In \(room)"
        case let .participantJoined(participant), let .participantUpdated(participant):
            if let i = participants.firstIndex(where: { $0.endpointId == participant.endpointId }) {
                participants[i] = participant
            } else {
                participants.append(participant)
            }
        case let .participantLeft(endpointId, _):
            participants.removeAll { $0.endpointId == endpointId }
            remote.apply(.participantLeft(endpointId: endpointId))
        case let .remoteTrackAdded(endpointId, sourceName, kind):
            remote.apply(.added(endpointId: endpointId, sourceName: sourceName, video: kind == .video))
        case let .remoteTrackRemoved(_, sourceName, _):
            remote.apply(.removed(sourceName: sourceName))
        case let .audioMutedChanged(muted):
            audioMuted = muted
        case let .videoMutedChanged(muted):
            videoMuted = muted
        case let .chatMessageReceived(message):
            chat.append(ChatLine(from: message.fromName ?? message.from, text: message.text, isPrivate: message.`private`))
        case let .conferenceTerminated(_, _, message):
            phase = .ended
            participants = []
            remote.apply(.meetingEnded)
            status = message ?? "Left \(trimmed(room))"
        case let .error(_, message):
            status = message
        default:
            break
        }
    }

    private func trimmed(_ s: String) -> String {
        s.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func nonEmpty(_ s: String) -> String? {
        let t = trimmed(s)
        return t.isEmpty ? nil : t
    }
}
