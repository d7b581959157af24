using Interp.Data;
using Interp.IO;

namespace Interp.Analysis.Cases;

/// <summary>
/// The EIS VII challenge-2 labels (../shared/data/eis7/transformer_labels.safetensors): <see cref="Labels"/>[x, y] is the
/// secret 0/1 label of the pair (x, y), <see cref="ModelLabels"/>[x, y] what the challenge's own transformer predicts.
/// </summary>
public sealed class Eis7Labels
{
    public const int P = 113;
    public const string FileName = "transformer_labels.safetensors";

    public Eis7Labels(int[,] labels, int[,]? modelLabels = null)
    {
        Check("labels", labels);
        if (modelLabels is not null) Check("model_labels", modelLabels);
        (Labels, ModelLabels) = (labels, modelLabels);
    }

    public int[,] Labels { get; }
    public int[,]? ModelLabels { get; }
    public int Size => Labels.GetLength(0);

    public int this[int x, int y] => Labels[x, y];

    /// <summary>../shared/data/eis7/transformer_labels.safetensors, or null when the shared data folder is not found.</summary>
    public static string? DefaultPath => DataPaths.SharedData() is string d ? Path.Combine(d, "eis7", FileName) : null;

    /// <summary>Reads the U8 [113, 113] tensors <c>labels</c> and (when present) <c>model_labels</c>.</summary>
    public static Eis7Labels Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"eis7 labels: file not found: '{path}' (see ../shared/data/README.md)", path);
        using var file = SafeTensorsFile.Open(path);
        if (!file.Names.Contains("labels"))
            throw new InvalidDataException($"eis7 labels: '{path}' has no tensor 'labels' (it has {string.Join(", ", file.Names)})");
        return new Eis7Labels(Read(file, "labels", path), file.Names.Contains("model_labels") ? Read(file, "model_labels", path) : null);
    }

    /// <summary>The fraction of pairs labelled 1.</summary>
    public double FractionOnes => Labels.Cast<int>().Average();

    /// <summary>Fraction of pairs (among <paramref name="pairs"/>, indices x·p + y; all when null) where the two grids agree.</summary>
    public static double Agreement(int[,] a, int[,] b, IEnumerable<int>? pairs = null)
    {
        int p = a.GetLength(0);
        var idx = (pairs ?? Enumerable.Range(0, p * p)).ToArray();
        return idx.Count(i => a[i / p, i % p] == b[i / p, i % p]) / (double)idx.Length;
    }

    static int[,] Read(SafeTensorsFile file, string name, string path)
    {
        var info = file[name];
        if (info.Shape.Length != 2 || info.Shape[0] != info.Shape[1])
            throw new InvalidDataException($"eis7 labels: '{name}' in '{path}' must be square [p, p], got [{string.Join(", ", info.Shape)}]");
        int p = (int)info.Shape[0];
        var flat = file.ReadInt32(name);
        var grid = new int[p, p];
        for (int i = 0; i < flat.Length; i++) grid[i / p, i % p] = flat[i];
        return grid;
    }

    static void Check(string name, int[,] grid)
    {
        if (grid.GetLength(0) != grid.GetLength(1) || grid.GetLength(0) < 2)
            throw new ArgumentException($"eis7 labels: '{name}' must be a square grid of at least 2x2, got {grid.GetLength(0)}x{grid.GetLength(1)}");
        foreach (var v in grid)
            if (v is not (0 or 1)) throw new ArgumentException($"eis7 labels: '{name}' must hold only 0 and 1, found {v}");
    }
}
