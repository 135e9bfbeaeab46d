/// What the SDK's track events say about remote sources, without depending on the SDK: the
/// app maps `MeetingEvent`s onto these.
public enum TrackChange {
    case added(endpointId: String, sourceName: String, video: Bool)
    case removed(sourceName: String)
    case participantLeft(endpointId: String)
    case meetingEnded
}

/// One remote track: `ENDPOINT-a0`, `ENDPOINT-v0` (camera) or `ENDPOINT-v1` (screen).
public struct RemoteSource: Equatable, Identifiable {
    public let sourceName: String
    public let endpointId: String

    public var id: String { sourceName }

    public var isScreen: Bool { sourceName.hasSuffix("-v1") }
}

/// Which remote sources exist: the audio ones are what the mixer pulls, the video ones the
/// grid's tiles, in the order they appeared.
public struct RemoteSources: Equatable {
    public private(set) var audio: [RemoteSource] = []
    public private(set) var video: [RemoteSource] = []

    public init() {}

    public mutating func apply(_ change: TrackChange) {
        switch change {
        case let .added(endpointId, sourceName, isVideo):
            let source = RemoteSource(sourceName: sourceName, endpointId: endpointId)
            if isVideo {
                Self.insert(source, into: &video)
            } else {
                Self.insert(source, into: &audio)
            }
        case let .removed(sourceName):
            audio.removeAll { $0.sourceName == sourceName }
            video.removeAll { $0.sourceName == sourceName }
        // A leave may end the media session without a removal per track.
        case let .participantLeft(endpointId):
            audio.removeAll { $0.endpointId == endpointId }
            video.removeAll { $0.endpointId == endpointId }
        case .meetingEnded:
            self = RemoteSources()
        }
    }

    public var audioSourceNames: [String] { audio.map(\.sourceName) }

    /// A near-square grid: 1 tile alone, 2 side by side, 3-4 in 2x2, 5-6 in 3x2, 7-9 in 3x3.
    public var columns: Int {
        guard !video.isEmpty else { return 0 }
        var columns = 1
        while columns * columns < video.count { columns += 1 }
        return columns
    }

    public var rows: Int {
        columns == 0 ? 0 : (video.count + columns - 1) / columns
    }

    /// A track announced again (a rename) keeps its place.
    private static func insert(_ source: RemoteSource, into list: inout [RemoteSource]) {
        if let i = list.firstIndex(where: { $0.sourceName == source.sourceName }) {
            list[i] = source
        } else {
            list.append(source)
        }
    }
}
