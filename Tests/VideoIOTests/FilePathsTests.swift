import Testing
import VideoIO

/// One-character output names ("-o o") used to crash inside Foundation's deletingLastPathComponent.
@Suite struct FilePathsTests {
    @Test(arguments: [("o", ""), ("out.mp4", ""), ("/o", "/"), ("d/o", "d"), ("a/b/c.mp4", "a/b"), ("./o", "."),
                      ("d//o", "d"), ("d/", ""), ("/", "/"), ("", "")])
    func directoryOfAPath(path: String, folder: String) {
        #expect(FilePaths.directory(of: path) == folder, "\(path)")
    }

    @Test func aSinkWritesToAOneCharacterName() throws {
        let media = try Media()
        defer { media.remove() }
        let sink = try VideoSink(path: media.path("o"), width: 32, height: 16, timeBaseNum: 1, timeBaseDen: 25,
                                 frameRate: 25, audioFrom: nil, preset: "ultrafast")
        try sink.write(rgb: [UInt8](repeating: 90, count: 32 * 16 * 3), pts: 0)
        try sink.finish()
        #expect(try Media.decodeAll(media.path("o")).frames.count == 1)
    }
}
