using Interp.Analysis.Heads;
using Interp.Analysis.Residual;
using Interp.Data.Tasks;
using Interp.Optim;
using Interp.Training;
using Interp.Transformers;
using Xunit;

namespace Interp.Tests.Analysis;

/// <summary>
/// A small induction model (the architecture of ToyTrainingTests' small run: vocabulary 16, d_model 32, 2 heads,
/// n_ctx 17), trained once per test run and shared by every test that analyses it. Unlike ToyModels.TrainInduction
/// the repeat length varies from batch to batch (L = 4..8): with one fixed L a layer-0 head can attend to position
/// q − (L−1) by position alone and solve the task without induction heads (the fixed-L model does exactly that).
/// Tests must not change its weights, and run in the "TrainedInduction" collection: a cached run hooks the model,
/// so two runs at once would record each other.
/// </summary>
public static class TrainedInduction
{
    public static readonly InductionOptions Options = new(Steps: 400, VocabSize: 16, Length: 8, DModel: 32, NHeads: 2, DHead: 16,
        BatchSize: 16, LearningRate: 3e-3);

    static readonly Lazy<HookedTransformer> model = new(Train, LazyThreadSafetyMode.ExecutionAndPublication);

    public static HookedTransformer Model => model.Value;

    static HookedTransformer Train()
    {
        var o = Options;
        var m = new HookedTransformer(o.ModelConfig);
        var tasks = Enumerable.Range(4, o.Length - 3).Select(l => new RepeatedTokens(o.VocabSize, l, bos: 0, seed: (ulong)l)).ToArray();
        var optimizer = new AdamW(m.Parameters(), o.LearningRate, weightDecay: o.WeightDecay);
        for (int step = 0; step < o.Steps; step++)
        {
            optimizer.ZeroGrad();
            ToyModels.NextTokenLoss(m, tasks[step % tasks.Length].Batch(o.BatchSize)).Backward();
            optimizer.Step();
        }
        m.Eval();
        return m;
    }
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

    [Fact]
    public void OnTheTrainedInductionModelTheTopInductionHeadIsInLayerOneAndAPreviousTokenHeadInLayerZero()
    {
        var scan = HeadScan.OnRepeatedRandomTokens(TrainedInduction.Model, length: 8, batch: 16, bos: 0, seed: 123);
        Assert.Equal([2, 2], scan.Induction.ShapeArray);
        var induction = scan.Ranked(HeadScoreKind.Induction);
        var top = induction[0];
        double bestLayer0 = induction.Where(r => r.Layer == 0).Max(r => r.Score);
        var ev = ToyModels.EvaluateInduction(TrainedInduction.Model, new Interp.Data.Tasks.RepeatedTokens(16, 8, bos: 0, seed: 5).Batch(64), 9);
        var row = scan.Patterns[1].Select(0, 0).Select(0, 1).Select(0, 14).ToDoubleArray();
        var row0 = scan.Patterns[0].Select(0, 0).Select(0, 1).Select(0, 14).ToDoubleArray();
        Assert.True(top.Layer == 1, $"top induction head {top.Label}; eval {ev}; tokens {string.Join(",", scan.Tokens.Select(0,0).ToIntArray())} row {string.Join(",", row.Select(x => x.ToString("F2")))} row0 {string.Join(",", row0.Select(x => x.ToString("F2")))} scores:\n{scan.ToCsv()}");
        Assert.True(top.Score > 0.5 && top.Score > 4 * bestLayer0,
            $"top induction head {top.Label} scores {top.Score:F3}; best layer-0 head {bestLayer0:F3}");
        var prev = scan.Ranked(HeadScoreKind.PreviousToken)[0];
        Assert.Equal(0, prev.Layer);
        Assert.True(prev.Score > 0.5, $"top previous-token head {prev.Label} scores {prev.Score:F3}");

        var csv = scan.ToCsv().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, csv.Length);
        Assert.EndsWith(",1", csv.Single(line => line.StartsWith($"{top.Layer},{top.Head},")));
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
