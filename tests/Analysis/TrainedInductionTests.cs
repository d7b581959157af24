using Interp.Analysis.Heads;
using Interp.Analysis.Residual;
using Interp.Training;
using Interp.Transformers;
using Xunit;

namespace Interp.Tests.Analysis;

/// <summary>
/// The small induction model of ToyTrainingTests (ToyModels.TrainInduction: vocabulary 16, L = 8, d_model 32, 2 heads,
/// 300 steps, ~10 s), trained once per test run and shared by every test that analyses it. Tests must not change its
/// weights, and run in the "TrainedInduction" collection: a cached run hooks the model, so two runs at once would
/// record each other.
/// </summary>
public static class TrainedInduction
{
    public static readonly InductionOptions Options = new(Steps: 300, VocabSize: 16, Length: 8, DModel: 32, NHeads: 2, DHead: 16,
        BatchSize: 16, LearningRate: 3e-3, EvalEvery: 300, EvalBatch: 64);

    static readonly Lazy<HookedTransformer> model = new(() =>
    {
        var m = ToyModels.TrainInduction(Options).Model;
        m.Eval();
        return m;
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    public static HookedTransformer Model => model.Value;
}

[CollectionDefinition("TrainedInduction")]
public sealed class TrainedInductionCollection;

[Collection("TrainedInduction")]
public class TrainedInductionTests
{
    static void Close(Tensor expected, Tensor actual, double tol)
    {
        Assert.Equal(expected.ShapeArray, actual.ShapeArray);
        var e = expected.ToDoubleArray();
        var a = actual.ToDoubleArray();
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= tol * (1 + Math.Abs(e[i])), $"[{i}]: expected {e[i]}, got {a[i]}");
    }

    /// <summary>Mean next-token loss on the repeated half with head (layer, head) zero-ablated (its z set to 0).</summary>
    static double RepeatedHalfLossWithout(HookedTransformer model, Tensor tokens, int repeatStart, (int Layer, int Head)? ablate)
    {
        int pos = tokens.Size(1);
        var hooks = new List<(HookFilter, ForwardHook)>();
        if (ablate is var (l, h))
        {
            var keep = Tensor.Ones([1, 1, model.Config.NHeads, 1]);
            keep = keep.MaskedFill(Tensor.FromArray(Enumerable.Range(0, model.Config.NHeads).Select(i => i == h ? 1 : 0).ToArray(), [1, 1, model.Config.NHeads, 1]), 0);
            hooks.Add(($"blocks.{l}.attn.hook_z", (z, _) => z * keep));
        }
        using var _ = Interp.Autograd.GradMode.NoGrad();
        var logits = model.RunWithHooks(tokens.Narrow(1, 0, pos - 1).Contiguous(), hooks);
        int from = repeatStart, n = pos - 1 - repeatStart;   // logits at p predict token p + 1
        return logits.Narrow(1, from, n).Contiguous().Reshape(-1, model.Config.DVocab)
            .CrossEntropy(tokens.Narrow(1, from + 1, n).Contiguous().Reshape(-1)).Item();
    }

    [Fact]
    public void TheTopRankedInductionHeadIsTheOneTheRepeatedHalfNeeds()
    {
        // Ranking checked against behaviour: ablating the top induction head hurts the repeated half at least twice as much as
        // ablating the bottom-ranked head. (The toy's repeat length is fixed, so at the trained L its "induction"
        // attention may be positional, q − (L−1); docs/analysis.md shows the scan at another L telling the two apart.)
        var model = TrainedInduction.Model;
        var scan = HeadScan.OnRepeatedRandomTokens(model, length: 8, batch: 32, bos: 0, seed: 123);
        Assert.Equal([2, 2], scan.Induction.ShapeArray);
        var ranked = scan.Ranked(HeadScoreKind.Induction);
        var (top, bottom) = (ranked[0], ranked[^1]);
        // a uniform causal pattern gives the same queries ~1/(q+1) per counted key: the top head must be far above it
        var uniform = HeadScores.Induction(UniformPattern(scan.Tokens.Size(0), 17), scan.Tokens, firstQuery: 9).Item();
        Assert.True(top.Score > 2 * uniform, $"top induction head {top.Label} scores {top.Score:F3}, uniform attention {uniform:F3}\n{scan.ToCsv()}");

        int repeatStart = 9;
        double clean = RepeatedHalfLossWithout(model, scan.Tokens, repeatStart, null);
        double withoutTop = RepeatedHalfLossWithout(model, scan.Tokens, repeatStart, (top.Layer, top.Head));
        double withoutBottom = RepeatedHalfLossWithout(model, scan.Tokens, repeatStart, (bottom.Layer, bottom.Head));
        Assert.True(withoutTop - clean > 2 * Math.Max(withoutBottom - clean, 0.05),
            $"repeated-half loss {clean:F3}; without {top.Label} {withoutTop:F3}, without {bottom.Label} {withoutBottom:F3}\n{scan.ToCsv()}");

        var csv = scan.ToCsv().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, csv.Length);
        Assert.EndsWith(",1", csv.Single(line => line.StartsWith($"{top.Layer},{top.Head},")));
    }

    static Tensor UniformPattern(int batch, int pos)
    {
        var a = new float[pos * pos];
        for (int q = 0; q < pos; q++)
            for (int k = 0; k <= q; k++) a[q * pos + k] = 1f / (q + 1);
        return Tensor.FromArray(a, [1, 1, pos, pos]).Expand([batch, 1, pos, pos]);
    }

    [Fact]
    public void OnTheTrainedInductionModelLayerOneHeadsWriteTheRepeatedTokenDirectly()
    {
        // DLA of the correct next token vs the mean logit: on the repeated half, layer-1 heads carry most of it
        var model = TrainedInduction.Model;
        var tokens = new Interp.Data.Tasks.RepeatedTokens(16, 8, bos: 0, seed: 77).Batch(8);
        var input = tokens.Narrow(1, 0, 16).Contiguous();
        var next = tokens.Narrow(1, 1, 16).Contiguous();
        var (logits, rs) = ResidualStream.Run(model, input);
        var stack = rs.FullResidDecomposition(applyLn: true);
        var attrs = rs.LogitAttrs(stack, next);   // [component, batch, pos]
        var diff = logits.Gather(2, next.Unsqueeze(2)).Squeeze(2);
        Close(diff, attrs.Sum(0) + rs.LogitBias(next), 1e-4);
        var repeated = attrs.Narrow(2, 9, 7).Mean([1, 2]).ToDoubleArray();   // predictions of tokens 10..16
        int best = Array.IndexOf(repeated, repeated.Max());
        Assert.StartsWith("L1H", stack.Labels[best]);
    }
}
