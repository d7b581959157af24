namespace Interp.Analysis.Plot;

/// <summary>
/// One axis of a heatmap: its label and one tick label per row or column. <see cref="Hover"/> (optional) names each
/// index in the hover text where the tick alone is ambiguous (a token string that occurs twice).
/// </summary>
public sealed record Axis(string Label, IReadOnlyList<string> Ticks, IReadOnlyList<string>? Hover = null)
{
    public int Count => Ticks.Count;

    public string HoverName(int i) => Hover?[i] ?? Ticks[i];

    /// <summary>0, 1, 2, ... under <paramref name="label"/>.</summary>
    public static Axis Numbered(string label, int count) => new(label, Range(count, i => i.ToString()));

    public static Axis Layers(int count) => Numbered("layer", count);

    public static Axis Positions(int count) => Numbered("position", count);

    /// <summary>Heads of one layer: H0, H1, ...</summary>
    public static Axis Heads(int count) => new("head", Range(count, i => $"H{i}"));

    /// <summary>Every head of every layer, layer-major: L0H0, L0H1, ..., L1H0, ...</summary>
    public static Axis LayerHeads(int layers, int heads) => new("head", Range(layers * heads, i => $"L{i / heads}H{i % heads}"));

    /// <summary>Token strings as ticks; the hover text adds the position ("3 'cat'").</summary>
    public static Axis Tokens(string label, IReadOnlyList<string> tokens) =>
        new(label, tokens.ToArray(), Range(tokens.Count, i => $"{i} '{tokens[i]}'"));

    static string[] Range(int count, Func<int, string> name) => Enumerable.Range(0, count).Select(name).ToArray();
}
