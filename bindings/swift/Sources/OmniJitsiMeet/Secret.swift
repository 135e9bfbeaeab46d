/// A token, room password or stream key. Its `description`, `debugDescription` and mirror never
/// show the value, so `print(options)` and `dump(options)` are safe:
/// `options.token = Secret(jwt)`, or a string literal.
public struct Secret: Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible,
    CustomDebugStringConvertible, CustomReflectable
{
    public let value: String

    public init(_ value: String) {
        self.value = value
    }

    public init(stringLiteral value: String) {
        self.value = value
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
