using System.Globalization;
using Interp.Data;

namespace Interp.Analysis.Datasets;

/// <summary>
/// An image to compare digits with, named in text: <c>digit:N</c> (dataset image N), <c>mean:C</c> (the mean image
/// of dataset class C) or <c>file:PATH</c> (a text file of H·W numbers separated by spaces, commas or newlines,
/// such as the weight map <c>interp readout</c> writes).
/// </summary>
public static class ReferenceImage
{
    public static float[] Resolve(string spec, ImageDataset data)
    {
        int colon = spec.IndexOf(':');
        if (colon < 0) throw new ArgumentException($"reference image '{spec}': expected digit:N, mean:C or file:PATH");
        string kind = spec[..colon], arg = spec[(colon + 1)..];
        return kind switch
        {
            "digit" => ImageFeatures.Pixels(data, Int(spec, arg, data.Count)),
            "mean" => ClassMean(data, Int(spec, arg, int.MaxValue)),
            "file" => FromFile(arg, data.Height * data.Width),
            _ => throw new ArgumentException($"reference image '{spec}': unknown kind '{kind}' (digit:N, mean:C or file:PATH)"),
        };
    }

    public static float[] ClassMean(ImageDataset data, int label)
    {
        int size = data.Height * data.Width, count = 0;
        var mean = new double[size];
        for (int i = 0; i < data.Count; i++)
        {
            if (data.Labels[i] != label) continue;
            count++;
            for (int k = 0; k < size; k++) mean[k] += data.Images[i * size + k];
        }
        if (count == 0) throw new ArgumentException($"reference image mean:{label}: the dataset has no images of class {label}");
        return mean.Select(v => (float)(v / count)).ToArray();
    }

    public static float[] FromFile(string path, int pixels)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"reference image: file not found: '{path}'", path);
        var values = File.ReadAllText(path).Split([' ', ',', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries)
            .Select((t, i) => float.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) && float.IsFinite(v) ? v
                : throw new InvalidDataException($"reference image '{path}': value {i + 1} ('{Printable(t)}') is not a finite number")).ToArray();
        if (values.Length != pixels) throw new InvalidDataException($"reference image '{path}': {values.Length} numbers, expected {pixels}");
        return values;
    }

    // a binary file's "word" can be long and hold control characters: the error line shows a short, printable prefix
    static string Printable(string text) =>
        new string(text.Take(24).Select(c => char.IsControl(c) || char.IsSurrogate(c) || c == '\uFFFD' ? '?' : c).ToArray()) + (text.Length > 24 ? "..." : "");

    public static void Save(string path, double[] pixels, int width) =>
        Interp.IO.AtomicFile.WriteAllText(path, string.Join('\n', pixels.Chunk(width).Select(row =>
            string.Join(' ', row.Select(v => v.ToString("R", CultureInfo.InvariantCulture))))) + "\n");

    static int Int(string spec, string text, int limit) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= 0 && v < limit ? v
            : throw new ArgumentException($"reference image '{spec}': '{text}' is not an index in [0, {limit})");
}
