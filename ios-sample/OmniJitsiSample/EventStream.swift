import OmniJitsiMeet

/// The SDK calls `onEvent` in order on its own thread (`omni-jitsi-events`); `events` hands them
/// to the main actor in the same order, ending after `conferenceTerminated`.
final class EventStream: MeetingListener {
    let events: AsyncStream<MeetingEvent>
    private let continuation: AsyncStream<MeetingEvent>.Continuation

    init() {
        var continuation: AsyncStream<MeetingEvent>.Continuation!
        // AsyncStream runs this closure before its initializer returns.
        events = AsyncStream(bufferingPolicy: .unbounded) { continuation = $0 }
        self.continuation = continuation
    }

    func onEvent(event: MeetingEvent) {
        continuation.yield(event)
        if case .conferenceTerminated = event {
            continuation.finish()
        }
    }
}
