/// An I420 picture with the fields of the SDK's `VideoFrame`; the app copies it into one.
public struct I420Picture: Equatable {
    public var width: Int
    public var height: Int
    /// How far to turn it clockwise to show it upright.
    public var rotation: Int
    public var y: [UInt8]
    public var u: [UInt8]
    public var v: [UInt8]
    public var strideY: Int
    public var strideU: Int
    public var strideV: Int

    public init(
        width: Int, height: Int, rotation: Int,
        y: [UInt8], u: [UInt8], v: [UInt8],
        strideY: Int, strideU: Int, strideV: Int
    ) {
        self.width = width
        self.height = height
        self.rotation = rotation
        self.y = y
        self.u = u
        self.v = v
        self.strideY = strideY
        self.strideU = strideU
        self.strideV = strideV
    }
}
