using System.Text.Json;
using Interp.Nn;
using Interp.Analysis.Plot;
using Interp.Transformers;
using Interp.Tests.Analysis.Patching;
using Xunit;

namespace Interp.Tests.Analysis;

[Collection("Console")]
public class PatchCliTests
{
    static string TempDir() => Path.Combine(Path.GetTempPath(), "interp-patch-" + Guid.NewGuid().ToString("N"));

    /// <summary>A model folder as `interp train induction` writes it, of a small random 2-layer attention-only model.</summary>
    static string ModelFolder()
    {
        string dir = TempDir();
        Directory.CreateDirectory(dir);
        var model = PatchingTestModels.Random(new TransformerConfig
        {
            NLayers = 2, DModel = 16, NHeads = 4, DHead = 4, DVocab = 16, NCtx = 12, PositionalEmbedding = "shortformer", Seed = 3,
        });
        model.SaveSafeTensors(Path.Combine(dir, "model.safetensors"));
        File.WriteAllText(Path.Combine(dir, "config.json"), JsonSerializer.Serialize(model.Config));
        return dir;
    }

    [Fact]
    public void PatchAndAttribWriteTheFilesTheyName()
    {
        string model = ModelFolder(), outDir = TempDir();
        try
        {
            var (patchExit, patchOut, _) = ConsoleCapture.Run(() =>
                CommandLine.Execute(["patch", model, "--out", outDir, "--prompts", "2", "--length", "3", "--heads-by-pos", "--path", "1.2", "--quiet"]));
            var (attribExit, attribOut, _) = ConsoleCapture.Run(() =>
                CommandLine.Execute(["attrib", model, "--out", outDir, "--prompts", "2", "--length", "3", "--quiet"]));
            Assert.Equal((0, 0), (patchExit, attribExit));
            string text = patchOut + attribOut;
            foreach (var f in new[] { "denoising_resid_pre.svg", "noising_attn_out.svg", "noising_heads.svg", "denoising_heads_by_pos.svg", "noising_path_to_L1H2_k.svg",
                                      "patch.csv", "patch.json", "attrib_denoising_heads.svg", "attrib_denoising_resid_pre_vs_activation.svg",
                                      "attrib.csv", "attrib.json" })
            {
                string path = Path.Combine(outDir, f);
                Assert.True(File.Exists(path), f);
                Assert.Contains(path, text);
            }
            // [2 layers, 4 heads]: a labelled cell per head, its value on hover
            var heads = System.Xml.Linq.XElement.Load(Path.Combine(outDir, "noising_heads.svg"));
            var titles = heads.Descendants().Where(e => e.Name.LocalName == "title").Select(t => t.Value).ToList();
            Assert.Equal(8, titles.Count);
            Assert.Contains(titles, t => t.StartsWith("L1H3: "));
            // per direction: resid_pre and attn_out [2, 6], heads [2, 4], heads by position [2, 4, 6], path to q, k, v [2, 4]
            Assert.Equal(1 + 2 * (12 + 12 + 8 + 48 + 3 * 8), File.ReadAllLines(Path.Combine(outDir, "patch.csv")).Length);
            Assert.Contains("correlation", text);
        }
        finally
        {
            foreach (var d in new[] { model, outDir }) if (Directory.Exists(d)) Directory.Delete(d, recursive: true);
        }
    }

    [Theory]
    [InlineData("--direction", "sideways")]
    [InlineData("--length", "1")]
    [InlineData("--length", "7")]
    [InlineData("--bos", "16")]
    [InlineData("--bogus")]
    [InlineData("--path", "0.1")]
    [InlineData("--path", "1.4")]
    [InlineData("--path", "one")]
    public void BadArgumentsAreCliErrors(params string[] extra)
    {
        string model = ModelFolder();
        try
        {
            string outDir = Path.Combine(model, "out");
            InterpCli.Refusal(["patch", model, .. extra, "--out", outDir, "--quiet"]);
            InterpCli.Refusal(["attrib", model, .. extra, "--out", outDir, "--quiet"]);
        }
        finally
        {
            if (Directory.Exists(model)) Directory.Delete(model, recursive: true);
        }
    }

    [Fact]
    public void AMissingModelIsACliError()
    {
        Assert.Contains("no model", InterpCli.Refusal(["patch", TempDir()]));
        Assert.Contains("one MODEL", InterpCli.Refusal(["attrib"]));
        Assert.Equal(0, ConsoleCapture.Run(() => CommandLine.Execute(["patch", "--help"])).Exit);
    }
}
