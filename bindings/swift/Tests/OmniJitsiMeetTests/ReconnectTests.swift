import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

@testable import OmniJitsiMeet

/// A dropped connection through the bindings: Ann reaches the testbed through its fault proxy
/// (OMNI_JITSI_RELAYED_SERVER_URL), which the test cuts with a POST to OMNI_JITSI_FAULTS_URL.
final class ReconnectTests: XCTestCase {
    private func env(_ name: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[name] else {
            throw NoServer()
        }
        return value
    }

    private func options(_ room: String, _ name: String, server: String) -> MeetingOptions {
        var options = MeetingOptions(room: room)
        options.serverUrl = server
        options.displayName = name
        return options
    }

    func testACutConnectionResumesAndTheMessageSentMeanwhileArrivesOnce() async throws {
        let bobOptions = options("swift-reconnect", "Bob", server: try env("OMNI_JITSI_SERVER_URL"))
        let annOptions = options("swift-reconnect", "Ann", server: try env("OMNI_JITSI_RELAYED_SERVER_URL"))
        let faults = try env("OMNI_JITSI_FAULTS_URL")
        try await timed(seconds: 40) {
            let bob = try await joinMeeting(bobOptions)
            let ann = try await joinMeeting(annOptions)
            _ = try await bob.events.joinedParticipant(named: "Ann")

            try await fault("cut", at: faults)
            try await ann.meeting.sendChat(text: "sent during the cut", to: nil)
            for wanted in [ConnectionState.reconnecting, .connected] {
                _ = try await ann.events.first { event -> Bool? in
                    guard case .connectionStateChanged(let state) = event, state == wanted else { return nil }
                    return true
                }
            }
            try await ann.meeting.sendChat(text: "after the cut", to: nil)

            var received: [String] = []
            _ = try await bob.events.first { event -> Bool? in
                guard case .chatMessageReceived(let message) = event else { return nil }
                received.append(message.text)
                return message.text == "after the cut" ? true : nil
            }
            XCTAssertEqual(received, ["sent during the cut", "after the cut"])
            try await ann.meeting.hangUp()
            try await bob.meeting.hangUp()
        }
    }
}

struct FaultRefused: Error, CustomStringConvertible {
    let fault: String
    let status: Int?
    var description: String { "the fault proxy did not do \(fault): HTTP \(status.map(String.init) ?? "no answer")" }
}

/// Asks the testbed's fault proxy for `name` (`cut`, `down`, `blackhole`, `restore`).
func fault(_ name: String, at base: String) async throws {
    guard let url = URL(string: "\(base)/\(name)") else { throw FaultRefused(fault: name, status: nil) }
    var request = URLRequest(url: url)
    request.httpMethod = "POST"
    let status: Int? = try await withCheckedThrowingContinuation { done in
        URLSession.shared.dataTask(with: request) { _, response, error in
            if let error {
                done.resume(throwing: error)
            } else {
                done.resume(returning: (response as? HTTPURLResponse)?.statusCode)
            }
        }.resume()
    }
    guard status == 204 else { throw FaultRefused(fault: name, status: status) }
}
