import Foundation
import OmniJitsiMeet
import PermissionFlow

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

/// The one screen's state: the join form, then one meeting built from the SDK's events.
///
/// Media is not here yet: camera and microphone capture (feeding `meeting.pushVideo(frame)` /
/// `meeting.pushAudio(frame)`) and playback of others' audio and video (`onRemoteAudio` /
/// `onRemoteVideo`) are wired when media lands in the bindings, which have no media API today.
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

    private var meeting: Meeting?

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
        for await event in stream.events {
            apply(event)
        }
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
        case let .chatMessageReceived(message):
            chat.append(ChatLine(from: message.fromName ?? message.from, text: message.text, isPrivate: message.`private`))
        case let .conferenceTerminated(_, _, message):
            phase = .ended
            participants = []
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
