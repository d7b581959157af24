using Interp.Analysis.Sae;
using Interp.Nn;
using Interp.Transformers;
using Xunit;

namespace Interp.Tests.Analysis.Sae;

public sealed class SaeTests : IDisposable
{
    readonly string dir = Path.Combine(Path.GetTempPath(), $"interp-sae-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    static SparseAutoencoder NewSae(int dIn, int dSae, string arch = "standard", int k = 0, double l1 = 0, DType dtype = DType.Float32, ulong seed = 1) =>
        new(new SaeConfig { DIn = dIn, DSae = dSae, Architecture = arch, K = k, L1Coefficient = l1, DTypeName = dtype.Name(), Seed = seed });

    /// <summary>Unit directions [m, d] and a sampler of x = Σ_j c_j·u_j over a few active j (each on with prob. active/m, c ~ U(1, 2)).</summary>
    sealed class PlantedDictionary
    {
        public readonly double[,] Directions;
        readonly Generator gen;
        readonly int m, d;
        readonly double p;

        public PlantedDictionary(int m, int d, double active, ulong seed)
        {
            (this.m, this.d, p, gen) = (m, d, active / m, new Generator(seed));
            Directions = new double[m, d];
            for (int j = 0; j < m; j++)
            {
                double norm = 0;
                for (int i = 0; i < d; i++) norm += Math.Pow(Directions[j, i] = gen.NextNormal(), 2);
                for (int i = 0; i < d; i++) Directions[j, i] /= Math.Sqrt(norm);
            }
        }

        public Tensor Sample(int n)
        {
            var x = new float[n * d];
            for (int r = 0; r < n; r++)
                for (int j = 0; j < m; j++)
                {
                    if (gen.NextDouble() >= p) continue;
                    double c = 1 + gen.NextDouble();
                    for (int i = 0; i < d; i++) x[r * d + i] += (float)(c * Directions[j, i]);
                }
            return Tensor.FromArray(x, [n, d]);
        }

        /// <summary>For each planted direction, the largest cosine with any decoder row (rows are unit norm).</summary>
        public double[] BestCosines(SparseAutoencoder sae)
        {
            var w = sae.W_dec.Detach().ToDoubleArray();
            var best = new double[m];
            for (int j = 0; j < m; j++)
            {
                best[j] = double.NegativeInfinity;
                for (int f = 0; f < sae.DSae; f++)
                {
                    double dot = 0, norm = 0;
                    for (int i = 0; i < d; i++) { dot += w[f * d + i] * Directions[j, i]; norm += w[f * d + i] * w[f * d + i]; }
                    best[j] = Math.Max(best[j], dot / Math.Sqrt(norm));
                }
            }
            return best;
        }
    }

    [Theory]
    [InlineData("standard")]
    [InlineData("topk")]
    public void RecoversPlantedSparseFeatures(string arch)
    {
        // 20 random unit directions in 12 dimensions (overcomplete), about 2 active per input; d_sae = 40
        var planted = new PlantedDictionary(m: 20, d: 12, active: 2, seed: 7);
        var sae = NewSae(12, 40, arch, k: arch == "topk" ? 4 : 0, l1: 0.5, seed: 3);
        var trainer = new SaeTrainer(sae, () => planted.Sample(256), planted.Sample,
            new SaeTrainingOptions(Steps: 600, LearningRate: 1e-2, DecoderBiasInit: "mean", InitRows: 1024, ResampleEvery: 200, ResampleRows: 2048));
        trainer.Run();
        var cosines = planted.BestCosines(sae);
        int matched = cosines.Count(c => c > 0.9);
        Assert.True(matched >= 0.9 * cosines.Length,
            $"{arch}: {matched}/{cosines.Length} planted directions have a decoder row with cosine > 0.9 (cosines {string.Join(", ", cosines.Select(c => c.ToString("F2")))})");
        var metrics = SaeMetrics.Compute(sae, [planted.Sample(4096)]);
        // the L1 penalty shrinks activations, so the standard SAE's reconstruction is not perfect (measured: 0.92, topk 0.94)
        Assert.True(metrics.ExplainedVariance > 0.85, $"{arch}: explained variance {metrics.ExplainedVariance:F3}");
    }

    [Fact]
    public void TopKKeepsExactlyKFeatures()
    {
        var sae = NewSae(8, 32, "topk", k: 5, seed: 2);
        // b_enc large enough that every pre-activation is positive, so ReLU keeps all k
        sae.Assign(("b_enc", Tensor.Full([32], 100.0)));
        var f = sae.Encode(Tensor.Randn([64, 8], new Generator(4)));
        var counts = f.Gt(0).Sum(1).ToDoubleArray();
        Assert.All(counts, c => Assert.Equal(5, c));
        Assert.Equal(5.0, SaeMetrics.Compute(sae, [Tensor.Randn([64, 8], new Generator(5))]).L0);

        // and the kept ones are the k largest pre-activations of each row
        var pre = sae.PreActivations(Tensor.Randn([64, 8], new Generator(4))).ToDoubleArray();
        var fv = f.ToDoubleArray();
        for (int r = 0; r < 64; r++)
        {
            var row = pre.AsSpan(r * 32, 32).ToArray();
            double kth = row.OrderDescending().ElementAt(4);
            for (int j = 0; j < 32; j++) Assert.Equal(row[j] >= kth, fv[r * 32 + j] > 0);
        }
    }

    [Fact]
    public void TopKMaskPicksTheLargestEntriesAndBreaksTiesByIndex()
    {
        var x = Tensor.FromArray([3f, 1f, 3f, 2f, 0f, 5f, 5f, 5f], [2, 4]);
        Assert.Equal([1f, 0f, 1f, 0f, 0f, 1f, 1f, 0f], TopK.Mask(x, 2).ToFloatArray());
        Assert.Throws<ArgumentException>(() => TopK.Mask(x, 5));
    }

    [Fact]
    public void DecoderRowsHaveUnitNormAfterTrainingSteps()
    {
        var sae = NewSae(10, 20, l1: 1.0, seed: 6);
        var gen = new Generator(9);
        var trainer = new SaeTrainer(sae, () => Tensor.Randn([32, 10], gen) * 3.0, n => Tensor.Randn([n, 10], gen),
            new SaeTrainingOptions(Steps: 5, LearningRate: 0.05, DecoderBiasInit: "zeros"));
        for (int i = 0; i < 5; i++) trainer.Step(Tensor.Randn([32, 10], gen) * 3.0);
        Assert.All(sae.W_dec.Norm(2, 1).ToDoubleArray(), n => Assert.Equal(1.0, n, 5));
    }

    [Fact]
    public void DecoderGradientLosesItsComponentAlongEachRow()
    {
        var sae = NewSae(6, 9, l1: 0.5, dtype: DType.Float64, seed: 8);
        var x = Tensor.Randn([16, 6], new Generator(3), DType.Float64);
        sae.Loss(x).Total.Backward();
        var before = sae.W_dec.Grad!.ToDoubleArray();
        sae.RemoveGradientParallelToDecoderDirections();
        var after = sae.W_dec.Grad!.ToDoubleArray();
        var rows = sae.W_dec.Detach().ToDoubleArray();
        for (int f = 0; f < 9; f++)
        {
            double dotAfter = 0, dotBefore = 0, change = 0, changeAlongRow = 0;
            for (int i = 0; i < 6; i++)
            {
                int a = f * 6 + i;
                dotAfter += after[a] * rows[a];
                dotBefore += before[a] * rows[a];
                change += Math.Pow(before[a] - after[a], 2);
                changeAlongRow += (before[a] - after[a]) * rows[a];
            }
            Assert.Equal(0.0, dotAfter, 12);                                   // orthogonal to the row now
            Assert.Equal(Math.Sqrt(change), Math.Abs(changeAlongRow), 12);      // what was removed is parallel to the row
            Assert.Equal(Math.Abs(dotBefore), Math.Sqrt(change), 12);           // and it is exactly the parallel part
        }
    }

    [Theory]
    [InlineData("standard")]
    [InlineData("topk")]
    public void LossGradientsMatchFiniteDifferences(string arch)
    {
        var sae = NewSae(5, 7, arch, k: 3, l1: 0.3, dtype: DType.Float64, seed: 11);
        var gen = new Generator(12);
        sae.Assign(("b_enc", Tensor.Randn([7], gen, DType.Float64) * 0.5), ("b_dec", Tensor.Randn([5], gen, DType.Float64) * 0.5));
        var x = Tensor.Randn([4, 5], gen, DType.Float64);
        // the parameters themselves are the inputs: gradcheck perturbs them in place
        GradCheck.Assert(xs => sae.Loss(xs[0]).Total, [x, sae.W_enc, sae.W_dec, sae.b_enc, sae.b_dec]);
        // a non-contiguous batch (transposed view) and a [batch, pos, d] input through Forward
        var xt = Tensor.Randn([5, 4], gen, DType.Float64);
        GradCheck.Assert(xs => sae.Loss(xs[0].Transpose(0, 1)).Total, [xt]);
        var x3 = Tensor.Randn([2, 3, 5], gen, DType.Float64);
        GradCheck.Assert(xs => sae.Forward(xs[0]), [x3]);
    }

    [Fact]
    public void DecoderBiasIsTheMeanOrTheGeometricMedian()
    {
        var gen = new Generator(21);
        var data = Tensor.Randn([300, 4], gen).Exp();   // skewed, so mean and median differ
        var sae = NewSae(4, 8, seed: 2);
        new SaeTrainer(sae, () => data, _ => data, new SaeTrainingOptions(Steps: 1, LearningRate: 1e-12, DecoderBiasInit: "mean", InitRows: 300)).Run();
        var mean = data.Mean(0).ToDoubleArray();
        Assert.Equal(mean, sae.b_dec.ToDoubleArray(), (a, b) => Math.Abs(a - b) < 1e-6);

        var sae2 = NewSae(4, 8, seed: 2);
        new SaeTrainer(sae2, () => data, _ => data, new SaeTrainingOptions(Steps: 1, LearningRate: 1e-12, InitRows: 300)).Run();
        var median = GeometricMedian.Compute(data).Median.ToDoubleArray();
        Assert.Equal(median, sae2.b_dec.ToDoubleArray(), (a, b) => Math.Abs(a - b) < 1e-6);
        Assert.True(Math.Abs(median[0] - mean[0]) > 0.05, "skewed data: median and mean should differ");
    }

    [Fact]
    public void WeiszfeldFindsTheMinimiserOfTheSumOfDistances()
    {
        // brute force on a 2-D grid around the data (step 0.002, refined twice) versus Weiszfeld
        var gen = new Generator(5);
        var pts = new double[15, 2];
        for (int i = 0; i < 15; i++) { pts[i, 0] = gen.NextNormal() * (i % 3 == 0 ? 4 : 1); pts[i, 1] = gen.NextNormal() + (i % 4); }
        double Objective(double a, double b)
        {
            double s = 0;
            for (int i = 0; i < 15; i++) s += Math.Sqrt(Math.Pow(pts[i, 0] - a, 2) + Math.Pow(pts[i, 1] - b, 2));
            return s;
        }
        (double, double) best = (0, 0);
        double bestValue = double.PositiveInfinity, lo0 = -10, lo1 = -10, step = 0.1;
        for (int round = 0; round < 3; round++)
        {
            for (double a = lo0; a <= lo0 + 200 * step; a += step)
                for (double b = lo1; b <= lo1 + 200 * step; b += step)
                    if (Objective(a, b) is var v && v < bestValue) (bestValue, best) = (v, (a, b));
            step /= 20;
            (lo0, lo1) = (best.Item1 - 100 * step, best.Item2 - 100 * step);
        }
        var (median, _, objective) = GeometricMedian.Compute(Tensor.FromArray(pts));
        var m = median.ToDoubleArray();
        Assert.True(objective <= bestValue + 1e-9, $"weiszfeld objective {objective} vs brute force {bestValue}");
        Assert.Equal(best.Item1, m[0], 2);
        Assert.Equal(best.Item2, m[1], 2);
    }

    static HookedTransformer TinyModel() => new(new TransformerConfig
    {
        NLayers = 2, DModel = 8, NHeads = 2, DHead = 4, DMlp = 16, DVocab = 11, NCtx = 12, Seed = 3, ActFn = "relu",
    });

    /// <summary>d_sae = 2·d_in, W_enc = [I, −I], W_dec = [I; −I]: ReLU(x) − ReLU(−x) = x exactly.</summary>
    static SparseAutoencoder IdentitySae(int d)
    {
        var sae = NewSae(d, 2 * d, seed: 1);
        var eye = Tensor.Eye(d);
        sae.Assign(("W_enc", Tensor.Cat([eye, -eye], 1)), ("W_dec", Tensor.Cat([eye, -eye], 0)), ("b_enc", Tensor.Zeros([2 * d])), ("b_dec", Tensor.Zeros([d])));
        return sae;
    }

    [Fact]
    public void CeLossRecoveredIsOneForAnIdentitySpliceAndZeroForZeroAblation()
    {
        var model = TinyModel();
        var tokens = Tensor.RandInt(0, 11, [4, 12], new Generator(2));
        const string hook = "blocks.0.hook_resid_post";
        var identity = CeLossRecovered.Compute(model, IdentitySae(8), hook, [tokens]);
        Assert.Equal(1.0, identity.Recovered, 5);
        Assert.Equal(identity.Clean, identity.Spliced, 5);

        var zero = NewSae(8, 16, seed: 1);
        zero.Assign(("W_dec", Tensor.Zeros([16, 8])));
        var ablated = CeLossRecovered.Compute(model, zero, hook, [tokens]);
        Assert.Equal(0.0, ablated.Recovered, 5);
        Assert.NotEqual(ablated.Clean, ablated.ZeroAblation, 3);

        // with the first position kept, both properties hold too, and the zero-ablated loss changes
        Assert.Equal(1.0, CeLossRecovered.Compute(model, IdentitySae(8), hook, [tokens], firstPosition: 1).Recovered, 5);
        var ablatedAfterFirst = CeLossRecovered.Compute(model, zero, hook, [tokens], firstPosition: 1);
        Assert.Equal(0.0, ablatedAfterFirst.Recovered, 5);
        Assert.NotEqual(ablated.ZeroAblation, ablatedAfterFirst.ZeroAblation, 4);
    }

    [Fact]
    public void ExplainedVarianceAndMseFollowTheirDefinitions()
    {
        var x = Tensor.Randn([50, 8], new Generator(8)) + 2.0;
        var identity = SaeMetrics.Compute(IdentitySae(8), [x.Narrow(0, 0, 20), x.Narrow(0, 20, 30)]);
        Assert.Equal(1.0, identity.ExplainedVariance, 6);
        Assert.Equal(0.0, identity.Mse, 10);
        Assert.Equal(8.0, identity.L0, 6);   // each coordinate is nonzero, so one of its two features is on

        // x̂ = b_dec = the data mean (all features off): explained variance 0, MSE = the per-element variance (ddof 0)
        var meanOnly = NewSae(8, 4, seed: 1);
        meanOnly.Assign(("b_enc", Tensor.Full([4], -1e6)), ("b_dec", x.Mean(0)));
        var m = SaeMetrics.Compute(meanOnly, [x]);
        Assert.Equal(0.0, m.ExplainedVariance, 5);
        Assert.Equal(x.Var(0, correction: 0).Mean().Item(), m.Mse, 5);
        Assert.Equal(0.0, m.L0);
        Assert.Equal(1.0, m.DeadFraction);
        Assert.Equal(0.0, m.DenseFraction);
    }

    [Fact]
    public void SaveAndLoadRoundTripWithSaeLensNames()
    {
        var sae = NewSae(6, 10, "topk", k: 3, seed: 4) ;
        sae.Assign(("b_dec", Tensor.Randn([6], new Generator(1))), ("b_enc", Tensor.Randn([10], new Generator(2))));
        var (weights, cfg) = sae.Save(dir);
        Assert.Equal(["cfg.json", "sae_weights.safetensors"], Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        using (var file = Interp.IO.SafeTensorsFile.Open(weights))
            Assert.Equal(["W_dec", "W_enc", "b_dec", "b_enc"], file.Names.Order(StringComparer.Ordinal));
        var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(cfg)).RootElement;
        Assert.Equal(6, json.GetProperty("d_in").GetInt32());
        Assert.Equal(10, json.GetProperty("d_sae").GetInt32());
        Assert.Equal("topk", json.GetProperty("architecture").GetString());

        var loaded = SparseAutoencoder.Load(dir);
        Assert.Equal(sae.Config, loaded.Config);
        foreach (var ((name, a), (_, b)) in sae.NamedParameters().Zip(loaded.NamedParameters()))
            Assert.True(a.ToFloatArray().SequenceEqual(b.ToFloatArray()), name);
        var x = Tensor.Randn([3, 6], new Generator(3));
        Assert.Equal(sae.Forward(x).ToFloatArray(), loaded.Forward(x).ToFloatArray());

        // the file name this library wrote before is read too; a config that does not fit the weights is refused by name
        File.Move(weights, Path.Combine(dir, SparseAutoencoder.OldWeightsFile));
        Assert.Equal(sae.W_enc.ToFloatArray(), SparseAutoencoder.Load(dir).W_enc.ToFloatArray());
        File.WriteAllText(cfg, File.ReadAllText(cfg).Replace("\"d_sae\": 10", "\"d_sae\": 12"));
        var e = Assert.Throws<InvalidDataException>(() => SparseAutoencoder.Load(dir));
        Assert.Contains("W_enc", e.Message);
    }

    [Fact]
    public void ResamplingRevivesDeadFeatures()
    {
        var planted = new PlantedDictionary(m: 8, d: 6, active: 2, seed: 3);
        var sae = NewSae(6, 16, l1: 0.05, seed: 5);
        // kill features 0..7: a huge negative encoder bias keeps them off
        var bias = Enumerable.Range(0, 16).Select(i => i < 8 ? -1000.0 : 0.0).ToArray();
        sae.Assign(("b_enc", Tensor.FromDoubles(bias, [16])));
        var trainer = new SaeTrainer(sae, () => planted.Sample(128), planted.Sample,
            new SaeTrainingOptions(Steps: 40, LearningRate: 1e-3, DecoderBiasInit: "zeros", ResampleEvery: 20, ResampleRows: 512));
        var before = SaeMetrics.Compute(sae, [planted.Sample(1024)]);
        Assert.True(before.DeadFraction >= 0.5);
        var result = trainer.Run();
        Assert.True(result.Resamplings[0].Resampled >= 8, $"resampled {result.Resamplings[0].Resampled}");
        var b = sae.b_enc.ToDoubleArray();
        Assert.All(b.Take(8), v => Assert.True(v > -1, $"bias {v}"));
        var after = SaeMetrics.Compute(sae, [planted.Sample(1024)]);
        var density = after.FeatureDensity;
        Assert.True(density.Take(8).Count(d => d > 0) >= 6, $"densities of the resampled features: {string.Join(", ", density.Take(8).Select(d => d.ToString("F3")))}");
        Assert.All(sae.W_dec.Norm(2, 1).ToDoubleArray(), n => Assert.Equal(1.0, n, 5));
    }

    [Fact]
    public void ActivationStoreServesShuffledRowsOfTheHook()
    {
        var model = TinyModel();
        var gen = new Generator(6);
        var batches = new List<Tensor>();
        Tensor NextTokens() { var t = Tensor.RandInt(0, 11, [2, 12], gen); batches.Add(t); return t; }
        var store = new ActivationStore(model, "blocks.1.hook_resid_mid", NextTokens, batchSize: 8, bufferRows: 40, seed: 1, firstPosition: 1);
        var a = store.NextBatch();
        Assert.Equal([8, 8], a.ShapeArray);
        // every served row is one of the hook's rows on the token batches drawn so far
        var all = Tensor.Cat(batches.Select(t => ActivationStore.Rows(model, "blocks.1.hook_resid_mid", t, firstPosition: 1)).ToList()).ToFloatArray();
        int rowsSeen = all.Length / 8;
        Assert.Equal(44, rowsSeen);   // 4 token batches of 2 × 11 positions fill the 40-row buffer
        var served = a.ToFloatArray();
        var positions = new List<int>();
        for (int r = 0; r < 8; r++)
        {
            int match = Enumerable.Range(0, rowsSeen).First(j => Enumerable.Range(0, 8).All(i => all[j * 8 + i] == served[r * 8 + i]));
            positions.Add(match);
        }
        Assert.NotEqual(Enumerable.Range(0, 8), positions);   // shuffled, not in order
        for (int i = 0; i < 10; i++) store.NextBatch();
        Assert.Equal(88, store.RowsServed);
        Assert.Throws<KeyNotFoundException>(() => new ActivationStore(model, "blocks.9.hook_resid_post", NextTokens));
    }

    [Theory]
    [InlineData("blocks.0.attn.hook_pattern")]
    [InlineData("blocks.1.attn.hook_attn_scores")]
    public void ActivationStoreRefusesAHookWhoseSecondDimensionIsNotThePosition(string hook)
    {
        // [batch, head, query, key]: rows per "position" would be rows per head (and the SAE's report indexed past the tokens)
        var tokens = Tensor.RandInt(0, 11, [2, 12], new Generator(3));
        var e = Assert.Throws<ArgumentException>(() => ActivationStore.Rows(TinyModel(), hook, tokens, firstPosition: 1));
        Assert.Contains(hook, e.Message);
        Assert.Contains("[batch, head, query, key]", e.Message);
        Assert.Equal([22, 8], ActivationStore.Rows(TinyModel(), "blocks.0.attn.hook_z", tokens, firstPosition: 1).ShapeArray);   // heads × d_head per position
    }
}
