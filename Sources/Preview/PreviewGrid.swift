/// The preview page of a many-source run: one tile per stream in a grid, each showing its newest annotated frame
/// (pulled from `/stream/NAME/frame.jpg?after=N`, as the single page pulls its frames) under its name, frames per
/// second, drops, latency and reconnects (from `/stats.json`'s `streams`, twice a second); a tile links to the
/// stream's own page `/stream/NAME`. No external resources, no plugins.
enum PreviewGrid {
    static let html = """
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <title>mrcnn live preview: streams</title>
    <style>
      body { margin: 0; background: #111; color: #eee; font: 14px/1.4 system-ui, sans-serif; }
      header { padding: 6px 12px; background: #222; display: flex; gap: 18px; flex-wrap: wrap; }
      header b { color: #7cf; }
      #grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 6px; padding: 6px; }
      .tile { background: #000; position: relative; min-height: 120px; }
      .tile img { display: block; width: 100%; }
      .tile .cap { position: absolute; left: 0; right: 0; bottom: 0; padding: 3px 8px; background: rgba(0,0,0,.6);
                   font-size: 12px; display: flex; gap: 12px; flex-wrap: wrap; }
      .tile .cap b { color: #7cf; }
      .tile a { color: inherit; text-decoration: none; }
      .waiting { padding: 40px 8px; text-align: center; color: #888; }
    </style>
    </head>
    <body>
    <header>
      <span>mrcnn <b id="count">…</b> streams</span>
      <span>fps in all <b id="fps">–</b></span>
      <span>frames <b id="frames">0</b></span>
      <span>dropped <b id="dropped">0</b></span>
    </header>
    <div id="grid"></div>
    <script>
    const tiles = {};
    function tile(name) {
      if (tiles[name]) return tiles[name];
      const div = document.createElement('div');
      div.className = 'tile';
      div.dataset.stream = name;
      const link = document.createElement('a');
      link.href = '/stream/' + encodeURIComponent(name);
      const wait = document.createElement('div');
      wait.className = 'waiting';
      wait.textContent = name + ': waiting for the source…';
      const img = document.createElement('img');
      img.alt = name;
      const cap = document.createElement('div');
      cap.className = 'cap';
      link.append(wait, img, cap);
      div.append(link);
      document.getElementById('grid').append(div);
      tiles[name] = {img, cap, wait};
      frames(name, tiles[name]);
      return tiles[name];
    }
    function field(label, value) {
      const span = document.createElement('span');
      const b = document.createElement('b');
      b.textContent = value;
      span.append(label + ' ', b);
      return span;
    }
    async function poll() {
      try {
        const s = await (await fetch('/stats.json', {cache: 'no-store'})).json();
        const streams = s.streams || [];
        document.getElementById('count').textContent = streams.length;
        document.getElementById('fps').textContent = s.fps.toFixed(2);
        document.getElementById('frames').textContent = s.frames;
        document.getElementById('dropped').textContent = s.dropped;
        for (const t of streams) {
          const view = tile(t.name);
          view.cap.replaceChildren(field('', t.name), field('fps', t.fps.toFixed(2)), field('dropped', t.dropped),
            field('latency', t.latency_ms.toFixed(0) + ' ms'), field('reconnects', t.reconnects));
        }
      } catch (e) { /* the run ended or is restarting */ }
    }
    poll();
    setInterval(poll, 500);
    async function frames(name, view) {
      let seq = -1, shown = null;
      for (;;) {
        try {
          const r = await fetch('/stream/' + encodeURIComponent(name) + '/frame.jpg?after=' + seq, {cache: 'no-store'});
          if (r.status !== 200) { await new Promise(ok => setTimeout(ok, 300)); continue; }
          seq = parseInt((r.headers.get('ETag') || '0').replace(/"/g, ''), 10);
          const next = URL.createObjectURL(await r.blob());
          view.img.src = next;
          view.wait.style.display = 'none';
          if (shown) URL.revokeObjectURL(shown);
          shown = next;
        } catch (e) { await new Promise(ok => setTimeout(ok, 1000)); }
      }
    }
    </script>
    </body>
    </html>
    """
}
