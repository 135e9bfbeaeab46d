import Foundation
import XCTest

@testable import OmniJitsiMeet

/// The SDK's user stories, driven from Swift through the generated bindings against Prosody and
/// the testbed, whose URL `cargo xtask test` passes in OMNI_JITSI_SERVER_URL.
final class MeetingTests: XCTestCase {
    private var server: String {
        get throws {
            guard let url = ProcessInfo.processInfo.environment["OMNI_JITSI_SERVER_URL"] else {
                throw NoServer()
            }
            return url
        }
    }

    private func options(
        _ room: String,
        _ name: String,
        password: String? = nil
    ) throws -> MeetingOptions {
        var options = MeetingOptions(room: room)
        options.serverUrl = try server
        options.displayName = name
        options.email = "\(name.lowercased())@example.org"
        options.avatarUrl = "https://example.org/\(name.lowercased()).png"
        options.password = password
        return options
    }

    func testJoinReportsTheRoomAndHangUpTerminates() async throws {
        let options = try options("swift-join", "Ann")
        try await timed {
            let session = try await joinMeeting(options)
            XCTAssertEqual(session.meeting.room(), "swift-join")
            try await session.meeting.hangUp()
            var events: [MeetingEvent] = []
            for await event in session.events {
                events.append(event)
            }
            guard case .conferenceWillJoin(let room)? = events.first else {
                return XCTFail("the first event is \(String(describing: events.first))")
            }
            XCTAssertEqual(room, "swift-join")
            let joined = events.compactMap { event -> (String, String)? in
                guard case .conferenceJoined(let room, let endpointId, _) = event else { return nil }
                return (room, endpointId)
            }
            XCTAssertEqual(joined.count, 1)
            XCTAssertEqual(joined.first?.0, "swift-join")
            XCTAssertEqual(joined.first?.1, session.meeting.endpointId())
            guard case .conferenceTerminated(let reason, _, _)? = events.last else {
                return XCTFail("the last event is \(String(describing: events.last))")
            }
            XCTAssertEqual(reason, .hungUp)
        }
    }

    func testEventsWaitInOrderForAConsumerThatStartsLate() async throws {
        let options = try options("swift-late", "Ann")
        try await timed {
            let session = try await joinMeeting(options)
            // Nobody reads the stream while the meeting is used: the calls must not stall.
            try await session.meeting.setAudioMuted(muted: true)
            try await session.meeting.raiseHand(raised: true)
            try await session.meeting.hangUp()
            var order: [String] = []
            for await event in session.events {
                switch event {
                case .conferenceWillJoin: order.append("will_join")
                case .conferenceJoined: order.append("joined")
                case .audioMutedChanged(true): order.append("muted")
                case .handRaisedChanged(true): order.append("hand_up")
                case .conferenceTerminated: order.append("terminated")
                default: break
                }
            }
            XCTAssertEqual(order, ["will_join", "joined", "muted", "hand_up", "terminated"])
        }
    }

    func testTwoParticipantsSeeEachOthersNameEmailAndAvatar() async throws {
        let annOptions = try options("swift-two", "Ann")
        let bobOptions = try options("swift-two", "Bob")
        try await timed {
            let ann = try await joinMeeting(annOptions)
            let bob = try await joinMeeting(bobOptions)
            let seenByAnn = try await ann.events.joinedParticipant(named: "Bob")
            XCTAssertEqual(seenByAnn.endpointId, bob.meeting.endpointId())
            XCTAssertEqual(seenByAnn.email, "bob@example.org")
            XCTAssertEqual(seenByAnn.avatarUrl, "https://example.org/bob.png")
            let seenByBob = try await bob.events.joinedParticipant(named: "Ann")
            XCTAssertEqual(seenByBob.email, "ann@example.org")
            XCTAssertEqual(seenByBob.avatarUrl, "https://example.org/ann.png")
            XCTAssertEqual(ann.meeting.participants().map(\.displayName), ["Bob"])

            try await ann.meeting.hangUp()
            let left = try await bob.events.first { event -> String? in
                guard case .participantLeft(let endpointId, _) = event else { return nil }
                return endpointId
            }
            XCTAssertEqual(left, ann.meeting.endpointId())
            try await bob.meeting.hangUp()
        }
    }

    func testChatTravelsBothWays() async throws {
        let annOptions = try options("swift-chat", "Ann")
        let bobOptions = try options("swift-chat", "Bob")
        try await timed {
            let ann = try await joinMeeting(annOptions)
            let bob = try await joinMeeting(bobOptions)
            _ = try await ann.events.joinedParticipant(named: "Bob")
            _ = try await bob.events.joinedParticipant(named: "Ann")

            try await ann.meeting.sendChat(text: "hello bob", to: nil)
            let toBob = try await bob.events.chatMessage()
            XCTAssertEqual(toBob.text, "hello bob")
            XCTAssertEqual(toBob.fromName, "Ann")
            XCTAssertFalse(toBob.private)

            try await bob.meeting.sendChat(text: "hi ann, privately", to: ann.meeting.endpointId())
            let toAnn = try await ann.events.chatMessage()
            XCTAssertEqual(toAnn.text, "hi ann, privately")
            XCTAssertEqual(toAnn.from, bob.meeting.endpointId())
            XCTAssertTrue(toAnn.private)
            try await ann.meeting.hangUp()
            try await bob.meeting.hangUp()
        }
    }

    func testMuteChangesReachTheMutedAndTheOthers() async throws {
        let annOptions = try options("swift-mute", "Ann")
        let bobOptions = try options("swift-mute", "Bob")
        try await timed {
            let ann = try await joinMeeting(annOptions)
            let bob = try await joinMeeting(bobOptions)
            _ = try await bob.events.joinedParticipant(named: "Ann")

            try await ann.meeting.setAudioMuted(muted: true)
            let audio = try await ann.events.first { event -> Bool? in
                guard case .audioMutedChanged(let muted) = event else { return nil }
                return muted
            }
            XCTAssertTrue(audio)
            let update = try await bob.events.first { event -> Participant? in
                guard case .participantUpdated(let p) = event, p.audioMuted else { return nil }
                return p
            }
            XCTAssertEqual(update.endpointId, ann.meeting.endpointId())

            try await ann.meeting.setVideoMuted(muted: true)
            let video = try await ann.events.first { event -> Bool? in
                guard case .videoMutedChanged(let muted) = event else { return nil }
                return muted
            }
            XCTAssertTrue(video)
            try await ann.meeting.hangUp()
            try await bob.meeting.hangUp()
        }
    }

    func testWrongPasswordAndInvalidRoomAreTypedErrors() async throws {
        let annOptions = try options("swift-locked", "Ann")
        let guessing = try options("swift-locked", "Bob", password: "guess")
        let invalid = try options("not a valid room", "Bob")
        try await timed {
            let ann = try await joinMeeting(annOptions)
            _ = try await ann.events.first { event -> Bool? in
                switch event {
                case .roleChanged(.moderator), .conferenceJoined(_, _, .moderator): return true
                default: return nil
                }
            }
            try await ann.meeting.setRoomPassword(password: "s3cret")

            do {
                _ = try await joinMeeting(guessing)
                XCTFail("joined a locked room with a wrong password")
            } catch MeetingError.WrongPassword(let message) {
                XCTAssertFalse(message.isEmpty)
            }
            do {
                _ = try await joinMeeting(invalid)
                XCTFail("joined a room with an invalid name")
            } catch MeetingError.InvalidRoomName(let message) {
                XCTAssertTrue(message.contains("' '"), message)
            }

            try await ann.meeting.hangUp()
            do {
                try await ann.meeting.sendChat(text: "anyone?", to: nil)
                XCTFail("chat after hang up")
            } catch MeetingError.MeetingEnded {
                // The typed error is the assertion.
            }
        }
    }
}

/// A failure rather than a skip, so a misconfigured run cannot pass with nothing tested.
struct NoServer: Error, CustomStringConvertible {
    var description: String { "OMNI_JITSI_SERVER_URL is not set: run through `cargo xtask test`" }
}

struct TimedOut: Error, CustomStringConvertible {
    let seconds: UInt64
    var description: String { "the test did not finish within \(seconds) s" }
}

struct StreamEnded: Error, CustomStringConvertible {
    var description: String { "the meeting's events ended before the awaited one arrived" }
}

/// Runs a test body with a deadline, as the Kotlin tests' `withTimeout`: a missing event fails
/// the test instead of hanging the suite. Cancelling the body ends its `AsyncStream` iteration.
func timed(
    seconds: UInt64 = 20,
    _ body: @escaping @Sendable () async throws -> Void
) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(nanoseconds: seconds * 1_000_000_000)
            throw TimedOut(seconds: seconds)
        }
        defer { group.cancelAll() }
        try await group.next()
    }
}

extension AsyncStream where Element == MeetingEvent {
    /// The first event `match` maps to a value; events before it are consumed.
    func first<T>(_ match: (MeetingEvent) -> T?) async throws -> T {
        for await event in self {
            if let found = match(event) {
                return found
            }
        }
        throw StreamEnded()
    }

    func joinedParticipant(named name: String) async throws -> Participant {
        try await first { event in
            guard case .participantJoined(let p) = event, p.displayName == name else { return nil }
            return p
        }
    }

    func chatMessage() async throws -> ChatMessage {
        try await first { event in
            guard case .chatMessageReceived(let message) = event else { return nil }
            return message
        }
    }
}
