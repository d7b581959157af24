using Interp.Autograd;
using Interp.Transformers;
using Xunit;

namespace Interp.Tests.Models.Transformers;

public class TransformerTests
{
    const int Batch = 2, Pos = 5;

    static TransformerConfig Cfg(int dMlp = 16, string norm = "LN", string pos = "standard", DType dtype = DType.Float64,
        bool tied = false, bool attnBias = true, bool unembedBias = true, string act = "gelu_new", int layers = 2) => new()
    {
        NLayers = layers, DModel = 8, NHeads = 2, DHead = 4, DMlp = dMlp, DVocab = 11, NCtx = 12,
        Normalization = norm, PositionalEmbedding = pos, TiedUnembed = tied, UseAttnBias = attnBias,
        UseUnembedBias = unembedBias, ActFn = act, Dtype = dtype, Seed = 5, InitRange = 0.3,
    };

    /// <summary>Random values in every parameter (biases and LN weights included) so nothing is trivially zero or one.</summary>
    static HookedTransformer Model(TransformerConfig cfg, ulong seed = 1)
    {
        var model = new HookedTransformer(cfg);
        var gen = new Generator(seed);
        var sd = model.StateDict().ToDictionary(p => p.Key, p => (p.Key.EndsWith(".w") ? 1.0 : 0.0) + Tensor.Randn(p.Value.ShapeArray, gen, cfg.Dtype) * 0.3);
        model.LoadStateDict(sd);
        return model;
    }

    static Tensor Tokens(int batch = Batch, int pos = Pos, ulong seed = 3) => Tensor.RandInt(0, 11, [batch, pos], new Generator(seed));

    static void Close(Tensor expected, Tensor actual, double tol)
    {
        Assert.Equal(expected.ShapeArray, actual.ShapeArray);
        var (e, a) = (expected.ToDoubleArray(), actual.ToDoubleArray());
        double worst = e.Zip(a, (x, y) => Math.Abs(x - y)).Max();
        Assert.True(worst <= tol, $"max |difference| {worst:G3} > {tol:G3}");
    }

    static Dictionary<string, int[]> ExpectedHooks(TransformerConfig c, int b, int p)
    {
        int d = c.DModel, h = c.NHeads, e = c.DHead;
        var x = new Dictionary<string, int[]> { ["hook_embed"] = [b, p, d], ["hook_pos_embed"] = [b, p, d] };
        void Norm(string prefix) { if (c.HasNorm) { x[prefix + "hook_scale"] = [b, p, 1]; x[prefix + "hook_normalized"] = [b, p, d]; } }
        for (int l = 0; l < c.NLayers; l++)
        {
            string k = $"blocks.{l}.";
            x[k + "hook_resid_pre"] = [b, p, d];
            Norm(k + "ln1.");
            foreach (var n in new[] { "q", "k", "v", "z" }) x[k + "attn.hook_" + n] = [b, p, h, e];
            x[k + "attn.hook_attn_scores"] = [b, h, p, p];
            x[k + "attn.hook_pattern"] = [b, h, p, p];
            x[k + "attn.hook_result"] = [b, p, h, d];
            x[k + "hook_attn_out"] = [b, p, d];
            if (!c.AttnOnly)
            {
                x[k + "hook_resid_mid"] = [b, p, d];
                Norm(k + "ln2.");
                x[k + "mlp.hook_pre"] = [b, p, c.DMlp];
                x[k + "mlp.hook_post"] = [b, p, c.DMlp];
                x[k + "hook_mlp_out"] = [b, p, d];
            }
            x[k + "hook_resid_post"] = [b, p, d];
        }
        Norm("ln_final.");
        return x;
    }

    [Theory]
    [InlineData(16, "LN", "standard")]
    [InlineData(16, "LNPre", "shortformer")]
    [InlineData(16, "none", "standard")]
    [InlineData(0, "LN", "shortformer")]
    [InlineData(0, "none", "standard")]
    [InlineData(0, "LNPre", "standard")]
    public void RunWithCacheHasEveryHookWithItsShape(int dMlp, string norm, string pos)
    {
        var cfg = Cfg(dMlp, norm, pos);
        var model = Model(cfg);
        var (logits, cache) = model.RunWithCache(Tokens());
        var expected = ExpectedHooks(cfg, Batch, Pos);
        Assert.Equal(expected.Keys.Order(), model.HookPoints.Keys.Order());
        Assert.Equal(expected.Keys.Order(), cache.Names.Order());
        foreach (var (name, shape) in expected)
        {
            Assert.True(shape.SequenceEqual(cache[name].ShapeArray), $"{name}: {ShapeUtil.Format(cache[name].ShapeArray)}, expected {ShapeUtil.Format(shape)}");
            Assert.Equal(name, cache[name].Name);
        }
        Assert.Equal([Batch, Pos, 11], logits.ShapeArray);
        Assert.False(logits.RequiresGrad);

        var pattern = cache.Pattern(1).ToDoubleArray();     // causal rows summing to 1
        for (int row = 0; row < Batch * cfg.NHeads * Pos; row++)
        {
            int q = row % Pos;
            Assert.Equal(1.0, pattern.Skip(row * Pos).Take(Pos).Sum(), 12);
            for (int k = q + 1; k < Pos; k++) Assert.Equal(0.0, pattern[row * Pos + k]);
        }
        // the heads' results add up to the attention output
        var attnOut = cache.Result(0).Sum(2) + (cfg.UseAttnBias ? model.Blocks[0].Attn.b_O! : Tensor.Scalar(0, DType.Float64));
        Close(cache.AttnOut(0), attnOut, 1e-12);
    }

    [Fact]
    public void NamesFilterKeepsOnlyMatchingActivations()
    {
        var (_, cache) = Model(Cfg()).RunWithCache(Tokens(), n => n.EndsWith("hook_pattern"));
        Assert.Equal(["blocks.0.attn.hook_pattern", "blocks.1.attn.hook_pattern"], cache.Names);
        var err = Assert.Throws<KeyNotFoundException>(() => cache["blocks.0.hook_resid_pre"]);
        Assert.Contains("blocks.0.hook_resid_pre", err.Message);
    }

    [Fact]
    public void CacheBytesAreTheSumOfItsTensorsAndTheFilterCutsThem()
    {
        var model = Model(Cfg());
        var (_, all) = model.RunWithCache(Tokens());
        var (_, patterns) = model.RunWithCache(Tokens(), n => n.EndsWith("hook_pattern"));
        long Sum(ActivationCache c) => c.Names.Sum(n => (long)c[n].Numel * 8);   // float64 model
        Assert.Equal(Sum(all), all.Bytes);
        Assert.Equal(2L * Batch * model.Config.NHeads * Pos * Pos * 8, patterns.Bytes);
        Assert.True(patterns.Bytes < all.Bytes);
    }

    [Fact]
    public void ParametersCarryTransformerLensNames()
    {
        var shapes = new HookedTransformer(Cfg(layers: 1)).StateDict().ToDictionary(p => p.Key, p => ShapeUtil.Format(p.Value.ShapeArray));
        var expected = new Dictionary<string, string>
        {
            ["embed.W_E"] = "[11, 8]", ["pos_embed.W_pos"] = "[12, 8]",
            ["blocks.0.ln1.w"] = "[8]", ["blocks.0.ln1.b"] = "[8]", ["blocks.0.ln2.w"] = "[8]", ["blocks.0.ln2.b"] = "[8]",
            ["blocks.0.attn.W_Q"] = "[2, 8, 4]", ["blocks.0.attn.W_K"] = "[2, 8, 4]", ["blocks.0.attn.W_V"] = "[2, 8, 4]",
            ["blocks.0.attn.W_O"] = "[2, 4, 8]", ["blocks.0.attn.b_Q"] = "[2, 4]", ["blocks.0.attn.b_K"] = "[2, 4]",
            ["blocks.0.attn.b_V"] = "[2, 4]", ["blocks.0.attn.b_O"] = "[8]",
            ["blocks.0.mlp.W_in"] = "[8, 16]", ["blocks.0.mlp.b_in"] = "[16]", ["blocks.0.mlp.W_out"] = "[16, 8]", ["blocks.0.mlp.b_out"] = "[8]",
            ["ln_final.w"] = "[8]", ["ln_final.b"] = "[8]", ["unembed.W_U"] = "[8, 11]", ["unembed.b_U"] = "[11]",
        };
        Assert.Equal(expected.OrderBy(p => p.Key), shapes.OrderBy(p => p.Key));

        var bare = new HookedTransformer(Cfg(dMlp: 0, norm: "none", attnBias: false, unembedBias: false, tied: true, layers: 1)).StateDict().Keys;
        Assert.Equal(["blocks.0.attn.W_K", "blocks.0.attn.W_O", "blocks.0.attn.W_Q", "blocks.0.attn.W_V", "embed.W_E", "pos_embed.W_pos"], bare.Order());
    }

    [Fact]
    public void IdentityHookChangesNothingAndAblatingAHeadChangesLogits()
    {
        var model = Model(Cfg());
        var tokens = Tokens();
        var baseline = model.Forward(tokens);
        // hooks on hook_attn_scores/hook_pattern make attention run op by op instead of fused: the same up to rounding
        var identity = model.RunWithHooks(tokens, [(HookFilter.Where(_ => true), (act, hook) => null)]);
        Close(baseline, identity, 1e-12);
        var same = model.RunWithHooks(tokens, [(HookFilter.Where(_ => true), (act, hook) => act * 1.0)]);
        Close(baseline, same, 1e-12);

        var keepHead1 = Tensor.FromArray(new double[] { 0, 1 }, [1, 1, 2, 1]);
        Tensor? seenZ = null;
        var ablated = model.RunWithHooks(tokens,
            [("blocks.1.attn.hook_z", (z, hook) => z * keepHead1),
             ("blocks.1.attn.hook_result", (r, hook) => { seenZ = r; return null; })]);
        Assert.True(baseline.Sub(ablated).Abs().Max().Item() > 1e-3, "zero-ablating a head should move the logits");
        Assert.All(seenZ!.Select(2, 0).ToDoubleArray(), v => Assert.Equal(0.0, v));
        Assert.DoesNotContain(model.HookPoints.Values, h => h.HasHooks);
    }

    [Theory]
    [InlineData(DType.Float32, 2e-5)]
    [InlineData(DType.Float64, 1e-12)]
    public void FusedAndHookedAttentionGiveTheSameLogitsAndGradients(DType dtype, double tol)
    {
        // no hook on the scores or pattern: the fused CausalAttention op; a hook there: the op-by-op path it can see
        var model = Model(Cfg(dtype: dtype));
        var tokens = Tokens();
        HookedAndFusedAgree(model, tokens, tol, () =>
            [model.HookPoints["blocks.1.attn.hook_pattern"].AddForwardHook((a, _) => null),
             model.HookPoints["blocks.0.attn.hook_attn_scores"].AddForwardHook((a, _) => null)]);
    }

    [Theory]
    [InlineData(DType.Float32, 2e-5)]
    [InlineData(DType.Float64, 1e-12)]
    public void CacheHoldsTheHookedPathsActivationsAndTheForwardsLogits(DType dtype, double tol)
    {
        // RunWithCache only looks, so attention runs fused and hands over its scores and pattern; a hook that may
        // replace what it sees (here it returns its input) makes attention run op by op
        var model = Model(Cfg(dtype: dtype));
        var tokens = Tokens();
        var (logits, cache) = model.RunWithCache(tokens);
        var seen = new Dictionary<string, Tensor>();
        Tensor hooked;
        using (GradMode.NoGrad()) hooked = model.RunWithHooks(tokens, [(HookFilter.Where(_ => true), (act, hook) => seen[hook.Name] = act)]);
        Assert.Equal(seen.Keys.Order(), cache.Names.Order());
        foreach (var (name, act) in seen) Close(act, cache[name], tol);
        Close(hooked, logits, tol);
        // the per-head results are computed only when something hooks hook_result (the cache does); without, the forward
        // makes Σ_h z[h]·W_O[h] one product: the same sum in another order
        Close(model.Forward(tokens), logits, tol);
        // without grad and with the cache leaving hook_result out, as the cached run: the same path to the bit (with grad,
        // q, k, v come packed from one product)
        var (unhookedLogits, _) = model.RunWithCache(tokens, name => !name.EndsWith("hook_result"));
        using (GradMode.NoGrad()) Assert.Equal(model.Forward(tokens).ToDoubleArray(), unhookedLogits.ToDoubleArray());
    }

    [Theory]
    [InlineData(DType.Float32, 2e-5)]
    [InlineData(DType.Float64, 1e-12)]
    public void PerHeadResultsAreMadeOnlyWhenHookedAndSumToTheSameOutput(DType dtype, double tol)
    {
        // hook_result hooked: [batch, pos, head, d_model] per head, summed; not hooked: one [b·q, h·e]·[h·e, d] product
        var model = Model(Cfg(dtype: dtype));
        var tokens = Tokens();
        var plain = model.Forward(tokens);
        Tensor? seen = null;
        using (model.HookPoints["blocks.0.attn.hook_result"].AddForwardHook((a, _) => { seen = a; return null; }))
        {
            var hooked = model.Forward(tokens);
            Close(hooked, plain, tol);
        }
        Assert.NotNull(seen);
        Assert.Equal([tokens.Size(0), tokens.Size(1), model.Config.NHeads, model.Config.DModel], seen!.ShapeArray);
        Assert.NotEqual(plain.ToDoubleArray(), model.RunWithCache(tokens).Logits.ToDoubleArray());   // the two orders of the sum differ in the last bits
    }

    [Theory]
    [InlineData(DType.Float32, 2e-5)]
    [InlineData(DType.Float64, 1e-12)]
    public void PackedAndSeparateProjectionsGiveTheSameLogitsAndGradients(DType dtype, double tol)
    {
        // training without hooks: q, k, v from one product and CausalAttentionPacked; a hook on hook_q: three products
        var model = Model(Cfg(dtype: dtype));
        var tokens = Tokens();
        HookedAndFusedAgree(model, tokens, tol, () =>
            [model.HookPoints["blocks.0.attn.hook_q"].AddForwardHook((a, _) => null),
             model.HookPoints["blocks.1.attn.hook_v"].AddForwardHook((a, _) => null)]);
    }

    [Fact]
    public void CacheSeesWhatAnotherHookPutInPlaceAndKeepsTheGraphWithGrad()
    {
        var model = Model(Cfg());
        var tokens = Tokens();
        using (model.HookPoints["blocks.0.attn.hook_pattern"].AddForwardHook((p, _) => p * 0.0))
        {
            var (_, cache) = model.RunWithCache(tokens);
            Assert.All(cache.Pattern(0).ToDoubleArray(), p => Assert.Equal(0.0, p));
            Assert.All(cache.Z(0).ToDoubleArray(), z => Assert.Equal(0.0, z));
        }
        var (_, live) = model.RunWithCache(tokens, n => n.EndsWith("hook_pattern") || n.EndsWith("hook_attn_scores"), withGrad: true);
        Assert.All(live.Names, n => Assert.True(live[n].RequiresGrad, $"{n} should stay in the graph"));
    }

    [Theory]
    [InlineData("LN", DType.Float32, 2e-5)]
    [InlineData("LN", DType.Float64, 1e-12)]
    [InlineData("LNPre", DType.Float32, 2e-5)]
    [InlineData("LNPre", DType.Float64, 1e-12)]
    public void FusedAndHookedLayerNormGiveTheSameLogitsAndGradients(string norm, DType dtype, double tol)
    {
        // no hook on hook_scale: the fused LayerNorm op; a hook there: the op-by-op path that computes the scale it sees
        var model = Model(Cfg(norm: norm, dtype: dtype));
        var tokens = Tokens();
        int scalesSeen = 0;
        HookedAndFusedAgree(model, tokens, tol, () =>
        {
            Assert.Equal(0, scalesSeen);   // the fused run saw no scale
            return model.HookPoints.Where(h => h.Key.EndsWith("hook_scale")).Select(h => h.Value.AddForwardHook((a, _) => { scalesSeen++; return null; })).ToArray();
        });
        Assert.Equal(5, scalesSeen);   // ln1 and ln2 of both blocks, ln_final
    }

    /// <summary>
    /// The model's logits and parameter gradients (cross-entropy on fixed targets) without hooks, then with the hooks
    /// <paramref name="addHooks"/> registers: equal within <paramref name="tol"/>.
    /// </summary>
    static void HookedAndFusedAgree(HookedTransformer model, Tensor tokens, double tol, Func<IDisposable[]> addHooks)
    {
        var targets = Tensor.RandInt(0, 11, [Batch * Pos], new Generator(9));
        (Tensor logits, Dictionary<string, Tensor> grads) Run(IDisposable[] hooks)
        {
            foreach (var p in model.Parameters()) p.Grad = null;
            var logits = model.Forward(tokens);
            logits.Reshape(-1, 11).CrossEntropy(targets).Backward();
            foreach (var h in hooks) h.Dispose();
            return (logits.Detach(), model.NamedParameters().ToDictionary(p => p.Name, p => p.Param.Grad!.Detach()));
        }
        var (fused, fusedGrads) = Run([]);
        var (hooked, hookedGrads) = Run(addHooks());
        Close(hooked, fused, tol);
        Assert.Equal(hookedGrads.Keys.Order(), fusedGrads.Keys.Order());
        foreach (var (name, g) in hookedGrads) Close(g, fusedGrads[name], tol);
    }

    [Fact]
    public void HookReturningAWrongShapeFailsClearly()
    {
        var model = Model(Cfg());
        var err = Assert.Throws<InvalidOperationException>(() =>
            model.RunWithHooks(Tokens(), [("blocks.0.hook_resid_pre", (act, hook) => act.Narrow(1, 0, 2))]));
        Assert.Contains("blocks.0.hook_resid_pre", err.Message);
        Assert.Contains("[2, 5, 8]", err.Message);
    }

    [Fact]
    public void AHookNameTheModelDoesNotHaveIsRefusedNotIgnored()
    {
        // a typo (TransformerLens's short name instead of the full one) used to match nothing: the run went unpatched
        var model = Model(Cfg());
        var err = Assert.Throws<KeyNotFoundException>(() => model.RunWithHooks(Tokens(), [("blocks.0.resid_pre", (act, hook) => act * 0.0)]));
        Assert.Contains("'blocks.0.resid_pre'", err.Message);
        Assert.Throws<KeyNotFoundException>(() => model.RunWithHooks(Tokens(), bwdHooks: [("hook_resid_pre", (g, hook) => null)]));
        Assert.Equal(model.Forward(Tokens()).ToFloatArray(), model.RunWithHooks(Tokens(), [(HookFilter.Where(n => n.EndsWith("nothing")), (act, hook) => act * 0.0)]).ToFloatArray());
    }

    [Theory]
    [InlineData("pattern", 1, null, "blocks.1.attn.hook_pattern")]
    [InlineData("attn", 0, null, "blocks.0.attn.hook_pattern")]
    [InlineData("q", 0, null, "blocks.0.attn.hook_q")]
    [InlineData("resid_pre", 1, null, "blocks.1.hook_resid_pre")]
    [InlineData("resid_post", -1, null, "blocks.1.hook_resid_post")]
    [InlineData("post", 0, null, "blocks.0.mlp.hook_post")]
    [InlineData("scale", 0, "ln1", "blocks.0.ln1.hook_scale")]
    public void TheCacheTakesTransformerLensShortNamesWithALayer(string name, int layer, string? layerType, string full)
    {
        var (_, cache) = Model(Cfg()).RunWithCache(Tokens());
        Assert.Same(cache[full], cache[name, layer, layerType]);
        Assert.Equal(full, ActName.Of(name, layer < 0 ? layer + 2 : layer, layerType));
        Assert.Equal("hook_embed", ActName.Of("embed"));
        Assert.Equal(full, ActName.Of(full));
        Assert.Throws<ArgumentOutOfRangeException>(() => cache[name, 2]);
    }

    [Fact]
    public void HooksAreRemovedAfterARunThatThrows()
    {
        var model = Model(Cfg());
        var tokens = Tokens();
        var baseline = model.Forward(tokens);
        Assert.Throws<InvalidOperationException>(() => model.RunWithHooks(tokens,
            [("blocks.0.attn.hook_q", (act, hook) => act * 0.0), ("blocks.1.hook_mlp_out", (act, hook) => throw new InvalidOperationException("boom"))],
            [("hook_embed", (g, hook) => null)]));
        Assert.DoesNotContain(model.HookPoints.Values, h => h.HasHooks);
        Close(baseline, model.Forward(tokens), 0);
    }

    [Fact]
    public void UnknownHookNameFailsClearly()
    {
        var err = Assert.Throws<KeyNotFoundException>(() => Model(Cfg()).Hook("blocks.0.hook_nope"));
        Assert.Contains("blocks.0.hook_nope", err.Message);
    }

    [Fact]
    public void BackwardHooksSeeGradientsOfTheActivationShape()
    {
        var model = Model(Cfg());
        var tokens = Tokens();
        var seen = new Dictionary<string, int[]>();
        var logits = model.RunWithHooks(tokens, bwdHooks:
            [(HookFilter.Where(n => n.EndsWith("hook_pattern") || n == "hook_embed"), (g, hook) => { seen[hook.Name] = g.ShapeArray; return null; })]);
        Assert.Empty(seen);
        logits.Reshape(-1, 11).CrossEntropy(tokens.Reshape(-1), reduction: "sum").Backward();   // (not a real next-token loss; any scalar will do)
        Assert.Equal([Batch, 2, Pos, Pos], seen["blocks.0.attn.hook_pattern"]);
        Assert.Equal([Batch, 2, Pos, Pos], seen["blocks.1.attn.hook_pattern"]);
        Assert.Equal([Batch, Pos, 8], seen["hook_embed"]);
        Assert.True(model.Embed.W_E.Grad!.Abs().Sum().Item() > 0);

        // a backward hook can replace the gradient: zero at hook_embed leaves W_E without gradient
        model.Embed.W_E.Grad = null;
        var logits2 = model.RunWithHooks(tokens, bwdHooks: [("hook_embed", (g, hook) => Tensor.ZerosLike(g))]);
        logits2.Sum().Backward();
        Assert.Equal(0.0, model.Embed.W_E.Grad!.Abs().Sum().Item());
    }

    [Fact]
    public void CacheWithGradKeepsTheGraphToActivations()
    {
        var model = Model(Cfg());
        var (logits, cache) = model.RunWithCache(Tokens(), n => n == "blocks.1.hook_resid_mid", withGrad: true);
        var resid = cache.ResidMid(1).RetainGrad();
        logits.Sum().Backward();
        Assert.Equal([Batch, Pos, 8], resid.Grad!.ShapeArray);
    }

    [Fact]
    public void CachedGradientsMatchFiniteDifferencesAndLeaveParameterGradsAlone()
    {
        var model = Model(Cfg());
        var tokens = Tokens();
        Tensor Metric(Tensor logits) => logits[.., ^1, 3].Sum() - logits[.., 2, 5].Mean();   // any scalar of the logits
        var earlier = model.Embed.W_E.Grad = Tensor.OnesLike(model.Embed.W_E);
        var (logits, cache) = model.RunWithCache(tokens, backwardFrom: Metric);
        Assert.Same(earlier, model.Embed.W_E.Grad);
        Assert.Null(model.Blocks[0].Attn.W_Q.Grad);
        Assert.False(logits.RequiresGrad);
        foreach (var name in model.HookPoints.Keys) Assert.Equal(cache[name].ShapeArray, cache[name + "_grad"].ShapeArray);
        Assert.Equal(cache["blocks.0.hook_resid_post_grad"].ToDoubleArray(), cache["blocks.1.hook_resid_pre_grad"].ToDoubleArray());

        // central differences: a forward hook nudges one element of the activation
        double MetricWith(string hook, int index, double step)
        {
            using var _ = GradMode.NoGrad();
            ForwardHook nudge = (act, _) =>
            {
                var values = act.ToDoubleArray();
                values[index] += step;
                return Tensor.FromDoubles(values, act.ShapeArray, DType.Float64);
            };
            return Metric(model.RunWithHooks(tokens, [(hook, nudge)])).Item();
        }
        foreach (var hook in new[] { "hook_embed", "hook_pos_embed", "blocks.0.hook_resid_post", "blocks.1.attn.hook_pattern", "blocks.1.mlp.hook_pre" })
        {
            var grad = cache[hook + "_grad"].ToDoubleArray();
            Assert.Contains(grad, g => Math.Abs(g) > 1e-3);
            foreach (int i in new[] { 0, 7, grad.Length - 1 })
            {
                double numeric = (MetricWith(hook, i, 1e-6) - MetricWith(hook, i, -1e-6)) / 2e-6;
                Assert.True(Math.Abs(numeric - grad[i]) <= 1e-6 * (1 + Math.Abs(numeric)), $"{hook}[{i}]: cached {grad[i]}, finite difference {numeric}");
            }
        }

        var (_, some) = model.RunWithCache(tokens, n => n.EndsWith("hook_z"), backwardFrom: Metric);
        Assert.Equal(["blocks.0.attn.hook_z", "blocks.1.attn.hook_z", "blocks.1.attn.hook_z_grad", "blocks.0.attn.hook_z_grad"], some.Names);
        Assert.Contains("scalar", Assert.Throws<ArgumentException>(() => model.RunWithCache(tokens, backwardFrom: l => l)).Message);
        Assert.Null(model.Blocks[0].Attn.W_Q.Grad);
    }

    [Theory]
    [InlineData("LN", "standard", "gelu_new")]
    [InlineData("LNPre", "shortformer", "gelu")]
    [InlineData("none", "standard", "relu")]
    public void LossGradientsMatchFiniteDifferences(string norm, string pos, string act)
    {
        var cfg = Cfg(dMlp: 4, norm: norm, pos: pos, act: act, layers: 1) with { DModel = 4, NHeads = 2, DHead = 2, DVocab = 5, NCtx = 4 };
        var model = Model(cfg);
        var tokens = Tensor.FromArray(new[] { 1, 4, 0, 2, 3, 3 }, [2, 3]);
        var targets = Tensor.FromArray(new[] { 4, 0, 2, 3, 3, 1 });
        var sd = model.StateDict();
        var inputs = new[] { "embed.W_E", "blocks.0.attn.W_Q", "blocks.0.attn.W_K", "blocks.0.attn.W_O", "blocks.0.mlp.W_in", "unembed.W_U" }
            .Select(n => sd[n]).ToArray();
        if (norm == "LN") inputs = [.. inputs, sd["blocks.0.ln1.w"], sd["ln_final.b"]];
        GradCheck.Assert(_ => model.Forward(tokens).Reshape(-1, 5).CrossEntropy(targets), inputs);
    }

    [Theory]
    [InlineData("standard", 16)]
    [InlineData("shortformer", 0)]
    public void KeyValueCacheGivesTheFullForwardLogits(string pos, int dMlp)
    {
        var model = Model(Cfg(dMlp: dMlp, pos: pos));
        var tokens = Tokens(pos: 9);
        var full = model.Forward(tokens);

        var cache = new KeyValueCache(2);
        for (int p = 0; p < 9; p++)
            Close(full.Narrow(1, p, 1), model.Forward(tokens.Narrow(1, p, 1), cache), 1e-10);
        Assert.Equal(9, cache.Length);

        var chunked = new KeyValueCache(2);
        var first = model.Forward(tokens.Narrow(1, 0, 4), chunked);
        var rest = model.Forward(tokens.Narrow(1, 4, 5), chunked);
        Close(full, Tensor.Cat([first, rest], 1), 1e-10);

        var err = Assert.Throws<ArgumentException>(() => model.Forward(Tokens(pos: 4), cache));
        Assert.Contains("n_ctx", err.Message);
        Assert.Throws<ArgumentException>(() => model.Forward(Tokens(batch: 3, pos: 1), chunked));
    }

    [Fact]
    public void GreedyGenerationMatchesArgmaxOfTheFullForward()
    {
        var model = Model(Cfg());
        var prompt = Tokens(pos: 3);
        var generated = model.Generate(prompt, 6, temperature: 0);
        Assert.Equal([Batch, 9], generated.ShapeArray);
        var ids = generated.ToIntArray();
        for (int p = 3; p < 9; p++)
        {
            var argmax = model.Forward(generated.Narrow(1, 0, p)).Select(1, p - 1).ArgMax(-1).ToIntArray();
            for (int b = 0; b < Batch; b++) Assert.Equal(argmax[b], ids[b * 9 + p]);
        }
        Close(model.Generate(prompt, 6, temperature: 0), model.Generate(prompt, 6, temperature: 1, topK: 1, gen: new Generator(1)), 0);
        Close(model.Generate(prompt, 6, gen: new Generator(9)), model.Generate(prompt, 6, gen: new Generator(9)), 0);
        Assert.Equal([5], model.Generate(Tensor.FromArray(new[] { 1, 2 }), 3).ShapeArray);
        Assert.Contains("n_ctx", Assert.Throws<ArgumentException>(() => model.Generate(prompt, 11)).Message);
    }

    public static TheoryData<string, int, string, bool, bool, bool> ProcessingCases => new()
    {
        { "LN", 16, "standard", false, true, false },
        { "LN", 0, "standard", true, false, true },
        { "LN", 16, "standard", true, true, true },
        { "LNPre", 16, "standard", false, true, true },
        { "LNPre", 0, "shortformer", false, true, true },
        { "LN", 16, "standard", false, false, false },
    };

    [Theory]
    [MemberData(nameof(ProcessingCases))]
    public void WeightProcessingKeepsPredictions(string norm, int dMlp, string pos, bool tied, bool attnBias, bool unembedBias)
    {
        var model = Model(Cfg(dMlp, norm, pos, tied: tied, attnBias: attnBias, unembedBias: unembedBias));
        var tokens = Tokens(pos: 7);
        var expected = model.Forward(tokens).LogSoftmax(-1);
        var before = model.StateDict().ToDictionary(p => p.Key, p => p.Value.Clone());
        foreach (var flags in new[] { (true, false, false, false), (false, true, false, false), (false, false, true, false), (false, false, false, true), (true, true, true, true) })
        {
            var processed = model.ProcessWeights(flags.Item1, flags.Item2, flags.Item3, flags.Item4);
            Close(expected, processed.Forward(tokens).LogSoftmax(-1), 1e-10);
            if (flags.Item1) Assert.NotEqual("LN", processed.Config.Normalization);
        }
        var all = model.ProcessWeights(foldLn: true, centerWritingWeights: true, centerUnembed: true, foldValueBiases: true);
        Assert.DoesNotContain(all.StateDict().Keys, k => k.Contains("ln"));
        Assert.True(all.Embed.W_E.Mean(-1).Abs().Max().Item() < 1e-12);
        Assert.True(all.Unembed.W_U!.Mean(-1).Abs().Max().Item() < 1e-12);
        foreach (var (name, p) in model.StateDict()) Close(before[name], p, 0);   // the original is untouched
    }

    [Fact]
    public void WeightProcessingRefusesWhatWouldChangePredictions()
    {
        Assert.Contains("shortformer", Assert.Throws<InvalidOperationException>(() => Model(Cfg(pos: "shortformer")).ProcessWeights()).Message);
        Assert.Contains("normalised", Assert.Throws<InvalidOperationException>(() => Model(Cfg(norm: "none")).ProcessWeights(foldLn: false)).Message);
    }

    [Fact]
    public void BadTokensFailBeforeAnyKernel()
    {
        var model = Model(Cfg());
        Assert.Contains("vocabulary", Assert.Throws<ArgumentException>(() => model.Forward(Tensor.FromArray(new[] { 1, 11, 2 }, [1, 3]))).Message);
        Assert.Contains("vocabulary", Assert.Throws<ArgumentException>(() => model.Forward(Tensor.FromArray(new[] { -1 }, [1, 1]))).Message);
        Assert.Contains("n_ctx = 12", Assert.Throws<ArgumentException>(() => model.Forward(Tokens(pos: 13))).Message);
        Assert.Contains("int32", Assert.Throws<ArgumentException>(() => model.Forward(Tensor.Zeros([1, 3]))).Message);
        Assert.Contains("[batch, pos]", Assert.Throws<ArgumentException>(() => model.Forward(Tensor.FromArray(new int[8], [2, 2, 2]))).Message);
    }

    [Fact]
    public void BadConfigsFailWithTheFieldName()
    {
        Assert.Contains("DModel", Assert.Throws<ArgumentException>(() => new HookedTransformer(Cfg() with { DModel = 0 })).Message);
        Assert.Contains("ActFn", Assert.Throws<ArgumentException>(() => new HookedTransformer(Cfg(act: "swish"))).Message);
        Assert.Contains("Normalization", Assert.Throws<ArgumentException>(() => new HookedTransformer(Cfg(norm: "RMS"))).Message);
        Assert.Contains("PositionalEmbedding", Assert.Throws<ArgumentException>(() => new HookedTransformer(Cfg(pos: "rotary"))).Message);
        Assert.Contains("DMlp", Assert.Throws<ArgumentException>(() => new HookedTransformer(Cfg(dMlp: -1))).Message);
        Assert.Contains("Dtype", Assert.Throws<ArgumentException>(() => new HookedTransformer(Cfg(dtype: DType.Int32))).Message);
    }

    [Fact]
    public void LoadStateDictChecksNamesAndShapes()
    {
        var model = new HookedTransformer(Cfg());
        var sd = model.StateDict().ToDictionary(p => p.Key, p => p.Value.Detach());
        sd.Remove("blocks.1.mlp.b_in");
        Assert.Contains("blocks.1.mlp.b_in", Assert.Throws<ArgumentException>(() => model.LoadStateDict(sd)).Message);
        sd["blocks.1.mlp.b_in"] = Tensor.Zeros([15], DType.Float64);
        Assert.Contains("[15]", Assert.Throws<ArgumentException>(() => model.LoadStateDict(sd)).Message);
    }

    [Fact]
    public void Float32ModelRunsUnderAnomalyModeWithItsCausalMask()
    {
        var model = new HookedTransformer(Cfg(dtype: DType.Float32) with { InitRange = null });
        using var _ = Anomaly.Enable();
        var logits = model.Forward(Tokens());
        Assert.Equal(DType.Float32, logits.DType);
        logits.Sum().Backward();
        Assert.NotNull(model.Blocks[0].Attn.W_Q.Grad);
    }
}
