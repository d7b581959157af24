using System.Text;

namespace Interp.Analysis.Plot;

/// <summary>
/// Attention patterns of every layer and head on one sequence, for an HTML report: two select boxes choose the layer
/// and the head, the chosen pattern shows as a heatmap with the tokens on both axes (query down, key across) and the
/// weight under the mouse. Every pattern is drawn ahead; the report's inline script only shows the chosen one.
/// </summary>
public sealed class AttentionView
{
    readonly IReadOnlyList<string> tokens;
    readonly double[][][,] patterns;   // [layer][head][query, key]

    /// <param name="patterns">one tensor per layer, [head, query, key] or [batch, head, query, key]</param>
    /// <param name="sequence">the batch row drawn when the patterns have a batch dimension</param>
    public AttentionView(string title, IReadOnlyList<string> tokens, IReadOnlyList<Tensor> patterns, int sequence = 0)
    {
        if (patterns.Count == 0) throw new ArgumentException("AttentionView: no layers to show");
        Title = title;
        this.tokens = tokens;
        this.patterns = patterns.Select(p => Heads(p.Rank == 4 ? p.Select(0, sequence) : p, tokens.Count)).ToArray();
    }

    public string Title { get; }
    public int Layers => patterns.Length;
    public int HeadsPerLayer => patterns[0].Length;

    /// <summary>The layer and head shown first (the others a select box away).</summary>
    public (int Layer, int Head) Selected { get; init; }

    public HeatmapFigure Figure(int layer, int head)
    {
        var p = patterns[layer][head];
        int n = tokens.Count;
        var values = Tensor.FromArray(Enumerable.Range(0, n * n).Select(i => p[i / n, i % n]).ToArray(), [n, n]);
        return new HeatmapFigure($"L{layer}H{head} attention pattern", values)
        {
            Rows = Axis.Tokens("query", tokens), Columns = Axis.Tokens("key", tokens), Scale = ColorScale.Sequential(0, 1),
            ValueLabel = "attention weight", CellSize = Math.Clamp(480 / n, 14, 36),
        };
    }

    public string ToHtml()
    {
        var html = new StringBuilder("<div class=\"attention-view\">\n");
        html.Append($"<div class=\"controls\"><b>{Svg.Esc(Title)}</b> <label>layer <select class=\"layer\">");
        for (int l = 0; l < Layers; l++) html.Append($"<option value=\"{l}\"{(l == Selected.Layer ? " selected" : "")}>{l}</option>");
        html.Append("</select></label> <label>head <select class=\"head\">");
        for (int h = 0; h < HeadsPerLayer; h++) html.Append($"<option value=\"{h}\"{(h == Selected.Head ? " selected" : "")}>{h}</option>");
        html.Append("</select></label></div>\n");
        for (int l = 0; l < Layers; l++)
            for (int h = 0; h < HeadsPerLayer; h++)
                html.Append($"<div class=\"pattern\" data-layer=\"{l}\" data-head=\"{h}\"{((l, h) == Selected ? "" : " hidden")}>{Figure(l, h).ToSvg()}</div>\n");
        html.Append("</div>\n");
        return html.ToString();
    }

    static double[][,] Heads(Tensor pattern, int n)
    {
        if (pattern.Rank != 3 || pattern.Size(1) != n || pattern.Size(2) != n)
            throw new ArgumentException($"AttentionView: a layer's pattern must be [head, {n}, {n}] for {n} tokens, got [{string.Join(", ", pattern.Shape)}]");
        var v = pattern.ToDoubleArray();
        return Enumerable.Range(0, pattern.Size(0)).Select(h =>
        {
            var m = new double[n, n];
            for (int i = 0; i < n * n; i++) m[i / n, i % n] = v[h * n * n + i];
            return m;
        }).ToArray();
    }
}
