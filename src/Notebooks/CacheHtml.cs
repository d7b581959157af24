using System.Net;
using System.Text;
using Interp.Transformers;

namespace Interp.Notebooks;

/// <summary>An activation cache as a table: each hook name in the order it ran, with its shape, dtype and bytes.</summary>
public static class CacheHtml
{
    public static string Of(ActivationCache cache)
    {
        const string cell = "padding:1px 8px;border:1px solid #ddd";
        var html = new StringBuilder("<div class=\"interp-cache\">");
        html.Append($"<div style=\"font-family:monospace\">ActivationCache: {cache.Count} activations, {Bytes(cache.Bytes)}</div>");
        html.Append("<table style=\"border-collapse:collapse;font-family:monospace;font-size:12px\">");
        html.Append($"<tr><th style=\"{cell}\">hook</th><th style=\"{cell}\">shape</th><th style=\"{cell}\">dtype</th><th style=\"{cell}\">bytes</th></tr>");
        foreach (string name in cache.Names)
        {
            var t = cache[name];
            html.Append($"<tr><td style=\"{cell};text-align:left\">{WebUtility.HtmlEncode(name)}</td><td style=\"{cell}\">[{string.Join(", ", t.Shape)}]</td>");
            html.Append($"<td style=\"{cell}\">{t.DType.Name()}</td><td style=\"{cell};text-align:right\">{Bytes((long)t.Numel * t.DType.ElementSize())}</td></tr>");
        }
        return html.Append("</table></div>").ToString();
    }

    /// <summary>"512 B", "12.3 kB", "4.5 MB": decimal units, as the cache's Bytes is reported elsewhere (MB = 1e6).</summary>
    public static string Bytes(long bytes) => bytes switch
    {
        < 1000 => $"{bytes} B",
        < 1_000_000 => $"{bytes / 1e3:F1} kB",
        < 1_000_000_000 => $"{bytes / 1e6:F1} MB",
        _ => $"{bytes / 1e9:F2} GB",
    };
}
