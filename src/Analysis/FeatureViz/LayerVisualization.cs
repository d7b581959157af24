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
    /// <summary>Dataset examples shown next to each visualization.</summary>
    public int TopK { get; init; } = 8;
    public RenderOptions Render { get; init; } = new() { Transforms = Transforms.Standard(28) };
}

/// <summary>
/// One layer's feature visualizations: image i maximises channel <see cref="Channels"/>[i]; its value (the channel's
/// mean activation on the plain optimised image), and the best dataset examples with their values.
/// </summary>
public sealed record LayerVisualization(string Layer, int[] Channels, Tensor Images, double[] Values, TopExamples[]? Top, RenderResult Render);

/// <summary>Visualizes every channel of a CNN layer in one batch (one image per channel) and finds its top dataset examples.</summary>
public static class LayerVisualizer
{
    public static LayerVisualization Run(Cnn cnn, string layer, ImageDataset? data = null, LayerVisualizationOptions? options = null, ulong seed = 0)
    {
        options ??= new LayerVisualizationOptions();
        var cfg = cnn.Config;
        int width;
        using (GradMode.NoGrad()) width = CnnActivations.Of(cnn)(Tensor.Zeros([1, cfg.InChannels, cfg.ImageSize, cfg.ImageSize], device: cnn.Conv1.Weight.Device))(layer).Size(1);
        var channels = Enumerable.Range(0, Math.Min(width, options.MaxChannels ?? width)).ToArray();
        int n = channels.Length, s = cfg.ImageSize;
        var gen = new Generator(seed);
        var device = cnn.Conv1.Weight.Device;
        IImageParam param = options.Param switch
        {
            "pixel" => new PixelImage(n, cfg.InChannels, s, s, gen: gen, device: device),
            "fourier" => new FourierImage(n, cfg.InChannels, s, s, gen: gen, device: device),
            _ => throw new ArgumentException($"layer visualization: parameterization must be pixel or fourier, got '{options.Param}'"),
        };
        var objective = Objective.Sum(channels.Select((c, i) => Objective.Channel(layer, c, batch: i)));
        if (options.TotalVariation != 0) objective -= options.TotalVariation * Objective.TotalVariation() / n;
        if (options.L2 != 0) objective -= options.L2 * Objective.L2(constant: 0.5) / n;
        var result = FeatureRenderer.Render(cnn, objective, param, options.Render with { Seed = seed });
        double[] values;
        using (GradMode.NoGrad())
        {
            var acts = CnnActivations.Of(cnn)(result.Images);
            values = channels.Select((c, i) => Objective.Channel(layer, c, batch: i).Evaluate(acts).Item()).ToArray();
        }
        var top = data is null ? null : TopActivating.Find(CnnActivations.Of(cnn), data, layer, options.TopK, device: device).Take(n).ToArray();
        return new LayerVisualization(layer, channels, result.Images, values, top, result);
    }

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
}
