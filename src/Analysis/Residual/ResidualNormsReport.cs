using System.Globalization;
using System.Text;
using Interp.Analysis.Plot;

namespace Interp.Analysis.Residual;

/// <summary>Residual-norm measurements as an SVG line plot (log y) and CSV.</summary>
public static class ResidualNormsReport
{
    /// <summary>
    /// One plot for one or more models: per model the residual norm at layers 0..n (markers), its fit A·G^layer
    /// (dashed), the mean and largest per-head ‖W_V W_O‖_F of each layer and ‖W_out‖_F of each MLP layer.
    /// </summary>
    public static LinePlot Plot(IReadOnlyList<ResidualNorms> models)
    {
        ArgumentNullException.ThrowIfNull(models);
        var plot = new LinePlot("Residual-stream norm per layer and output-weight norms", "layer", "L2 / Frobenius norm (log scale)").LogY();
        foreach (var m in models)
        {
            string p = models.Count > 1 ? m.ModelName + ": " : "";
            var layers = Enumerable.Range(0, m.ResidNorm.Count).Select(i => (double)i).ToArray();
            plot.Points($"{p}residual norm", layers, m.ResidNorm);
            plot.Line($"{p}fit {m.Fit.A:G3}·{m.Fit.G:G4}^layer (R² {m.Fit.R2:F3})", layers, layers.Select(m.Fit.At).ToArray(), dashed: true);
            var weightLayers = layers.Take(m.NLayers).ToArray();
            plot.Line($"{p}‖W_V W_O‖_F mean over heads", weightLayers, ResidualNorms.LayerMean(m.OvFrobenius));
            plot.Line($"{p}‖W_V W_O‖_F max over heads", weightLayers, ResidualNorms.LayerMax(m.OvFrobenius), dashed: true);
            if (m.WOutFrobenius is { } wOut) plot.Line($"{p}‖W_out‖_F", weightLayers, wOut);
        }
        return plot;
    }

    public static LinePlot Plot(ResidualNorms m) => Plot([m]);

    /// <summary>CSV, one row per (model, layer): residual norm, fit, and the layer's weight norms (empty at layer n).</summary>
    public static string ToCsv(IReadOnlyList<ResidualNorms> models)
    {
        var sb = new StringBuilder("model,layer,resid_norm,fit,ov_frobenius_mean,ov_frobenius_max,ov_spectral_mean,ov_spectral_max,w_out_frobenius,w_out_spectral\n");
        foreach (var m in models)
        {
            double[] fm = ResidualNorms.LayerMean(m.OvFrobenius), fx = ResidualNorms.LayerMax(m.OvFrobenius);
            double[] sm = ResidualNorms.LayerMean(m.OvSpectral), sx = ResidualNorms.LayerMax(m.OvSpectral);
            for (int l = 0; l < m.ResidNorm.Count; l++)
            {
                string W(double[]? v) => v is not null && l < m.NLayers ? v[l].ToString("G6", CultureInfo.InvariantCulture) : "";
                string norm = m.ResidNorm[l].ToString("G6", CultureInfo.InvariantCulture), fit = m.Fit.At(l).ToString("G6", CultureInfo.InvariantCulture);
                sb.AppendJoin(',', Csv(m.ModelName), l.ToString(CultureInfo.InvariantCulture), norm, fit, W(fm), W(fx), W(sm), W(sx),
                    W(m.WOutFrobenius?.ToArray()), W(m.WOutSpectral?.ToArray())).Append('\n');
            }
        }
        return sb.ToString();
    }

    /// <summary>CSV of every head's OV norms: model, layer, head, Frobenius, spectral.</summary>
    public static string HeadsCsv(IReadOnlyList<ResidualNorms> models)
    {
        var sb = new StringBuilder("model,layer,head,ov_frobenius,ov_spectral\n");
        foreach (var m in models)
            for (int l = 0; l < m.NLayers; l++)
                for (int h = 0; h < m.NHeads; h++)
                    sb.Append(CultureInfo.InvariantCulture, $"{Csv(m.ModelName)},{l},{h},{m.OvFrobenius[l, h]:G6},{m.OvSpectral[l, h]:G6}\n");
        return sb.ToString();
    }

    /// <summary>One line per model: the fit and the range of the weight norms.</summary>
    public static string Summary(ResidualNorms m)
    {
        var ov = m.OvFrobenius.Cast<double>().ToArray();
        string line = FormattableString.Invariant(
            $"{m.ModelName}: residual norm {m.ResidNorm[0]:G4} at layer 0 → {m.ResidNorm[^1]:G4} at layer {m.ResidNorm.Count - 1}; fit {m.Fit.A:G4}·{m.Fit.G:G4}^layer, R² {m.Fit.R2:F4}; ‖W_V W_O‖_F per head {ov.Min():G4}..{ov.Max():G4}");
        if (m.WOutFrobenius is { } w) line += FormattableString.Invariant($"; ‖W_out‖_F {w.Min():G4}..{w.Max():G4}");
        return m.ExcludedBos ? line + " (position 0 excluded)" : line;
    }

    /// <summary>
    /// The case-study report section "Residual stream norms": the plot (inline, and as plotFile beside the report), a table of
    /// the fits and one of the per-layer figures. Save it, or add it to a larger report with HtmlReport.Section.
    /// </summary>
    public static HtmlReport Section(IReadOnlyList<ResidualNorms> models, string plotFile)
    {
        ArgumentNullException.ThrowIfNull(models);
        var r = new HtmlReport("Residual stream norms");
        r.Paragraph("Mean L2 norm of the residual stream entering each block (layer l) and leaving the last (layer n), " +
                    "fitted by norm = A·G^layer (least squares on log norm, R² on log norm); the size of what each layer " +
                    "writes: ‖W_V W_O‖ per head (Frobenius and spectral) and ‖W_out‖ per MLP.");
        r.Figure(Plot(models), "Residual norm per layer (markers), exponential fit (dashed) and output-weight norms, log scale.", plotFile);
        var f = CultureInfo.InvariantCulture;
        r.Table(["model", "layers", "norm at 0", "norm at n", "A", "G (growth per layer)", "R²", "‖W_V W_O‖_F max", "‖W_out‖_F max"],
            models.Select(m => (IReadOnlyList<string>)[m.ModelName, m.NLayers.ToString(f), m.ResidNorm[0].ToString("G4", f), m.ResidNorm[^1].ToString("G4", f),
                m.Fit.A.ToString("G4", f), m.Fit.G.ToString("G4", f), m.Fit.R2.ToString("F4", f),
                m.OvFrobenius.Cast<double>().Max().ToString("G4", f), m.WOutFrobenius?.Max().ToString("G4", f) ?? "—"]));
        var perLayer = ToCsv(models).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        r.Table(perLayer[0].Split(','), perLayer.Skip(1).Select(line => (IReadOnlyList<string>)line.Split(',')));
        return r;
    }

    static string Csv(string s) => s.Contains(',') || s.Contains('"') ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
