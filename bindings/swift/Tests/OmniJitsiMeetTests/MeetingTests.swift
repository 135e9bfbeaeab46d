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
        password: Secret? = nil
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

    func testThreeParticipantsOnTheBridgeHearEachOtherAndTradeMessagesAndScreens() async throws {
        let names = ["Ann", "Bob", "Cat"]
        let all = try names.map { try options("swift-bridge", $0) }
        try await timed {
            var sessions: [MeetingSession] = []
            for o in all {
                sessions.append(try await joinMeeting(o))
            }
            // A room announces the occupants already there in no particular order.
            for (i, s) in sessions.enumerated() {
                var missing = Set(names.filter { $0 != names[i] })
                while !missing.isEmpty {
                    let name = try await s.events.first { event -> String? in
                        guard case .participantJoined(let p) = event else { return nil }
                        return p.displayName
                    }
                    missing.remove(name)
                }
            }
            let (ann, bob, cat) = (sessions[0], sessions[1], sessions[2])

            // Cat's 660 Hz tone reaches Ann through the bridge (20 ms frames, an audio clock).
            let catAudio = "\(cat.meeting.endpointId())-a0"
            var tone = Tone(hz: 660)
            var audible = 0
            while audible < 25 {
                try await Task.sleep(nanoseconds: 20_000_000)
                try await cat.meeting.pushAudio(frame: tone.next())
                let pulled = try ann.meeting.pullRemoteAudio(
                    sourceName: catAudio, samplesPerChannel: UInt32(Tone.frame))
                audible = (pulled.map { rms($0.samples) } ?? 0) > 500 ? audible + 1 : 0
            }

            try await bob.meeting.sendEndpointMessage(
                to: ann.meeting.endpointId(), json: #"{"type":"wave"}"#)
            let message = try await ann.events.first { event -> (String, String)? in
                guard case .endpointMessageReceived(let from, let json) = event else { return nil }
                return (from, json)
            }
            XCTAssertEqual(message.0, bob.meeting.endpointId())
            XCTAssertEqual(message.1, #"{"type":"wave"}"#)

            try await cat.meeting.startScreenShare()
            let sharing = try await ann.events.first { event -> (String, Bool)? in
                guard case .screenShareToggled(let endpointId, let on) = event else { return nil }
                return (endpointId, on)
            }
            XCTAssertEqual(sharing.0, cat.meeting.endpointId())
            XCTAssertTrue(sharing.1)
            for s in sessions {
                try await s.meeting.hangUp()
            }
        }
    }

    func testWrongPasswordAndInvalidRoomAreTypedErrors() async throws {
        let annOptions = try options("swift-locked", "Ann")
        let guessing = try options("swift-locked", "Bob", password: "guess")
        let knowing = try options("swift-locked", "Bob", password: Secret("s3cret"))
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
            try await joinMeeting(knowing).meeting.hangUp()
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

    private func picture(
        _ width: UInt32, _ height: UInt32, strideY: UInt32? = nil, rotation: UInt16 = 0
    ) -> VideoFrame {
        VideoFrame(
            width: width, height: height, timestampUs: 0, rotationDegrees: rotation,
            y: Data(count: Int(width * height)), u: Data(count: Int(width * height / 4)),
            v: Data(count: Int(width * height / 4)), strideY: strideY ?? width,
            strideU: width / 2, strideV: width / 2)
    }

    /// The app's mistakes reach the SDK's error paths: each is a typed error, never a crash, and
    /// the meeting goes on.
    func testMalformedFramesAreTypedErrors() async throws {
        let annOptions = try options("swift-hostile", "Ann")
        let pictures: [(String, VideoFrame)] = [
            ("odd size", picture(321, 180)),
            ("zero size", picture(0, 0)),
            ("stride below the width", picture(320, 180, strideY: 100)),
            ("a stride that overflows", picture(320, 180, strideY: UInt32.max)),
            ("rotation 45", picture(320, 180, rotation: 45)),
        ]
        let sounds: [(String, AudioFrame)] = [
            ("44.1 kHz", AudioFrame(sampleRate: 44_100, channels: 1, samples: Array(repeating: 0, count: 441), timestampUs: 0)),
            ("no channel", AudioFrame(sampleRate: 48_000, channels: 0, samples: Array(repeating: 0, count: 960), timestampUs: 0)),
            ("7 ms", AudioFrame(sampleRate: 48_000, channels: 1, samples: Array(repeating: 0, count: 336), timestampUs: 0)),
        ]
        let good = picture(320, 180)
        try await timed {
            let ann = try await joinMeeting(annOptions)
            for (what, frame) in pictures {
                do {
                    try await ann.meeting.pushVideo(frame: frame)
                    XCTFail("\(what): accepted")
                } catch MeetingError.InvalidArgument(let message) {
                    XCTAssertFalse(message.isEmpty, what)
                }
            }
            for (what, frame) in sounds {
                do {
                    try await ann.meeting.pushAudio(frame: frame)
                    XCTFail("\(what): accepted")
                } catch MeetingError.InvalidArgument(let message) {
                    XCTAssertFalse(message.isEmpty, what)
                }
            }
            try await ann.meeting.pushVideo(frame: good)
            try await ann.meeting.sendChat(text: "still here", to: nil)
            try await ann.meeting.hangUp()
        }
    }

    func testTokensPasswordsAndStreamKeysNeverShowInDescriptions() throws {
        var options = try options("swift-secrets", "Ann", password: "hunter2")
        options.token = Secret("eyJhbGciOiJIUzI1NiJ9.e30.c2ln")
        let stream = RecordingRequest.stream(streamKey: Secret("live-key-1"), broadcastId: nil)
        var dumped = ""
        dump(options, to: &dumped)
        dump(stream, to: &dumped)
        let printed = [
            "\(options)", String(describing: options), String(reflecting: options),
            "\(stream)", String(reflecting: stream), dumped,
        ]
        for text in printed {
            for secret in ["eyJhbGciOiJIUzI1NiJ9", "hunter2", "live-key-1"] {
                XCTAssertFalse(text.contains(secret), "'\(secret)' printed in \(text)")
            }
        }
        XCTAssertTrue(printed[0].contains("<redacted>"), printed[0])
        var same = options
        same.token = Secret("eyJhbGciOiJIUzI1NiJ9.e30.c2ln")
        XCTAssertEqual(options, same)
        same.password = "hunter3"
        XCTAssertNotEqual(options, same)
    }
}

/// A 48 kHz mono sine at amplitude 8000, 20 ms per frame.
struct Tone {
    static let rate = 48_000
    static let frame = 960
    let hz: Double
    private var n = 0

    init(hz: Double) {
        self.hz = hz
    }

    mutating func next() -> AudioFrame {
        let samples = (0..<Tone.frame).map { i in
            Int16((8000 * sin(2 * Double.pi * hz * Double(n + i) / Double(Tone.rate))).rounded())
        }
        let frame = AudioFrame(
            sampleRate: UInt32(Tone.rate), channels: 1, samples: samples,
            timestampUs: UInt64(n) * 1_000_000 / UInt64(Tone.rate))
        n += Tone.frame
        return frame
    }
}

func rms(_ samples: [Int16]) -> Double {
    guard !samples.isEmpty else { return 0 }
    return (samples.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(samples.count)).squareRoot()
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
