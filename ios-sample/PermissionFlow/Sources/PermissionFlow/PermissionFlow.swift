/// What a meeting asks the user for.
public enum Access: CaseIterable {
    case camera
    case microphone
    case photoLibrary
}

/// The platform's answer, as `AVAuthorizationStatus` and `PHAuthorizationStatus` report it.
public enum PermissionStatus: Equatable {
    case notDetermined
    case authorized
    /// Photos only (iOS 14+): access to the photos the user picked.
    case limited
    /// The user said no. iOS never asks again: only the Settings app can change it.
    case denied
    /// Screen Time or a device profile forbids it; the user cannot change it either.
    case restricted
}

/// The platform calls the flow makes; the app implements them with AVCaptureDevice and
/// PHPhotoLibrary.
public protocol PermissionPlatform {
    func status(of access: Access) -> PermissionStatus
    /// Shows the system alert and returns the status after the user answered.
    func request(_ access: Access) async -> PermissionStatus
}

/// What the meeting can use, and so how to join.
public struct JoinPlan: Equatable {
    public let statuses: [Access: PermissionStatus]

    public init(statuses: [Access: PermissionStatus]) {
        self.statuses = statuses
    }

    public func isUsable(_ access: Access) -> Bool {
        let status = statuses[access] ?? .denied
        return status == .authorized || status == .limited
    }

    /// Without the camera there is no video source at all, so video could not be unmuted later.
    public var audioOnly: Bool { !isUsable(.camera) }
    public var audioMuted: Bool { !isUsable(.microphone) }
    public var refused: [Access] { Access.allCases.filter { !isUsable($0) } }
}

public enum Decision: Equatable {
    /// Nothing was refused: join straight away.
    case join(JoinPlan)
    /// Something was refused: show the message, then let the user join with the plan anyway, or
    /// open Settings when `canOpenSettings` (a restriction cannot be lifted there).
    case explain(JoinPlan, message: String, canOpenSettings: Bool)

    public var plan: JoinPlan {
        switch self {
        case let .join(plan), let .explain(plan, _, _): return plan
        }
    }
}

/// Asks for camera, microphone and photo library before joining, one system alert at a time as
/// iOS shows them, and turns refusals into a way to join anyway (audio-only without the camera,
/// muted without the microphone) instead of a failure.
public struct PermissionFlow {
    private let platform: PermissionPlatform

    public init(platform: PermissionPlatform) {
        self.platform = platform
    }

    public func beforeJoin() async -> Decision {
        var statuses: [Access: PermissionStatus] = [:]
        for access in Access.allCases {
            var status = platform.status(of: access)
            if status == .notDetermined {
                status = await platform.request(access)
            }
            // An alert that left nothing decided (the app went to the background) is no grant.
            statuses[access] = status == .notDetermined ? .denied : status
        }
        return Self.decide(JoinPlan(statuses: statuses))
    }

    static func decide(_ plan: JoinPlan) -> Decision {
        let refused = plan.refused
        if refused.isEmpty {
            return .join(plan)
        }
        var lines = refused.map { consequence(of: $0, status: plan.statuses[$0] ?? .denied) }
        let canOpenSettings = refused.contains { plan.statuses[$0] != .restricted }
        if canOpenSettings {
            lines.append("To change this, allow it in Settings.")
        }
        return .explain(plan, message: lines.joined(separator: "\n"), canOpenSettings: canOpenSettings)
    }

    private static func consequence(of access: Access, status: PermissionStatus) -> String {
        let what: String
        let effect: String
        switch access {
        case .camera:
            what = "Camera access"
            effect = "you will join audio-only, without video."
        case .microphone:
            what = "Microphone access"
            effect = "you will join muted."
        case .photoLibrary:
            what = "Photo library access"
            effect = "nothing can be saved to or picked from it."
        }
        let why = status == .restricted ? "is restricted on this device" : "was refused"
        return "\(what) \(why): \(effect)"
    }
}
