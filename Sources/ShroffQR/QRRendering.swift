/// Images of a symbol. The quiet zone is the light margin readers need around it: 4 modules by
/// the standard.
extension QRCode {
    public static let standardQuietZone = 4

    /// A standalone SVG image, one unit per module: a white background and one black path of
    /// horizontal runs, with `shape-rendering="crispEdges"` so that no anti-aliasing blurs the
    /// modules. It has no width or height, so it fills the box the page gives it.
    public func svg(quietZone: Int = QRCode.standardQuietZone) -> String {
        let margin = max(0, quietZone)
        let side = size + 2 * margin
        var path = ""
        for row in 0..<size {
            var column = 0
            while column < size {
                guard isDark(row: row, column: column) else {
                    column += 1
                    continue
                }
                let start = column
                while column < size, isDark(row: row, column: column) { column += 1 }
                path += "M\(start + margin) \(row + margin)h\(column - start)v1h-\(column - start)z"
            }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(side) \(side)" shape-rendering="crispEdges">\
            <rect width="\(side)" height="\(side)" fill="#fff"/><path fill="#000" d="\(path)"/></svg>
            """
    }

    /// Largest `scale` accepted by ``png(scale:quietZone:)``; a version-40 symbol at this scale is
    /// already 5,000 pixels wide.
    public static let maximumPNGScale = 32

    /// A 1-bit greyscale PNG, `scale` pixels per module (clamped to 1...``maximumPNGScale``) with
    /// a quiet zone of `quietZone` modules (clamped to 0...16).
    public func png(scale: Int = 8, quietZone: Int = QRCode.standardQuietZone) -> [UInt8] {
        let pixelsPerModule = min(max(1, scale), Self.maximumPNGScale)
        let margin = min(max(0, quietZone), 16)
        let modulesPerSide = size + 2 * margin
        let width = modulesPerSide * pixelsPerModule
        let bytesPerRow = (width + 7) / 8
        var scanlines: [UInt8] = []
        scanlines.reserveCapacity((bytesPerRow + 1) * width)
        for moduleRow in 0..<modulesPerSide {
            // Filter type 0, then 8 pixels a byte, most significant bit first; 1 is white.
            var line = [UInt8](repeating: 0, count: bytesPerRow + 1)
            for pixel in 0..<width where !isDark(row: moduleRow - margin, column: pixel / pixelsPerModule - margin) {
                line[1 + pixel / 8] |= 0x80 >> UInt8(pixel % 8)
            }
            for _ in 0..<pixelsPerModule { scanlines += line }
        }
        return PNG.grayscale1Bit(width: width, height: width, scanlines: scanlines)
    }
}
