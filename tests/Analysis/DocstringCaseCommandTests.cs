using System.Text.Json;
using System.Text.RegularExpressions;
using Interp.Analysis.Plot;
using Xunit;

namespace Interp.Tests.Analysis;

/// <summary>`interp case docstring` at small size: it trains, patches and writes a report with its figures inline and as SVG files.</summary>
[Collection("Console")]
public class DocstringCaseCommandTests
{
    [Fact]
    public void DocstringCaseTrainsFindsHeadsAndWritesItsReport()
    {
        var dir = Path.Combine(Path.GetTempPath(), "interp-docstring-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (exit, output, _) = ConsoleCapture.Run(() => CommandLine.Execute(["case", "docstring", "--steps", "20", "--prompts", "4", "--out", dir, "--quiet"]));
            Assert.Equal(0, exit);
            Assert.Contains("circuit:", output);
            Assert.True(File.Exists(Path.Combine(dir, "model", "model.safetensors")));
            var html = File.ReadAllText(Path.Combine(dir, "index.html"));
            Assert.Contains(">noising per head: effect 1 − metric</text>", html);
            Assert.Contains(">path patching into L3H", html);
            Assert.True(File.Exists(Path.Combine(dir, "heads_noising.svg")));
            Assert.NotEmpty(Directory.GetFiles(dir, "path_L3H*.svg"));
            Assert.DoesNotContain("<img", html);   // every figure is inline
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "circuit.json")));
            Assert.Equal(4, json.RootElement.GetProperty("heads_denoising").GetArrayLength());

            // the saved model is analysed again without training
            var (again, output2, _) = ConsoleCapture.Run(() => CommandLine.Execute(["case", "docstring", "--model", Path.Combine(dir, "model"), "--prompts", "4", "--out", dir, "--quiet"]));
            Assert.Equal(0, again);
            Assert.DoesNotContain("model:", output2);
            Assert.Contains("circuit:", output2);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
    }
}
