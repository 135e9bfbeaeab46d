/// A joined meeting together with its events as an `AsyncStream`.
///
/// The stream delivers every event of the meeting in order and finishes after
/// ``MeetingEvent/conferenceTerminated(reason:error:message:)``. Events are buffered without
/// limit, so a slow consumer never stalls the meeting. Iterate it from one task.
public struct MeetingSession: Sendable {
    /// The meeting handle: chat, mute, raise hand, moderation, hang up.
    public let meeting: Meeting
    /// Every event, from ``MeetingEvent/conferenceWillJoin(room:)`` to
    /// ``MeetingEvent/conferenceTerminated(reason:error:message:)``.
    public let events: AsyncStream<MeetingEvent>
}

/// Joins a conference and returns once the room has confirmed the join.
///
/// ```swift
/// let session = try await joinMeeting(MeetingOptions(room: "standup", displayName: "Ann"))
/// Task { for await event in session.events { render(event) } }
/// try await session.meeting.sendChat(text: "hello", to: nil)
/// try await session.meeting.hangUp()
/// ```
///
/// - Parameter options: the server, room and who we are.
/// - Returns: the meeting and its events.
/// - Throws: a typed ``MeetingError`` when the join fails, e.g.
///   ``MeetingError/WrongPassword(message:)`` or ``MeetingError/InvalidRoomName(message:)``.
public func joinMeeting(_ options: MeetingOptions) async throws -> MeetingSession {
    let (events, continuation) = AsyncStream.makeStream(
        of: MeetingEvent.self,
        bufferingPolicy: .unbounded
    )
    let meeting = try await join(options: options, listener: StreamingListener(continuation))
    return MeetingSession(meeting: meeting, events: events)
}

/// Feeds the SDK's event thread into a stream; the core's last event closes it.
private final class StreamingListener: MeetingListener {
    private let continuation: AsyncStream<MeetingEvent>.Continuation

    init(_ continuation: AsyncStream<MeetingEvent>.Continuation) {
        self.continuation = continuation
    }

    func onEvent(event: MeetingEvent) {
        continuation.yield(event)
        if case .conferenceTerminated = event {
            continuation.finish()
        }
    }
}
