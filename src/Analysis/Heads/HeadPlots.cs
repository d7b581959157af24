using Interp.Analysis.Plot;

namespace Interp.Analysis.Heads;

/// <summary>Head scores as [layer, head] heatmap figures, attention patterns as an attention view (and, older, both as PNG rasters).</summary>
public static class HeadPlots
{
    static readonly Dictionary<HeadScoreKind, string> ScoreTitles = new()
    {
        [HeadScoreKind.PreviousToken] = "previous-token score",
        [HeadScoreKind.DuplicateToken] = "duplicate-token score",
        [HeadScoreKind.Induction] = "induction score",
    };

    /// <summary>One score of every head: rows layers, columns heads, viridis on [0, 1], each cell named L{layer}H{head}.</summary>
    public static HeatmapFigure ScoreFigure(HeadScan scan, HeadScoreKind kind) => new(ScoreTitles[kind], scan.Scores(kind))
    {
        Rows = Axis.Layers(scan.NLayers), Columns = Axis.Heads(scan.NHeads), Scale = ColorScale.Sequential(0, 1),
        ValueLabel = "score", CellName = (l, h) => $"L{l}H{h}",
    };

    /// <summary>The three scores side by side in one figure.</summary>
    public static FigureRow ScoreFigures(HeadScan scan, string title = "head scores on repeated random tokens") =>
        new(title, Enum.GetValues<HeadScoreKind>().Select(k => (IFigure)ScoreFigure(scan, k)).ToList());

    /// <summary>Every head's pattern on one sequence of the scan, the tokens (ids, or <paramref name="tokenText"/>'s text) on both axes.</summary>
    public static AttentionView AttentionView(HeadScan scan, int sequence = 0, (int Layer, int Head) selected = default, Func<int, string>? tokenText = null)
    {
        tokenText ??= t => t.ToString();
        var tokens = scan.Tokens.Select(0, sequence).ToIntArray().Select(tokenText).ToArray();
        return new AttentionView("attention pattern", tokens, scan.Patterns, sequence) { Selected = selected };
    }

    /// <summary>
    /// One sequence's patterns as a grid, a row per layer and a column per head, each [query, key] cell viridis on
    /// [0, 1] (query 0 at the top).
    /// </summary>
    public static RgbImage Patterns(IReadOnlyList<Tensor> patterns, int sequence = 0, int cellSize = 0, int pad = 4)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        if (patterns.Count == 0) throw new ArgumentException("head plots: no patterns to draw");
        int batch = patterns[0].Size(0), heads = patterns[0].Size(1), pos = patterns[0].Size(2);
        if (sequence < 0 || sequence >= batch) throw new ArgumentOutOfRangeException(nameof(sequence), $"head plots: sequence {sequence} is outside the batch of {batch}");
        int cell = cellSize > 0 ? cellSize : Math.Max(1, 160 / pos);
        int side = pos * cell;
        var image = new RgbImage(heads * (side + pad) + pad, patterns.Count * (side + pad) + pad, (255, 255, 255));
        var options = new HeatmapOptions(cell, Diverging: false, Min: 0, Max: 1);
        for (int l = 0; l < patterns.Count; l++)
            for (int h = 0; h < heads; h++)
                image.Paste(Heatmap.Render(patterns[l].Select(0, sequence).Select(0, h), options), pad + h * (side + pad), pad + l * (side + pad));
        return image;
    }

    /// <summary>The three score tables [layer, head] side by side (previous-token, duplicate-token, induction), viridis on [0, 1].</summary>
    public static RgbImage Scores(HeadScan scan, int cellSize = 0, int pad = 8)
    {
        ArgumentNullException.ThrowIfNull(scan);
        int cell = cellSize > 0 ? cellSize : Math.Max(4, 240 / Math.Max(scan.NLayers, scan.NHeads));
        var options = new HeatmapOptions(cell, Diverging: false, Min: 0, Max: 1);
        var panels = Enum.GetValues<HeadScoreKind>().Select(k => Heatmap.Render(scan.Scores(k), options)).ToList();
        var image = new RgbImage(panels.Sum(p => p.Width + pad) + pad, panels[0].Height + 2 * pad, (255, 255, 255));
        int x = pad;
        foreach (var p in panels)
        {
            image.Paste(p, x, pad);
            x += p.Width + pad;
        }
        return image;
    }
}
