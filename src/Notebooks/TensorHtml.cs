using System.Globalization;
using System.Net;
using System.Text;

namespace Interp.Notebooks;

/// <summary>
/// A tensor as a compact HTML table: a header line with its shape, dtype and device, then its values — one row for a
/// vector, a table for a matrix, one table per leading index for more dims. Like PyTorch's print, a tensor of more than
/// 1000 elements is summarised: each dim longer than 6 shows its first 3 and last 3 indices around a "⋯".
/// </summary>
public static class TensorHtml
{
    const int Threshold = 1000, EdgeItems = 3;

    public static string Of(Tensor t)
    {
        bool summarise = t.Numel > Threshold;
        var shown = summarise ? Edges(t.Detach()) : t.Detach();   // only what is shown leaves the device
        var values = shown.ToDoubleArray();
        int[] shownShape = [.. shown.Shape];
        var format = NumberFormat(values, t.DType);
        var html = new StringBuilder("<div class=\"interp-tensor\">");
        html.Append($"<div class=\"interp-meta\" style=\"font-family:monospace\">{Esc(Header(t))}</div>");
        int rank = t.Rank;
        if (t.Numel == 0) return html.Append("<i>no elements</i></div>").ToString();
        if (rank == 0) return html.Append(Table([[format(values[0])]], null, null)).Append("</div>").ToString();

        int[] shape = [.. t.Shape];
        int rows = rank == 1 ? 1 : shape[rank - 2], cols = shape[rank - 1];
        var leading = Product(shape[..Math.Max(rank - 2, 0)].Select(n => Indices(n, summarise)).ToArray());
        bool elided = false;   // one "⋮" for a run of elided slices
        foreach (var prefix in leading)
        {
            if (prefix.Any(i => i < 0))
            {
                if (!elided) html.Append("<div style=\"font-family:monospace\">⋮</div>");
                elided = true;
                continue;
            }
            elided = false;
            if (rank > 2) html.Append($"<div style=\"font-family:monospace;margin-top:4px\">[{string.Join(", ", prefix)}, :, :]</div>");
            int offset = 0;
            for (int d = 0; d < prefix.Length; d++) offset = offset * shownShape[d] + At(shape[d], prefix[d], summarise);
            int shownRows = rank == 1 ? 1 : shownShape[rank - 2], shownCols = shownShape[rank - 1];
            offset *= shownRows * shownCols;
            var rowIndices = rank == 1 ? [0] : Indices(rows, summarise);
            var colIndices = Indices(cols, summarise);
            var cells = rowIndices.Select(r => colIndices.Select(c => r < 0 || c < 0 ? "⋯"
                : format(values[offset + At(rows, r, summarise) * shownCols + At(cols, c, summarise)])).ToArray()).ToArray();
            html.Append(Table(cells, rank == 1 ? null : rowIndices, colIndices));
        }
        return html.Append("</div>").ToString();
    }

    /// <summary>"Tensor [2, 3] float32 cpu" and, where they apply, "requires_grad" or "grad_fn=...".</summary>
    public static string Header(Tensor t)
    {
        string grad = t.GradFn is not null ? $" grad_fn={t.GradFn}" : t.RequiresGrad ? " requires_grad" : "";
        return $"Tensor [{string.Join(", ", t.Shape)}] {t.DType.Name()} {t.Device}{grad}";
    }

    /// <summary>The tensor cut to its shown edges: each dim longer than 6 keeps its first 3 and last 3 indices.</summary>
    static Tensor Edges(Tensor t)
    {
        for (int d = 0; d < t.Rank; d++)
        {
            int n = t.Size(d);
            if (n > 2 * EdgeItems) t = Tensor.Cat([t.Narrow(d, 0, EdgeItems), t.Narrow(d, n - EdgeItems, EdgeItems)], d);
        }
        return t;
    }

    /// <summary>Where index i of a dim of size n lies in <see cref="Edges"/>'s tensor (shown indices only).</summary>
    static int At(int n, int i, bool summarise) => summarise && n > 2 * EdgeItems && i >= EdgeItems ? i - (n - 2 * EdgeItems) : i;

    /// <summary>The indices shown along a dim of size n: all, or the first and last 3 with -1 for the elided middle.</summary>
    static int[] Indices(int n, bool summarise) =>
        summarise && n > 2 * EdgeItems
            ? [.. Enumerable.Range(0, EdgeItems), -1, .. Enumerable.Range(n - EdgeItems, EdgeItems)]
            : [.. Enumerable.Range(0, n)];

    /// <summary>Every index tuple over the leading dims, in row-major order.</summary>
    static IEnumerable<int[]> Product(int[][] dims) =>
        dims.Aggregate((IEnumerable<int[]>)[[]], (acc, dim) => acc.SelectMany(p => dim.Select(i => (int[])[.. p, i])));

    static string Table(string[][] cells, int[]? rowIndices, int[]? colIndices)
    {
        const string cell = "padding:1px 6px;text-align:right;border:1px solid #ddd";
        const string head = "padding:1px 6px;text-align:right;color:#888;font-weight:normal;border:1px solid #ddd";
        var html = new StringBuilder("<table style=\"border-collapse:collapse;font-family:monospace;font-size:12px\">");
        if (colIndices is not null)
        {
            html.Append("<tr>");
            if (rowIndices is not null) html.Append($"<th style=\"{head}\"></th>");
            foreach (int c in colIndices) html.Append($"<th style=\"{head}\">{(c < 0 ? "⋯" : c.ToString(CultureInfo.InvariantCulture))}</th>");
            html.Append("</tr>");
        }
        for (int r = 0; r < cells.Length; r++)
        {
            html.Append("<tr>");
            if (rowIndices is not null) html.Append($"<th style=\"{head}\">{(rowIndices[r] < 0 ? "⋮" : rowIndices[r].ToString(CultureInfo.InvariantCulture))}</th>");
            foreach (string v in cells[r]) html.Append($"<td style=\"{cell}\">{Esc(v)}</td>");
            html.Append("</tr>");
        }
        return html.Append("</table>").ToString();
    }

    /// <summary>PyTorch's choice: integers as integers, whole floats as "1.", scientific when tiny or huge, else 4 decimals.</summary>
    static Func<double, string> NumberFormat(double[] values, DType dtype)
    {
        bool isInt = dtype == DType.Int32;
        bool allIntegral = values.All(v => double.IsFinite(v) && v == Math.Round(v));
        double maxAbs = values.Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max();
        bool sci = !isInt && !allIntegral && (maxAbs >= 1e8 || (maxAbs > 0 && maxAbs < 1e-4));
        return v => isInt ? ((long)v).ToString(CultureInfo.InvariantCulture)
            : double.IsNaN(v) ? "nan" : double.IsInfinity(v) ? (v > 0 ? "inf" : "-inf")
            : sci ? v.ToString("0.0000e+00", CultureInfo.InvariantCulture)
            : allIntegral ? v.ToString("0", CultureInfo.InvariantCulture) + "."
            : v.ToString("0.0000", CultureInfo.InvariantCulture);
    }

    static string Esc(string s) => WebUtility.HtmlEncode(s);
}
