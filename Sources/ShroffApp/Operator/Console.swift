import Foundation

/// Unbuffered standard output, so what the operator must see appears at once even when piped.
public enum Console {
    public static func write(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}
