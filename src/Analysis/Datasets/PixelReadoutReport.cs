using System.Globalization;
using Interp.Analysis.Plot;

namespace Interp.Analysis.Datasets;

/// <summary>
/// A <see cref="PixelReadout"/> in a report: the weight map drawn blue-white-red (red pixels raise the target) with
/// its R², and the weights written as a text file that <c>file:PATH</c> references in rules and features read.
/// </summary>
public static class PixelReadoutReport
{
    /// <returns>the weights file's name in the folder</returns>
    public static string Add(HtmlReport report, string target, PixelReadout fit, string folder, string stem = "readout", int cell = 10)
    {
        string png = $"{stem}.png", weights = $"{stem}_weights.txt";
        Heatmap.Save(Path.Combine(folder, png), fit.Map, new HeatmapOptions(CellSize: cell, Diverging: true));
        ReferenceImage.Save(Path.Combine(folder, weights), fit.Weights, fit.Width);
        report.Heading($"Pixel readout of {target}", 3);
        report.Paragraph($"Ridge regression of {target} on the {fit.Height}x{fit.Width} pixels (penalty {G(fit.Lambda)} per image). " +
            $"R² {G(fit.TrainR2)} on the images it was fitted on, {G(fit.HeldOutR2)} on held-out ones (every fifth). " +
            $"Red pixels raise the target, blue ones lower it; the weights are in {weights} (use them in a rule as dot(img, file:{weights})).");
        report.Image(png, $"Weight map of the readout of {target} (symmetric colour scale; white = 0).");
        return weights;
    }

    static string G(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}
