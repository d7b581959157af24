using System.Text.RegularExpressions;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Events;
using Xunit;

namespace Interp.Notebooks.Tests;

/// <summary>
/// What a notebook shows for Interp's types once <c>Formatters.Register()</c> ran, read off the HTML the C# kernel
/// produces: a tensor's shape, dtype, device and values (summarised past 1000 elements like PyTorch's print), a cache's
/// hooks with shapes and bytes, figures as their SVG and the views with the hover script.
/// </summary>
public class FormatterTests(FormatterTests.Kernel kernel) : IClassFixture<FormatterTests.Kernel>
{
    /// <summary>One C# kernel with Interp loaded and the formatters registered, shared by these tests.</summary>
    public sealed class Kernel : IDisposable
    {
        readonly CompositeKernel kernel = new() { new CSharpKernel().UseKernelHelpers().UseValueSharing() };

        public Kernel()
        {
            kernel.DefaultKernelName = "csharp";
            string dll = Path.Combine(NotebookRunner.RepoRoot, "src", "Notebooks", "bin", NotebookRunner.Configuration, "net10.0", "Interp.Notebooks.dll");
            Html($"#r \"{dll}\"\nusing Interp; using Interp.Analysis.Plot; using Interp.Notebooks; using Interp.Transformers;\nFormatters.Register();", expectOutput: false);
        }

        /// <summary>The text/html the kernel shows for the value of <paramref name="code"/>.</summary>
        public string Html(string code, bool expectOutput = true)
        {
            var result = kernel.SubmitCodeAsync(code).GetAwaiter().GetResult();
            var failed = result.Events.OfType<CommandFailed>().FirstOrDefault();
            if (failed is not null) throw new InvalidOperationException($"{code}\nfailed: {failed.Message}");
            var html = result.Events.OfType<DisplayEvent>().SelectMany(d => d.FormattedValues).Where(v => v.MimeType == "text/html").Select(v => v.Value).ToList();
            if (expectOutput && html.Count == 0) throw new InvalidOperationException($"{code}\nshowed no HTML");
            return string.Concat(html);
        }

        public void Dispose() => kernel.Dispose();
    }

    static List<string> Cells(string html) => [.. Regex.Matches(html, "<td[^>]*>([^<]*)</td>").Select(m => m.Groups[1].Value)];
    static List<string> ColumnHeads(string html) =>
        [.. Regex.Matches(Regex.Match(html, "<tr>(.*?)</tr>").Groups[1].Value, "<th[^>]*>([^<]*)</th>").Select(m => m.Groups[1].Value)];

    [Fact]
    public void ASmallTensorShowsItsShapeDtypeDeviceAndEveryValue()
    {
        string html = kernel.Html("Tensor.FromArray(new float[] { 1.5f, -2f, 3.25f, 0f, 10f, -0.125f }, [2, 3])");
        Assert.Contains("Tensor [2, 3] float32 cpu", html);
        Assert.Equal(["1.5000", "-2.0000", "3.2500", "0.0000", "10.0000", "-0.1250"], Cells(html));
        Assert.Equal(["", "0", "1", "2"], ColumnHeads(html));
    }

    [Fact]
    public void IntegersStayIntegersAndGradientsAreNamed()
    {
        string ints = kernel.Html("Tensor.FromArray(new[] { 3, -1, 7 }, [3])");
        Assert.Contains("Tensor [3] int32 cpu", ints);
        Assert.Equal(["3", "-1", "7"], Cells(ints));
        string leaf = kernel.Html("Tensor.Ones([2], DType.Float64).RequiresGrad_()");
        Assert.Contains("Tensor [2] float64 cpu requires_grad", leaf);
        Assert.Equal(["1.", "1."], Cells(leaf));
    }

    [Fact]
    public void ALargeTensorIsSummarisedToItsFirstAndLastThreeIndices()
    {
        // 40 x 50 = 2000 elements > 1000: rows and columns 0, 1, 2, ⋯, n-3, n-2, n-1; value = 100 row + column
        string html = kernel.Html("Tensor.FromArray(Enumerable.Range(0, 2000).Select(i => (float)(100 * (i / 50) + i % 50)).ToArray(), [40, 50])");
        Assert.Contains("Tensor [40, 50] float32 cpu", html);
        Assert.Equal(["", "0", "1", "2", "⋯", "47", "48", "49"], ColumnHeads(html));
        var cells = Cells(html);
        Assert.Equal(7 * 7, cells.Count);
        Assert.Equal(["0.", "1.", "2.", "⋯", "47.", "48.", "49."], cells[..7]);
        Assert.Equal(["3949.", "3948.", "3947."], new[] { cells[^1], cells[^2], cells[^3] });
        Assert.Equal(7, cells.Skip(21).Take(7).Count(c => c == "⋯"));   // the elided middle row
    }

    [Fact]
    public void ALargeThreeDimensionalTensorShowsTheValuesAtItsEdgeIndices()
    {
        // [10, 20, 30], value = its flat index; only [0..2, 7..9] x [0..2, 17..19] x [0..2, 27..29] are read off the tensor
        string html = kernel.Html("Tensor.Arange(0, 6000).Reshape(10, 20, 30)");
        Assert.Equal(["[0, :, :]", "[1, :, :]", "[2, :, :]", "[7, :, :]", "[8, :, :]", "[9, :, :]"],
            Regex.Matches(html, @"\[\d, :, :\]").Select(m => m.Value));
        var cells = Cells(html);
        Assert.Equal(6 * 7 * 7, cells.Count);
        Assert.Equal((8 * 600 + 18 * 30 + 28).ToString(), cells[4 * 49 + 5 * 7 + 5].TrimEnd('.'));   // [8, 18, 28]
        Assert.Equal((9 * 600 + 19 * 30 + 29).ToString(), cells[^1].TrimEnd('.'));
    }

    [Fact]
    public void AThreeDimensionalTensorShowsOneTablePerLeadingIndex()
    {
        string html = kernel.Html("Tensor.Arange(0, 12).Reshape(3, 2, 2)");
        Assert.Equal(["[0, :, :]", "[1, :, :]", "[2, :, :]"], Regex.Matches(html, @"\[\d, :, :\]").Select(m => m.Value));
        Assert.Equal(12, Cells(html).Count);
    }

    [Fact]
    public void AnActivationCacheListsItsHooksShapesAndBytes()
    {
        string html = kernel.Html("""
            var model = new HookedTransformer(new TransformerConfig { NLayers = 1, DModel = 8, NHeads = 2, DHead = 4, DMlp = 0, DVocab = 5, NCtx = 6, Seed = 1 });
            var (_, cache) = model.RunWithCache(Tensor.FromArray(new[] { 1, 2, 3 }, [1, 3]), n => n.EndsWith("hook_pattern") || n.EndsWith("hook_resid_post"));
            cache
            """);
        Assert.Contains("ActivationCache: 2 activations, 168 B", html);   // [1, 2, 3, 3] and [1, 3, 8] float32: (18 + 24) x 4 bytes
        Assert.Matches(@"blocks\.0\.attn\.hook_pattern</td><td[^>]*>\[1, 2, 3, 3\]</td><td[^>]*>float32</td><td[^>]*>72 B", html);
        Assert.Matches(@"blocks\.0\.hook_resid_post</td><td[^>]*>\[1, 3, 8\]</td><td[^>]*>float32</td><td[^>]*>96 B", html);
    }

    [Fact]
    public void FiguresShowAsTheirSvgAndViewsWithTheHoverScript()
    {
        string heatmap = kernel.Html("Tensor.FromArray(new float[] { -1, 0.5f, 2, 0 }, [2, 2]).Heatmap(\"signed\")");
        Assert.Contains("<svg", heatmap);
        Assert.Contains(">signed</text>", heatmap);
        Assert.Contains("<title>row 1, column 0: 2</title>", heatmap);
        Assert.Contains("getElementById('tip')", heatmap);

        string view = kernel.Html("new AttentionView(\"view\", [\"a\", \"b\"], [Tensor.FromArray(new float[] { 1, 0, 0.25f, 0.75f }, [1, 2, 2])])");
        Assert.Contains("<div class=\"attention-view\">", view);
        Assert.Contains("<select class=\"layer\">", view);
        Assert.Contains("<script>", view);

        string tokens = kernel.Html("new TokenView(\"loss\", [\"x\", \"y\"], [0.5, 1.5])");
        Assert.Contains("<div class=\"token-view\">", tokens);
        Assert.Contains("data-tip=\"1 &#39;y&#39;: 1.5\"", tokens);
    }

    [Fact]
    public void AMissingWalkthroughInputIsAnErrorInItsCellNotTheEndOfTheKernel()
    {
        string missing = Path.Combine(Path.GetTempPath(), "interp-no-such-model-" + Guid.NewGuid().ToString("N"));
        var e = Assert.Throws<InvalidOperationException>(() => kernel.Html($"Interp.Analysis.Walkthroughs.WalkthroughInputs.InductionModel(@\"{missing}\")"));
        Assert.Contains($"no model at '{missing}'", e.Message);
        Assert.Contains("interp train induction", e.Message);
        Assert.Contains("Tensor [1] float32 cpu", kernel.Html("Tensor.Zeros([1])"));   // the kernel's process lives on
    }
}
