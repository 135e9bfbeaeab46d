/// A picture or audio buffer the glue refuses: that frame is dropped, capture goes on.
public enum MediaFormatError: Error, Equatable {
    case badSize(width: Int, height: Int)
    case badStride(plane: String, stride: Int)
    case planeTooSmall(plane: String, bytes: Int, needed: Int)
    case badRotation(Int)
    case badFrameDuration(ms: Int)
}

func checkedRotation(_ degrees: Int) throws -> Int {
    switch degrees {
    case 0, 90, 180, 270: return degrees
    default: throw MediaFormatError.badRotation(degrees)
    }
}
