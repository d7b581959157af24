using System.Diagnostics;
using System.Text.RegularExpressions;
using Interp.Analysis.Plot;

namespace Interp.Tests;

/// <summary>
/// Renders an HTML report in headless Chromium (Debian package `chromium`, installed by scripts/setup.sh --dev and by
/// CI): counts the images that loaded and takes a screenshot; through <see cref="DevToolsPage"/>, checks that every
/// figure shows and reads what a hover shows. <see cref="Path"/> is null where Chromium is absent.
/// </summary>
public static class HeadlessChromium
{
    /// <summary>What a report's figures look like in the browser: the blank ones, the broken images, the errors.</summary>
    public sealed record FigureCheck(int Figures, IReadOnlyList<string> Blank, IReadOnlyList<string> BrokenImages, IReadOnlyList<string> Errors);

    /// <summary>Screenshots each &lt;figure&gt; of the page on its own and lists those with (almost) nothing drawn.</summary>
    public static FigureCheck CheckFigures(DevToolsPage page)
    {
        int count = page.Evaluate("document.querySelectorAll('figure').length")!.GetValue<int>();
        var blank = new List<string>();
        for (int i = 0; i < count; i++)
        {
            var box = page.Evaluate($$"""
                (() => { const f = document.querySelectorAll('figure')[{{i}}]; const r = f.getBoundingClientRect();
                         return [r.left + scrollX, r.top + scrollY, r.width, r.height, f.querySelector('figcaption')?.textContent ?? ''] })()
                """)!.AsArray();
            double w = box[2]!.GetValue<double>(), h = box[3]!.GetValue<double>();
            string caption = box[4]!.GetValue<string>();
            if (w < 20 || h < 20 || !HasContent(page.Screenshot((box[0]!.GetValue<double>(), box[1]!.GetValue<double>(), w, h)), 0.005))
                blank.Add($"figure {i} ({w:F0}x{h:F0}): {caption}");
        }
        var broken = page.Evaluate("[...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute('src'))")!
            .AsArray().Select(n => n!.GetValue<string>()).ToList();
        return new FigureCheck(count, blank, broken, page.Errors);
    }

    /// <summary>
    /// Scrolls the element a JavaScript expression names into view, moves the mouse onto it (at a fraction of its box,
    /// the centre by default) and returns the report's tooltip text, or null where none shows.
    /// </summary>
    public static string? Hover(DevToolsPage page, string elementExpression, double fx = 0.5, double fy = 0.5)
    {
        var at = page.Evaluate($$"""
            (() => { const e = {{elementExpression}}; if (!e) return null; e.scrollIntoView({block: 'center', inline: 'center'});
                     const r = e.getBoundingClientRect(); return [r.left + r.width * {{fx}}, r.top + r.height * {{fy}}] })()
            """);
        if (at is null) throw new InvalidOperationException($"no element for {elementExpression}");
        page.MoveMouse(at[0]!.GetValue<double>(), at[1]!.GetValue<double>());
        var tip = page.Evaluate("(() => { const t = document.getElementById('tip'); return t && t.style.display === 'block' ? t.textContent : null })()");
        return tip?.GetValue<string>();
    }

    public static readonly string? Path = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }.FirstOrDefault(File.Exists);

    public static string SkipReason => "headless Chromium is not installed (apt-get install chromium, or bash scripts/setup.sh --dev)";

    /// <summary>How many &lt;img&gt; elements the page has and how many of them loaded (complete, with a natural width).</summary>
    public static (int Images, int Loaded) CountLoadedImages(string reportFolder)
    {
        // a harness page beside the report loads it in a same-origin iframe and writes the counts into its title
        string harness = System.IO.Path.Combine(reportFolder, "_harness.html");
        File.WriteAllText(harness, """
            <!DOCTYPE html><html><head><title>pending</title></head><body>
            <iframe id="f" src="index.html" width="1200" height="800"></iframe>
            <script>
            document.getElementById('f').onload = () => {
              const imgs = [...document.getElementById('f').contentDocument.images];
              const ok = imgs.filter(i => i.complete && i.naturalWidth > 0).length;
              document.title = 'images ' + imgs.length + ' loaded ' + ok;
            };
            </script></body></html>
            """);
        try
        {
            string dom = RunChromium("--allow-file-access-from-files", "--virtual-time-budget=10000", "--dump-dom", new Uri(harness).AbsoluteUri);
            var m = Regex.Match(dom, @"<title>images (\d+) loaded (\d+)</title>");
            if (!m.Success) throw new InvalidOperationException($"Chromium did not report the images of {reportFolder}: {dom[..Math.Min(dom.Length, 300)]}");
            return (int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value));
        }
        finally { File.Delete(harness); }
    }

    /// <summary>A screenshot of the report's first 1200x1600 pixels.</summary>
    public static RgbImage Screenshot(string reportFolder)
    {
        string png = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"interp-shot-{Guid.NewGuid():N}.png");
        try
        {
            RunChromium($"--screenshot={png}", "--window-size=1200,1600", "--hide-scrollbars",
                new Uri(System.IO.Path.Combine(System.IO.Path.GetFullPath(reportFolder), "index.html")).AbsoluteUri);
            return Png.Decode(File.ReadAllBytes(png));
        }
        finally { if (File.Exists(png)) File.Delete(png); }
    }

    static string RunChromium(params string[] args)
    {
        var psi = new ProcessStartInfo(Path ?? throw new InvalidOperationException(SkipReason))
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (string a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
                     $"--user-data-dir={System.IO.Path.Combine(System.IO.Path.GetTempPath(), "interp-chromium-" + Guid.NewGuid().ToString("N"))}" })
            psi.ArgumentList.Add(a);
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException("Chromium did not finish within 120 s"); }
        if (p.ExitCode != 0) throw new InvalidOperationException($"Chromium exited {p.ExitCode}: {stderr.Result}");
        return stdout.Result;
    }

    /// <summary>True when the image has at least <paramref name="fraction"/> of pixels that are neither white nor near-white.</summary>
    public static bool HasContent(RgbImage image, double fraction = 0.01)
    {
        int inked = 0;
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
            {
                var (r, g, b) = image.Get(x, y);
                if (r < 235 || g < 235 || b < 235) inked++;
            }
        return inked >= fraction * image.Width * image.Height;
    }
}
