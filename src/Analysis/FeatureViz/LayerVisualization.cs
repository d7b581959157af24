using Interp.Analysis.Plot;
using Interp.Autograd;
using Interp.Data;
using Interp.Models;

namespace Interp.Analysis.FeatureViz;

/// <summary>Which images to optimise and how: parameterization, regularisers and the render options.</summary>
public sealed record LayerVisualizationOptions
{
    /// <summary>"pixel" or "fourier".</summary>
    public string Param { get; init; } = "fourier";
    /// <summary>Weight of the total-variation penalty (per image, subtracted from the objective).</summary>
    public double TotalVariation { get; init; }
    /// <summary>Weight of the L2 penalty on the image minus 0.5 (subtracted from the objective).</summary>
    public double L2 { get; init; }
    /// <summary>The first channels (features) of the layer to show; null = all.</summary>
    public int? MaxChannels { get; init; }
    /// <summary>The channels (units) to show, in this order; overrides <see cref="MaxChannels"/>.</summary>
    public IReadOnlyList<int>? Units { get; init; }
    /// <summary>
    /// How a unit is scored: "raw" (its mean activation; for a logit, the raw logit) or "margin" (for a logit, the logit
    /// minus the mean of the others — what decides the label; other layers are always raw).
    /// </summary>
    public string Score { get; init; } = "raw";
    /// <summary>Dataset examples shown next to each visualization.</summary>
    public int TopK { get; init; } = 8;
    public RenderOptions Render { get; init; } = new() { Transforms = Transforms.Standard(28) };
}

/// <summary>
/// One layer's feature visualizations: image i maximises channel <see cref="Channels"/>[i]; its value (the channel's
/// mean activation on the plain optimised image), and the best dataset examples with their values.
/// </summary>
/// <see cref="ScoredBy"/> says what was maximised and what the values are (e.g. "raw logit" or "logit margin").
public sealed record LayerVisualization(string Layer, int[] Channels, Tensor Images, double[] Values, TopExamples[]? Top, RenderResult Render, string ScoredBy = "mean activation");

/// <summary>Visualizes every channel of a CNN layer in one batch (one image per channel) and finds its top dataset examples.</summary>
public static class LayerVisualizer
{
    public static LayerVisualization Run(Cnn cnn, string layer, ImageDataset? data = null, LayerVisualizationOptions? options = null, ulong seed = 0)
    {
        options ??= new LayerVisualizationOptions();
        var cfg = cnn.Config;
        int width;
        using (GradMode.NoGrad()) width = CnnActivations.Of(cnn)(Tensor.Zeros([1, cfg.InChannels, cfg.ImageSize, cfg.ImageSize], device: cnn.Conv1.Weight.Device))(layer).Size(1);
        var channels = options.Units?.ToArray() ?? Enumerable.Range(0, Math.Min(width, options.MaxChannels ?? width)).ToArray();
        if (channels.Length == 0) throw new ArgumentException($"layer visualization: no units of {layer} to visualize");
        foreach (int c in channels)
            if ((uint)c >= (uint)width) throw new ArgumentException($"layer visualization: unit {c} is outside {layer}'s {width} units");
        int n = channels.Length, s = cfg.ImageSize;
        var gen = new Generator(seed);
        var device = cnn.Conv1.Weight.Device;
        IImageParam param = options.Param switch
        {
            "pixel" => new PixelImage(n, cfg.InChannels, s, s, gen: gen, device: device),
            "fourier" => new FourierImage(n, cfg.InChannels, s, s, gen: gen, device: device),
            _ => throw new ArgumentException($"layer visualization: parameterization must be pixel or fourier, got '{options.Param}'"),
        };
        bool margin = options.Score == "margin" && IsLogits(layer);
        Objective Score(int c, int i) => margin ? Objective.Margin(layer, c, batch: i) : Objective.Channel(layer, c, batch: i);
        var objective = Objective.Sum(channels.Select((c, i) => Score(c, i)));
        if (options.TotalVariation != 0) objective -= options.TotalVariation * Objective.TotalVariation() / n;
        if (options.L2 != 0) objective -= options.L2 * Objective.L2(constant: 0.5) / n;
        var result = FeatureRenderer.Render(cnn, objective, param, options.Render with { Seed = seed });
        double[] values;
        using (GradMode.NoGrad())
        {
            var acts = CnnActivations.Of(cnn)(result.Images);
            values = channels.Select((c, i) => Score(c, i).Evaluate(acts).Item()).ToArray();
        }
        TopExamples[]? top = null;
        if (data is not null)
        {
            var all = TopActivating.Find(CnnActivations.Of(cnn), data, layer, options.TopK, device: device);
            top = channels.Select(c => all[c]).ToArray();
        }
        return new LayerVisualization(layer, channels, result.Images, values, top, result, margin ? "logit margin (the logit minus the mean of the others)"
            : IsLogits(layer) ? "raw logit" : "mean pre-ReLU activation");
    }

    static bool IsLogits(string layer) => layer is "logits" or "hook_logits";

    /// <summary>
    /// A PNG: one row per channel, the optimised image on the left and, after a gap, its top dataset examples
    /// (all on the fixed range [0, 1], as the model sees them), each pixel drawn <paramref name="scale"/>× wide.
    /// </summary>
    public static void SaveGrid(string path, LayerVisualization v, ImageDataset? data, int scale = 3) => Grid(v, data, scale).SavePng(path);

    /// <summary>The raster of <see cref="SaveGrid"/>.</summary>
    public static RgbImage Grid(LayerVisualization v, ImageDataset? data, int scale = 3)
    {
        var left = ImageGrid.Render(v.Images, columns: 1, scale: scale, range: (0, 1));
        if (v.Top is null || data is null) return left;
        int k = v.Top[0].Rows.Length;
        var rows = v.Top.SelectMany(t => t.Rows).ToArray();
        var right = ImageGrid.Render(TopActivating.Images(data, rows), columns: k, scale: scale, range: (0, 1));
        const int gap = 10;
        var grid = new RgbImage(left.Width + gap + right.Width, Math.Max(left.Height, right.Height), (255, 255, 255));
        grid.Paste(left, 0, 0);
        grid.Paste(right, left.Width + gap, 0);
        return grid;
    }

    /// <summary>
    /// The same rows as <see cref="SaveGrid"/>, wrapped so that no image exceeds <paramref name="maxWidth"/> ×
    /// <paramref name="maxHeight"/> pixels: rows stack into columns side by side, and further units go to further
    /// files (<c>stem_1.png</c>, <c>stem_2.png</c>, ...; just <c>stem.png</c> when one is enough). Returns the files
    /// with the units each shows, in reading order (down each column, then across).
    /// </summary>
    public static List<(string File, int[] Units)> SaveWrappedGrids(string folder, string stem, LayerVisualization v, ImageDataset? data,
        int scale = 3, int maxWidth = 1920, int maxHeight = 1080)
    {
        var rows = Enumerable.Range(0, v.Channels.Length).Select(i => RowImage(v, i, data, scale)).ToList();
        // rows overlap by the grid's padding (2 pixels), so a stack looks like one grid
        const int pad = 2, gap = 16;
        int rowW = rows[0].Width, step = rows[0].Height - pad;
        int perColumn = Math.Max(1, (maxHeight - pad) / step), columns = Math.Max(1, (maxWidth + gap) / (rowW + gap)), perFile = perColumn * columns;
        var files = new List<(string, int[])>();
        int fileCount = (rows.Count + perFile - 1) / perFile;
        for (int f = 0; f < fileCount; f++)
        {
            var chunk = Enumerable.Range(f * perFile, Math.Min(perFile, rows.Count - f * perFile)).ToArray();
            int usedColumns = (chunk.Length + perColumn - 1) / perColumn;
            var page = new RgbImage(usedColumns * (rowW + gap) - gap, Math.Min(chunk.Length, perColumn) * step + pad, (255, 255, 255));
            for (int k = 0; k < chunk.Length; k++) page.Paste(rows[chunk[k]], k / perColumn * (rowW + gap), k % perColumn * step);
            string file = fileCount == 1 ? $"{stem}.png" : $"{stem}_{f + 1}.png";
            page.SavePng(Path.Combine(folder, file));
            files.Add((file, chunk.Select(i => v.Channels[i]).ToArray()));
        }
        return files;
    }

    // one unit's row: its optimised image, a gap, its top dataset examples
    static RgbImage RowImage(LayerVisualization v, int i, ImageDataset? data, int scale)
    {
        var left = ImageGrid.Render(v.Images.Narrow(0, i, 1), columns: 1, scale: scale, range: (0, 1));
        if (v.Top is null || data is null) return left;
        var right = ImageGrid.Render(TopActivating.Images(data, v.Top[i].Rows), columns: v.Top[i].Rows.Length, scale: scale, range: (0, 1));
        const int gap = 10;
        var row = new RgbImage(left.Width + gap + right.Width, Math.Max(left.Height, right.Height), (255, 255, 255));
        row.Paste(left, 0, 0);
        row.Paste(right, left.Width + gap, 0);
        return row;
    }
}
