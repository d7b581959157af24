using System.Diagnostics;
using System.Text.RegularExpressions;
using Interp.Analysis.Plot;

namespace Interp.Tests;

/// <summary>
/// Renders an HTML report in headless Chromium (Debian package `chromium`, installed by scripts/setup.sh --dev and by
/// CI): counts the images that loaded and takes a screenshot. <see cref="Path"/> is null where Chromium is absent.
/// </summary>
public static class HeadlessChromium
{
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
