import SwiftUI
import UIKit

/// One screen: the join form, then the meeting (others' video, mute buttons, participants,
/// chat, hang up).
struct ContentView: View {
    @StateObject private var model = MeetingModel()

    var body: some View {
        VStack(alignment: .leading, spacing: 12) {
            if model.inMeeting {
                MeetingView(model: model)
            } else {
                JoinForm(model: model)
            }
            Text(model.status)
                .font(.footnote)
                .foregroundColor(.secondary)
        }
        .padding()
        .alert(
            "Some access was refused",
            isPresented: Binding(get: { model.refusal != nil }, set: { if !$0 { model.refusal = nil } }),
            presenting: model.refusal
        ) { refusal in
            Button("Join anyway") {
                Task { await model.join(refusal.plan) }
            }
            if refusal.canOpenSettings, let settings = URL(string: UIApplication.openSettingsURLString) {
                Button("Settings") {
                    UIApplication.shared.open(settings)
                }
            }
            Button("Cancel", role: .cancel) {}
        } message: { refusal in
            Text(refusal.message)
        }
    }
}

private struct JoinForm: View {
    @ObservedObject var model: MeetingModel

    var body: some View {
        Form {
            TextField("Server URL", text: $model.serverUrl)
                .keyboardType(.URL)
                .textInputAutocapitalization(.never)
                .autocorrectionDisabled()
            TextField("Room", text: $model.room)
                .textInputAutocapitalization(.never)
                .autocorrectionDisabled()
            TextField("Display name", text: $model.displayName)
                .textContentType(.name)
            TextField("Email", text: $model.email)
                .keyboardType(.emailAddress)
                .textContentType(.emailAddress)
                .textInputAutocapitalization(.never)
            TextField("Avatar URL", text: $model.avatarUrl)
                .keyboardType(.URL)
                .textInputAutocapitalization(.never)
            Button("Join") {
                Task { await model.joinTapped() }
            }
        }
    }
}

private struct MeetingView: View {
    @ObservedObject var model: MeetingModel
    @State private var draft = ""

    var body: some View {
        VStack(alignment: .leading, spacing: 8) {
            Text(participantsLine)
                .font(.subheadline)
            VideoGrid(model: model)
            HStack {
                Button {
                    Task { await model.toggleAudio() }
                } label: {
                    Text(model.audioMuted ? "Unmute" : "Mute")
                }
                .disabled(!model.microphoneAllowed)
                Button {
                    Task { await model.toggleVideo() }
                } label: {
                    Text(model.videoMuted ? "Start video" : "Stop video")
                }
                .disabled(!model.cameraAllowed)
            }
            .buttonStyle(.bordered)
            List(model.chat) { line in
                Text(line.rendered)
            }
            .listStyle(.plain)
            HStack {
                TextField("Message", text: $draft)
                    .textFieldStyle(.roundedBorder)
                    .onSubmit(send)
                Button("Send", action: send)
                    .disabled(draft.isEmpty || model.phase != .joined)
            }
            Button("Hang up", role: .destructive) {
                Task { await model.hangUp() }
            }
            .frame(maxWidth: .infinity)
        }
    }

    private var participantsLine: String {
        if model.participants.isEmpty {
            return "Nobody else is here yet"
        }
        return "With " + model.participants.map { $0.displayName ?? $0.endpointId }.joined(separator: ", ")
    }

    private func send() {
        let text = draft
        draft = ""
        Task { await model.send(text) }
    }
}

/// Others' video, one tile per remote video source in a near-square grid.
private struct VideoGrid: View {
    @ObservedObject var model: MeetingModel

    var body: some View {
        let columns = Array(repeating: GridItem(.flexible()), count: max(model.remote.columns, 1))
        LazyVGrid(columns: columns, spacing: 4) {
            ForEach(model.remote.video) { source in
                ZStack(alignment: .bottomLeading) {
                    Color.black
                    if let image = model.tiles[source.sourceName] {
                        Image(decorative: image, scale: 1)
                            .resizable()
                            .scaledToFit()
                    }
                    Text(model.label(source))
                        .font(.caption)
                        .foregroundColor(.white)
                        .padding(4)
                }
                .aspectRatio(4 / 3, contentMode: .fit)
            }
        }
    }
}
