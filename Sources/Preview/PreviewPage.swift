import Foundation

/// What the preview page shows next to the video, served as `/stats.json` (snake_case keys).
public struct PreviewStats: Codable, Sendable, Equatable {
    /// One part of the pipeline (decode, a stage, encode) and its mean milliseconds per frame.
    public struct Part: Codable, Sendable, Equatable {
        public let name: String
        public let ms: Double
        public init(name: String, ms: Double) {
            self.name = name
            self.ms = ms
        }
    }

    /// One stream of a many-source run, as its tile in the grid shows it.
    public struct Tile: Codable, Sendable, Equatable {
        public var name: String
        public var frames: Int
        public var dropped: Int
        public var fps: Double
        public var latencyMs: Double
        public var reconnects: Int
        public init(name: String, frames: Int, dropped: Int, fps: Double, latencyMs: Double, reconnects: Int) {
            (self.name, self.frames, self.dropped, self.fps, self.latencyMs, self.reconnects) = (name, frames, dropped, fps, latencyMs, reconnects)
        }
        enum CodingKeys: String, CodingKey { case name, frames, dropped, fps, reconnects, latencyMs = "latency_ms" }
    }

    public var input: String
    public var policy: String
    public var frames: Int
    public var dropped: Int
    public var fps: Double
    public var latencyMs: Double
    public var reconnects: Int
    public var parts: [Part]
    /// MJPEG clients streaming now, and those refused because the limit was reached.
    public var streamClients = 0
    public var refusedClients = 0
    /// Encoded packets the live outputs (RTMP, SRT, HLS) dropped, and results messages the broker publisher dropped.
    public var outputDropped = 0
    public var publishDropped = 0
    /// Each stream of a many-source run (empty for one source).
    public var streams: [Tile] = []

    public init(input: String = "", policy: String = "", frames: Int = 0, dropped: Int = 0, fps: Double = 0,
                latencyMs: Double = 0, reconnects: Int = 0, parts: [Part] = []) {
        self.input = input
        self.policy = policy
        self.frames = frames
        self.dropped = dropped
        self.fps = fps
        self.latencyMs = latencyMs
        self.reconnects = reconnects
        self.parts = parts
    }

    enum CodingKeys: String, CodingKey {
        case input, policy, frames, dropped, fps, reconnects, parts, streams
        case latencyMs = "latency_ms"
        case streamClients = "stream_clients", refusedClients = "refused_clients"
        case outputDropped = "output_dropped", publishDropped = "publish_dropped"
    }

    /// The JSON document, keys sorted.
    public func json() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)) ?? Data("{}".utf8)
    }
}

/// The preview page: an `<img>` showing the newest annotated frame and a stats panel polling `/stats.json`
/// twice a second. No external resources, no plugins.
///
/// The page pulls frames with `/frame.jpg?after=N` (answered as soon as a frame newer than N exists) rather than
/// embedding `/stream.mjpg`: an endless multipart response keeps a page "loading" forever, which breaks
/// headless screenshots and load indicators, while finite requests give the same newest-frame behaviour
/// (a slow browser simply asks less often). `/stream.mjpg` stays for players and for embedding elsewhere.
///
/// `html(stream:)` with a stream's name is that stream's page of a many-source run (`/stream/NAME`): its frames from
/// `/stream/NAME/frame.jpg`, its tile's figures from `/stats.json`.
enum PreviewPage {
    /// The page; `stream`: one stream of a many-source run (a name of letters, digits, '-', '_', '.').
    static func html(stream: String? = nil) -> String {
        let frame = stream.map { "/stream/\($0)/frame.jpg" } ?? "/frame.jpg"
        return template.replacingOccurrences(of: "__FRAME__", with: frame)
            .replacingOccurrences(of: "__STREAM__", with: stream.map { "'\($0)'" } ?? "null")
    }

    private static let template = """
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <title>mrcnn live preview</title>
    <style>
      body { margin: 0; background: #111; color: #eee; font: 14px/1.4 system-ui, sans-serif; }
      header { padding: 6px 12px; background: #222; display: flex; gap: 18px; flex-wrap: wrap; }
      header b { color: #7cf; }
      #video { display: block; max-width: 100%; max-height: calc(100vh - 60px); margin: 0 auto; background: #000; }
      #parts { padding: 4px 12px; color: #aaa; font-size: 12px; }
    </style>
    </head>
    <body>
    <header>
      <span>mrcnn <b id="input">…</b></span>
      <span>fps <b id="fps">–</b></span>
      <span>frames <b id="frames">0</b></span>
      <span>dropped <b id="dropped">0</b></span>
      <span>latency <b id="latency">–</b> ms</span>
      <span>reconnects <b id="reconnects">0</b></span>
      <span>mode <b id="policy">–</b></span>
    </header>
    <div id="status" style="padding: 24px; text-align: center; color: #aaa">waiting for the source…</div>
    <img id="video" alt="">
    <div id="parts"></div>
    <script>
    async function poll() {
      try {
        const all = await (await fetch('/stats.json', {cache: 'no-store'})).json(), one = __STREAM__;
        const s = one ? Object.assign({}, all, {input: one}, (all.streams || []).find(t => t.name === one) || {}) : all;
        document.getElementById('input').textContent = s.input;
        document.getElementById('fps').textContent = s.fps.toFixed(2);
        document.getElementById('frames').textContent = s.frames;
        document.getElementById('dropped').textContent = s.dropped;
        document.getElementById('latency').textContent = s.latency_ms.toFixed(0);
        document.getElementById('reconnects').textContent = s.reconnects;
        document.getElementById('policy').textContent = s.policy;
        document.getElementById('parts').textContent =
          s.parts.map(p => p.name + ' ' + p.ms.toFixed(1) + ' ms').join('  ·  ');
      } catch (e) { /* the run ended or is restarting */ }
    }
    poll();
    setInterval(poll, 500);
    async function frames() {
      const img = document.getElementById('video');
      let seq = -1, shown = null;
      for (;;) {
        try {
          const r = await fetch('__FRAME__?after=' + seq, {cache: 'no-store'});
          if (r.status !== 200) { await new Promise(ok => setTimeout(ok, 300)); continue; }
          seq = parseInt((r.headers.get('ETag') || '0').replace(/"/g, ''), 10);
          const next = URL.createObjectURL(await r.blob());
          img.src = next;
          document.getElementById('status').style.display = 'none';
          if (shown) URL.revokeObjectURL(shown);
          shown = next;
        } catch (e) { await new Promise(ok => setTimeout(ok, 1000)); }
      }
    }
    frames();
    </script>
    </body>
    </html>
    """
}
