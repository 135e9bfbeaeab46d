import XCTest

@testable import PermissionFlow

/// A device whose user answers each system alert as scripted; unscripted alerts are allowed.
private final class FakeDevice: PermissionPlatform {
    private var statuses: [Access: PermissionStatus]
    private let answers: [Access: PermissionStatus]
    private(set) var alerts: [Access] = []

    init(statuses: [Access: PermissionStatus] = [:], answers: [Access: PermissionStatus] = [:]) {
        self.statuses = statuses
        self.answers = answers
    }

    func status(of access: Access) -> PermissionStatus {
        statuses[access] ?? .notDetermined
    }

    func request(_ access: Access) async -> PermissionStatus {
        alerts.append(access)
        let answer = answers[access] ?? .authorized
        statuses[access] = answer
        return answer
    }
}

final class PermissionFlowTests: XCTestCase {
    func testEverythingGrantedJoinsWithCameraAndMicrophone() async {
        let device = FakeDevice()
        let decision = await PermissionFlow(platform: device).beforeJoin()
        guard case let .join(plan) = decision else {
            return XCTFail("expected to join, got \(decision)")
        }
        XCTAssertFalse(plan.audioOnly)
        XCTAssertFalse(plan.audioMuted)
        XCTAssertEqual(device.alerts, [.camera, .microphone, .photoLibrary])
    }

    func testAnswersGivenEarlierAreNotAskedAgain() async {
        let device = FakeDevice()
        _ = await PermissionFlow(platform: device).beforeJoin()
        let second = await PermissionFlow(platform: device).beforeJoin()
        XCTAssertEqual(device.alerts.count, 3)
        XCTAssertEqual(second.plan.refused, [])
    }

    func testRefusedCameraJoinsAudioOnlyAndPointsToSettings() async {
        let device = FakeDevice(answers: [.camera: .denied])
        let decision = await PermissionFlow(platform: device).beforeJoin()
        guard case let .explain(plan, message, canOpenSettings) = decision else {
            return XCTFail("expected an explanation, got \(decision)")
        }
        XCTAssertTrue(plan.audioOnly)
        XCTAssertFalse(plan.audioMuted)
        XCTAssertTrue(canOpenSettings)
        XCTAssertEqual(
            message,
            "Camera access was refused: you will join audio-only, without video.\nTo change this, allow it in Settings."
        )
    }

    func testMicrophoneRefusedBeforeIsNotAskedAndJoinsMuted() async {
        let device = FakeDevice(statuses: [.microphone: .denied])
        let decision = await PermissionFlow(platform: device).beforeJoin()
        XCTAssertEqual(device.alerts, [.camera, .photoLibrary])
        XCTAssertTrue(decision.plan.audioMuted)
        XCTAssertFalse(decision.plan.audioOnly)
    }

    func testRestrictedMicrophoneCannotBeChangedInSettings() async {
        let device = FakeDevice(statuses: [.microphone: .restricted])
        let decision = await PermissionFlow(platform: device).beforeJoin()
        guard case let .explain(plan, message, canOpenSettings) = decision else {
            return XCTFail("expected an explanation, got \(decision)")
        }
        XCTAssertTrue(plan.audioMuted)
        XCTAssertFalse(canOpenSettings)
        XCTAssertEqual(message, "Microphone access is restricted on this device: you will join muted.")
    }

    func testCameraAndMicrophoneBothRefusedStillJoinAudioOnlyAndMuted() async {
        let device = FakeDevice(answers: [.camera: .denied, .microphone: .denied])
        let decision = await PermissionFlow(platform: device).beforeJoin()
        XCTAssertEqual(decision.plan.refused, [.camera, .microphone])
        XCTAssertTrue(decision.plan.audioOnly)
        XCTAssertTrue(decision.plan.audioMuted)
    }

    func testLimitedPhotoLibraryIsPartialAccessNotARefusal() async {
        let device = FakeDevice(answers: [.photoLibrary: .limited])
        let decision = await PermissionFlow(platform: device).beforeJoin()
        XCTAssertEqual(decision, .join(JoinPlan(statuses: [
            .camera: .authorized, .microphone: .authorized, .photoLibrary: .limited,
        ])))
    }

    func testAnAlertLeftUndecidedCountsAsARefusal() async {
        let device = FakeDevice(answers: [.photoLibrary: .notDetermined])
        let decision = await PermissionFlow(platform: device).beforeJoin()
        XCTAssertEqual(decision.plan.refused, [.photoLibrary])
        XCTAssertFalse(decision.plan.audioOnly)
    }
}
