using System.Text.RegularExpressions;
using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Documents.Jupyter;
using Xunit;
using Xunit.Abstractions;

namespace Interp.Notebooks.Tests;

/// <summary>
/// Every notebook in notebooks/ run cell by cell through the C# kernel at a small size: no cell may fail, and the
/// outputs each walkthrough is about must appear (a tensor's table, a figure's SVG, the printed result).
/// </summary>
public class NotebookTests(ITestOutputHelper log) : IClassFixture<NotebookTests.TempFiles>
{
    /// <summary>The small induction model the induction notebooks study (trained once per test run, in the kernel).</summary>
    const string SmallInductionModel = $$"""
        var testModel = System.IO.Path.Combine({{TempFolder}}, "induction");
        if (!System.IO.File.Exists(System.IO.Path.Combine(testModel, "config.json")))
        {
            var trained = Interp.Training.ToyModels.TrainInduction(Interp.Analysis.Cases.InductionDemo.Small(steps: 300, seed: 0)).Model;
            trained.Eval();
            trained.Save(testModel);
        }
        modelDir = testModel;
        """;

    // what must appear: "html:" + text in some text/html output, "out:" + a regex over what the cells printed
    const string TensorTable = "html:<div class=\"interp-tensor\">", Svg = "html:<svg", Cache = "html:<div class=\"interp-cache\">",
        Attention = "html:<div class=\"attention-view\">", Tokens = "html:<div class=\"token-view\">";

    const string TempFolder = "System.IO.Path.Combine(System.IO.Path.GetTempPath(), $\"interp-notebook-tests-{Environment.ProcessId}\")";

    /// <summary>A random GPT-2 as small as its vocabulary allows, in Hugging Face's layout.</summary>
    const string TinyGpt2 = $$"""
        path = System.IO.Path.Combine({{TempFolder}}, "gpt2", "model.safetensors");
        System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        Interp.IO.Gpt2Weights.WriteRandom(path, new Interp.IO.Gpt2Config(NLayers: 2, DModel: 16, NHeads: 2, DHead: 8, DMlp: 64, DVocab: 50257, NCtx: 64), seed: 4);
        """;

    public static TheoryData<string, string, string[]> Notebooks => new()
    {
        { "01-forward-pass.ipynb", SmallInductionModel, [TensorTable, Svg, Attention, @"out:max \|difference\| from model\.Forward: \d\.\d\dE-0+[5-9]"] },
        { "02-induction-heads.ipynb", SmallInductionModel, [Cache, Attention, Svg, @"out:induction head: L\dH\d \(0\.\d{3} at L = 8, 0\.\d{3} at L = 5\)"] },
        { "03-feature-visualization.ipynb", "steps = 24; requested = 4;", [Svg, "html:<image", @"out:(?m)^conv2  3 ", @"out:total objective -?[0-9.]+ -> -?[0-9.]+"] },
        { "04-docstring-patching.ipynb", "steps = 50;", [Svg, @"out:step 50: loss", @"out:denoising: patching resid_pre at layer 0 everywhere: 1\.0000",
            @"out:noising: patching resid_pre at layer 0 everywhere: 0\.0000"] },
        { "05-attribution-patching.ipynb", SmallInductionModel + "prompts = 8; seed = 3;", [Svg, @"out:heads by position r = -?[0-9.]+ \(64 patches\)"] },
        { "06-sparse-autoencoder.ipynb", SmallInductionModel + $"saeDir = System.IO.Path.Combine({TempFolder}, \"sae\"); steps = 150; rows = 512; seed = 5;",
            [Tokens, @"out:L0 [0-9.]+  explained variance -?[0-9.]+", @"out:feature \d+: density"] },
        { "07-residual-norms.ipynb", SmallInductionModel + "batch = 4;", [Svg, @"out:fit: A = [0-9.E+-]+, G = [0-9.E+-]+, R² = "] },
        { "08-gradient-properties.ipynb", "", [TensorTable, "out:gradcheck with x \\[2, 3\\] and s \\[3\\]: passes", "out:fixed backward: "] },
        { "09-gpt2-small.ipynb", TinyGpt2, [Cache, Attention, "out:2 layers, d_model 16, 2 heads, vocabulary 50257", "out:model's next token: "] },
    };

    [Theory]
    [MemberData(nameof(Notebooks))]
    public async Task RunsEveryCellAndShowsItsOutputs(string notebook, string parameters, string[] expected)
    {
        var runs = await NotebookRunner.Run(Path.Combine(NotebookRunner.NotebooksDir, notebook), parameters);
        foreach (var run in runs)
            log.WriteLine($"cell {run.Index}: {(run.Error is null ? "ok" : "FAILED")}, {run.Displayed.Count} displayed\n{run.Output}");
        var failed = runs.FirstOrDefault(r => r.Error is not null);
        Assert.True(failed is null, $"{notebook} cell {failed?.Index} failed: {failed?.Error}\n{failed?.Code}");
        Assert.Equal(NotebookRunner.CodeCells(Path.Combine(NotebookRunner.NotebooksDir, notebook)).Count + 1, runs.Count);   // + the parameters

        string printed = string.Concat(runs.Select(r => r.Output));
        var html = runs.SelectMany(r => r.Displayed).Where(d => d.MimeType == "text/html").Select(d => d.Value).ToList();
        foreach (string e in expected)
        {
            if (e.StartsWith("html:")) Assert.True(html.Any(h => h.Contains(e[5..])), $"{notebook}: no output contains {e[5..]}");
            else Assert.True(Regex.IsMatch(printed, e[4..]), $"{notebook}: the printed output does not match {e[4..]}:\n{printed}");
        }
    }

    [Fact]
    public void EveryWalkthroughIsANotebookThatPolyglotReadsAsCSharp()
    {
        var walkthroughs = Directory.GetDirectories(Path.Combine(NotebookRunner.RepoRoot, "examples")).Select(Path.GetFileName).Order().ToList();
        var notebooks = Directory.GetFiles(NotebookRunner.NotebooksDir, "*.ipynb").Select(Path.GetFileNameWithoutExtension).Order().ToList();
        Assert.Equal(walkthroughs, notebooks);
        Assert.Equal(notebooks.Select(n => n + ".ipynb").Order(), Notebooks.Select(row => (string)row[0]).Order());   // every one runs below

        var kernels = new KernelInfoCollection { new KernelInfo("csharp", "C#") };
        foreach (string path in Directory.GetFiles(NotebookRunner.NotebooksDir, "*.ipynb"))
        {
            var document = Notebook.Parse(File.ReadAllText(path), kernels);
            var code = document.Elements.Where(e => e.KernelName != "markdown").ToList();
            Assert.All(code, e => Assert.Equal("csharp", e.KernelName));
            Assert.Equal(NotebookRunner.CodeCells(path).Count, code.Count);
            Assert.StartsWith("#r \"../src/Notebooks/bin/Release/net10.0/Interp.Notebooks.dll\"", code[0].Contents);
            Assert.True(document.Elements.Count(e => e.KernelName == "markdown") >= code.Count / 2, $"{path}: prose between the cells");
        }
    }

    /// <summary>Removes what the notebooks wrote under the temp folder once all have run.</summary>
    public sealed class TempFiles : IDisposable
    {
        public void Dispose()
        {
            string dir = Path.Combine(Path.GetTempPath(), $"interp-notebook-tests-{Environment.ProcessId}");
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }
}
