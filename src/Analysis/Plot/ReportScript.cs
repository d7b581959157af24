namespace Interp.Analysis.Plot;

/// <summary>
/// The inline style and script every <see cref="HtmlReport"/> carries (no network, works from file://): a tooltip that
/// follows the mouse with the exact value of the heatmap cell or token under it, and the layer/head select boxes of
/// attention views. The tooltip is the element #tip, so a test can read what a hover shows.
/// </summary>
static class ReportScript
{
    public const string Style = """
        #tip { position: fixed; display: none; pointer-events: none; background: #222; color: #fff; font: 12px sans-serif;
               padding: 3px 6px; border-radius: 3px; z-index: 10; white-space: nowrap; }
        svg.figure { max-width: 100%; height: auto; }
        .attention-view, .token-view { margin: 0.5em 0; }
        .attention-view .controls { margin-bottom: 0.3em; }
        .attention-view select { font-size: 1em; }
        .token-view .tv-title { font-weight: bold; margin-bottom: 0.3em; }
        .token-view .tv-body { display: flex; gap: 1em; align-items: flex-start; }
        .token-view .tv-line { font-family: monospace; line-height: 1.9; margin-bottom: 0.3em; }
        .token-view .tok { padding: 2px 3px; margin-right: 2px; border-radius: 2px; white-space: pre; }
        """;

    public const string Script = """
        (() => {
          // idempotent: a notebook runs it once per output; one tooltip, and each view wired once
          if (!document.getElementById('tip')) {
            const tip = document.createElement('div');
            tip.id = 'tip';
            document.body.appendChild(tip);
            const parsed = new WeakMap();
            // the text of what is under the mouse: a token's data-tip, a cell's or a point's <title>, or a raster heatmap's data-cells
            function textAt(el, e) {
              const token = el.closest('[data-tip]');
              if (token) return token.getAttribute('data-tip');
              const shape = el.closest('rect, circle');
              const title = shape && shape.querySelector(':scope > title');
              if (title) return title.textContent;
              const image = el.closest('image[data-cells]');
              if (!image) return null;
              if (!parsed.has(image)) parsed.set(image, JSON.parse(image.getAttribute('data-cells')));
              const cells = parsed.get(image), box = image.getBoundingClientRect();
              const row = Math.floor((e.clientY - box.top) / box.height * cells.length);
              const col = Math.floor((e.clientX - box.left) / box.width * cells[0].length);
              return cells[row] ? cells[row][col] : null;
            }
            document.addEventListener('mousemove', e => {
              const text = e.target instanceof Element ? textAt(e.target, e) : null;
              if (!text) { tip.style.display = 'none'; return; }
              tip.textContent = text;
              tip.style.display = 'block';
              tip.style.left = (e.clientX + 14) + 'px';
              tip.style.top = (e.clientY + 14) + 'px';
            });
          }
          document.querySelectorAll('.attention-view:not([data-wired])').forEach(view => {
            view.dataset.wired = '1';
            const layer = view.querySelector('select.layer'), head = view.querySelector('select.head');
            const show = () => view.querySelectorAll('.pattern').forEach(p =>
              p.hidden = !(p.dataset.layer === layer.value && p.dataset.head === head.value));
            layer.addEventListener('change', show);
            head.addEventListener('change', show);
            show();
          });
        })();
        """;
}
