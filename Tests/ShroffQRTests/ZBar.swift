import Foundation

/// Decodes PNG images with `zbarimg` (Debian `zbar-tools`): a QR reader that is not ours.
/// `.ci/run` installs it; without it the decoding tests are skipped, never passed.
enum ZBar {
    static let executable: URL? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":")
            .map { URL(fileURLWithPath: String($0)).appendingPathComponent("zbarimg") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    static let missing = "zbarimg is not installed (apt-get install -y zbar-tools); the QR images were not decoded"

    /// A fresh folder for one test's images, removed by the caller.
    static func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("shroff-qr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// The payload of the one QR code in `png`, as raw bytes (`-Sbinary`: no character-set guessing).
    static func decodeBytes(png: [UInt8], in folder: URL, name: String) throws -> [UInt8] {
        try run(png: png, in: folder, name: name, arguments: ["--raw", "-q", "-Sbinary"])
    }

    /// The payload as zbarimg prints it as text (`--raw -q`), without the newline it appends.
    static func decodeText(png: [UInt8], in folder: URL, name: String) throws -> String {
        var text = String(decoding: try run(png: png, in: folder, name: name, arguments: ["--raw", "-q"]), as: UTF8.self)
        if text.hasSuffix("\n") { text.removeLast() }
        return text
    }

    private static func run(png: [UInt8], in folder: URL, name: String, arguments: [String]) throws -> [UInt8] {
        guard let executable else { throw DecodeError(message: missing) }
        let file = folder.appendingPathComponent("\(name).png")
        try Data(png).write(to: file)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments + [file.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let bytes = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw DecodeError(message: "zbarimg found no QR code in \(file.path) (exit \(process.terminationStatus))")
        }
        return Array(bytes)
    }

    struct DecodeError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}

/// SplitMix64: reproducible "random" payloads, so that a failure can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
