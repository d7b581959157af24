using Interp.IO;
using System.Net;
using System.Text;

namespace Interp.Analysis.Plot;

/// <summary>
/// A self-contained HTML report: one index.html with inline style and script, its figures drawn inline as SVG (each
/// cell's exact value on hover), attention and token views, and any PNG/SVG files it shows lying beside it. No
/// network, no external fonts or styles, so it opens from disk (file://) in any browser.
/// </summary>
public sealed class HtmlReport(string title)
{
    readonly StringBuilder body = new();
    readonly List<(string File, IFigure Figure)> figureFiles = [];

    public string Title => title;

    public HtmlReport Heading(string text, int level = 2)
    {
        level = Math.Clamp(level, 1, 6);
        body.Append($"<h{level}>{Esc(text)}</h{level}>\n");
        return this;
    }

    public HtmlReport Paragraph(string text) { body.Append($"<p>{Esc(text)}</p>\n"); return this; }

    /// <param name="fileName">relative to the report folder (as written beside index.html)</param>
    public HtmlReport Image(string fileName, string caption)
    {
        if (Path.IsPathRooted(fileName)) throw new ArgumentException($"HtmlReport: image '{fileName}' must be a path relative to the report folder");
        string src = Esc(fileName.Replace('\\', '/'));
        body.Append($"<figure><img src=\"{src}\" alt=\"{Esc(caption)}\"><figcaption>{Esc(caption)}</figcaption></figure>\n");
        return this;
    }

    /// <summary>A figure drawn inline; with <paramref name="file"/>, also written as a standalone SVG beside index.html on <see cref="Save"/>.</summary>
    public HtmlReport Figure(IFigure figure, string caption, string? file = null)
    {
        if (file is not null)
        {
            if (Path.IsPathRooted(file)) throw new ArgumentException($"HtmlReport: figure file '{file}' must be a path relative to the report folder");
            figureFiles.Add((file, figure));
        }
        body.Append($"<figure class=\"fig\">{figure.ToSvg()}<figcaption>{Esc(caption)}</figcaption></figure>\n");
        return this;
    }

    /// <summary>An attention view: layer and head chosen with select boxes, tokens on both axes, the weight on hover.</summary>
    public HtmlReport Attention(AttentionView view, string caption)
    {
        body.Append($"<figure class=\"fig\">{view.ToHtml()}<figcaption>{Esc(caption)}</figcaption></figure>\n");
        return this;
    }

    /// <summary>Text coloured by a per-token value, the value on hover.</summary>
    public HtmlReport Tokens(TokenView view, string caption)
    {
        body.Append($"<figure class=\"fig\">{view.ToHtml()}<figcaption>{Esc(caption)}</figcaption></figure>\n");
        return this;
    }

    public HtmlReport Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        body.Append("<table>\n<tr>");
        foreach (string h in header) body.Append($"<th>{Esc(h)}</th>");
        body.Append("</tr>\n");
        foreach (var row in rows)
        {
            if (row.Count != header.Count)
                throw new ArgumentException($"HtmlReport: a table row has {row.Count} cells but the header has {header.Count}");
            body.Append("<tr>");
            foreach (string cell in row) body.Append($"<td>{Esc(cell)}</td>");
            body.Append("</tr>\n");
        }
        body.Append("</table>\n");
        return this;
    }

    public HtmlReport Code(string text) { body.Append($"<pre>{Esc(text)}</pre>\n"); return this; }

    /// <summary>Appends another report's body as a section of this one (its title becomes a heading).</summary>
    public HtmlReport Section(HtmlReport other)
    {
        Heading(other.Title, 2);
        body.Append(other.body);
        figureFiles.AddRange(other.figureFiles);
        return this;
    }

    public string Render() => $"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>{Esc(title)}</title>
        <style>
        body {"{"} font-family: sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; {"}"}
        img {"{"} max-width: 100%; image-rendering: pixelated; border: 1px solid #ddd; {"}"}
        figure {"{"} display: inline-block; margin: 0.5em; vertical-align: top; {"}"}
        figcaption {"{"} font-size: 0.9em; color: #555; max-width: 640px; {"}"}
        table {"{"} border-collapse: collapse; margin: 0.5em 0; {"}"}
        td, th {"{"} border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: right; {"}"}
        pre {"{"} background: #f6f6f6; padding: 0.6em; overflow-x: auto; {"}"}
        {ReportScript.Style}
        </style></head>
        <body>
        <h1>{Esc(title)}</h1>
        {body}<script>
        {ReportScript.Script}
        </script>
        </body></html>

        """;

    /// <summary>
    /// Writes folder/index.html and the standalone SVG of each figure added with a file name, atomically (the images
    /// added with <see cref="Image"/> are expected to be written into the folder already).
    /// </summary>
    public void Save(string folder)
    {
        foreach (var (file, figure) in figureFiles)
        {
            string path = Path.Combine(folder, file);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            figure.Save(path);
        }
        AtomicFile.WriteAllText(Path.Combine(folder, "index.html"), Render());
    }

    static string Esc(string s) => WebUtility.HtmlEncode(s);
}
