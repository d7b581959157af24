using System.Text.Json;
using Interp.Analysis.Sae;
using Interp.Nn;
using Interp.Transformers;
using Xunit;

namespace Interp.Tests.Analysis.Sae;

[Collection("Console")]   // the CLI test captures Console
public sealed class SaeFeatureTests : IDisposable
{
    readonly string dir = Path.Combine(Path.GetTempPath(), $"interp-saef-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    static HookedTransformer Model(string norm = "LN") => new(new TransformerConfig
    {
        NLayers = 2, DModel = 8, NHeads = 2, DHead = 4, DMlp = 0, DVocab = 13, NCtx = 9, Seed = 5, Normalization = norm,
        PositionalEmbedding = "shortformer",
    });

    static SparseAutoencoder Sae(int seed) => new(new SaeConfig { DIn = 8, DSae = 12, L1Coefficient = 1, HookName = "blocks.1.hook_resid_post", Seed = (ulong)seed });

    [Fact]
    public void DirectLogitEffectIsTheLogitChangeFromAddingTheDirectionToTheFinalResidual()
    {
        // without a final LayerNorm the logits are linear in the last residual stream, so the effect is exact
        var model = Model("none");
        var sae = Sae(2);
        var effects = FeatureAnalysis.DirectLogitEffects(model, sae);
        var tokens = Tensor.RandInt(0, 13, [1, 9], new Generator(1));
        var clean = model.Forward(tokens).Select(1, 4).ToDoubleArray();
        const int feature = 7;
        var direction = sae.W_dec.Detach().Select(0, feature);
        var pushed = model.RunWithHooks(tokens, [("blocks.1.hook_resid_post", (a, _) => a + direction)]).Select(1, 4).ToDoubleArray();
        var row = effects.Select(0, feature).ToDoubleArray();
        for (int t = 0; t < 13; t++) Assert.Equal(pushed[t] - clean[t], row[t], 4);
        Assert.Throws<ArgumentException>(() => FeatureAnalysis.DirectLogitEffects(model, new SparseAutoencoder(new SaeConfig { DIn = 4, DSae = 6 })));
    }

    [Fact]
    public void TopExamplesAreTheLargestActivationsWithTheirContext()
    {
        var model = Model();
        var sae = Sae(3);
        var batches = Enumerable.Range(0, 3).Select(i => Tensor.RandInt(0, 13, [4, 9], new Generator((ulong)i))).ToList();
        var examples = FeatureAnalysis.TopActivatingExamples(model, sae, "blocks.1.hook_resid_post", batches, topN: 3, contextBefore: 2, firstPosition: 1);
        // brute force: every (sequence, position, feature) activation
        var all = new List<(double A, int Seq, int Pos, int Feature)>();
        for (int b = 0; b < 3; b++)
        {
            var f = sae.Encode(ActivationStore.Rows(model, "blocks.1.hook_resid_post", batches[b], 1)).ToDoubleArray();
            for (int r = 0; r < 4 * 8; r++)
                for (int j = 0; j < 12; j++) all.Add((f[r * 12 + j], b * 4 + r / 8, 1 + r % 8, j));
        }
        for (int j = 0; j < 12; j++)
        {
            var expected = all.Where(e => e.Feature == j && e.A > 0).OrderByDescending(e => e.A).Take(3).ToList();
            Assert.Equal(expected.Count, examples[j].Count);
            for (int i = 0; i < expected.Count; i++)
            {
                var got = examples[j][i];
                Assert.Equal(expected[i].A, got.Activation, 6);
                Assert.Equal((expected[i].Seq, expected[i].Pos), (got.Sequence, got.Position));
                var seqTokens = batches[got.Sequence / 4].Select(0, got.Sequence % 4).ToIntArray();
                Assert.Equal(seqTokens[Math.Max(0, got.Position - 2)..(got.Position + 1)], got.Context);
            }
        }
    }

    [Fact]
    public void DensityHistogramCountsEveryLiveFeatureOnceAndDeadOnesApart()
    {
        var (starts, counts, dead) = FeatureAnalysis.DensityHistogram([0, 1e-3, 0.5, 1, 1e-9, 0], lowest: -4, binWidth: 1);
        Assert.Equal([-4.0, -3, -2, -1], starts);
        Assert.Equal([1, 1, 0, 2], counts);   // 1e-9 clamps into the lowest bin, 1 (log 0) into the highest
        Assert.Equal(2, dead);
    }

    [Fact]
    public void SaeCommandTrainsEvaluatesAndWritesItsFiles()
    {
        var model = Model();
        string modelDir = Path.Combine(dir, "model");
        Directory.CreateDirectory(modelDir);
        model.SaveSafeTensors(Path.Combine(modelDir, "model.safetensors"));
        File.WriteAllText(Path.Combine(modelDir, "config.json"), JsonSerializer.Serialize(model.Config));
        string outDir = Path.Combine(dir, "sae");
        var (code, text, _) = ConsoleCapture.Run(() => CommandLine.Execute(["sae", "--model", modelDir, "--arch", "topk", "--k", "3", "--d-sae", "16",
            "--steps", "20", "--batch", "64", "--resample-every", "10", "--features", "4", "--out", outDir, "--quiet"]));
        Assert.Equal(0, code);
        Assert.Contains("blocks.0.hook_resid_post", text);
        Assert.Contains("explained variance", text);
        Assert.Contains("recovered", text);
        foreach (var f in new[] { "sae_weights.safetensors", "cfg.json", "metrics.json", "report/index.html", "report/feature_density.svg" })
        {
            Assert.True(File.Exists(Path.Combine(outDir, f)), f);
            Assert.Contains(Path.Combine(outDir, f), text);
        }
        var loaded = SparseAutoencoder.Load(outDir);
        Assert.Equal(("topk", 3, "blocks.0.hook_resid_post"), (loaded.Config.Architecture, loaded.Config.K, loaded.Config.HookName));
        var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "metrics.json"))).RootElement;
        Assert.InRange(metrics.GetProperty("l0").GetDouble(), 0, 3);

        var e = InterpCli.Refusal(["sae", "--model", modelDir, "--hook", "blocks.7.hook_resid_post"]);
        Assert.Contains("blocks.7.hook_resid_post", e);
        InterpCli.Refusal(["sae", "--model", modelDir, "--arch", "gated"]);
    }
}
