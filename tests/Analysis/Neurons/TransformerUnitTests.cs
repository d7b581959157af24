using Interp.Analysis.Neurons;
using Interp.Nn;
using Interp.Transformers;
using Xunit;

namespace Interp.Tests.Analysis.Neurons;

/// <summary>
/// The neuron tools on a transformer's MLP neurons and attention heads: on <see cref="PlantedTransformer"/> (all 216
/// sequences, the classes the logits at position 2) each recovers the planted mechanism; on a random LayerNorm model
/// the direct attribution of neurons and heads adds up, with the rest of the residual stream, to the logit difference.
/// </summary>
public class TransformerUnitTests
{
    static readonly Lazy<ModelOnDataset> Shared = new(() =>
    {
        var tokens = PlantedTransformer.AllSequences();
        return new ModelOnDataset(TransformerClassifier.Of(PlantedTransformer.Build(), position: 2), tokens, PlantedTransformer.FirstTokens(tokens), batchSize: 100);
    });
    static ModelOnDataset Run => Shared.Value;
    const string Neurons = PlantedTransformer.Neurons, Heads = PlantedTransformer.Heads;
    const int Answer = ModelOnDataset.Answer;

    [Fact]
    public void TheModelPredictsTheFirstTokenWithLogitTwo()
    {
        var run = Run;
        Assert.Equal(run.Answers, run.Labels);
        Assert.All(run.LogitDifference(Answer, null), v => Assert.Equal(2.0, v, 3));
    }

    [Fact]
    public void TheCensusFindsTheDeadTheAlwaysOnAndTheAnswerNeurons()
    {
        var census = NeuronCensus.Take(Neurons, Run.UnitValues(Neurons));
        Assert.Equal(PlantedTransformer.DMlp, census.Units.Length);
        Assert.Equal([9, 10, 11], census.Of(UnitKind.Dead));
        Assert.Equal([6, 7, 8], census.Of(UnitKind.AlwaysOn));
        Assert.All(census.Units.Take(6), u => Assert.Equal(1.0 / 6, u.FractionActive, 12));   // neuron t fires when the first token is t
    }

    [Fact]
    public void DirectAttributionOfTheNeuronsIsTheWholeAnswerLogitAndRanksTheAnswerNeuronsFirst()
    {
        var run = Run;
        var a = DirectAttribution.Compute(run, Neurons, Answer, null)!;
        Assert.Contains("blocks.0.mlp.W_out", a.Target);
        var logit = run.LogitDifference(Answer, null);
        var sum = a.GroupSum(Enumerable.Range(0, PlantedTransformer.DMlp));
        for (int i = 0; i < run.Count; i++) Assert.Equal(logit[i], sum[i], 4);   // W_U reads only what neurons 0–5 write
        Assert.Equal([0, 1, 2, 3, 4, 5], a.Ranked.Take(6).Order().ToArray());
        Assert.All(a.Units.Take(6), u => Assert.Equal(2.0 / 6, u.Mean, 3));
        Assert.All(a.Units.Skip(6), u => Assert.Equal(0, u.Mean));
        Assert.Equal(2.0, a.Units[3].MeanByLabel[3], 3);   // a neuron contributes on the sequences whose answer is its token
        Assert.Equal(0.0, a.Units[3].MeanByLabel[4], 12);
    }

    [Fact]
    public void HeadsAreUnitsOfHookZ_AblatingTheCopyingHeadDestroysTheBehaviourAndTheOtherHeadNothing()
    {
        var run = Run;
        Assert.Equal(2, Ablation.UnitCount(run, Heads));
        foreach (var mode in Enum.GetValues<AblationMode>())
        {
            var copying = Ablation.Run(run, Heads, [0], mode, Answer, null, seed: 1);
            Assert.True(copying.Agreement < 0.3, $"{mode}: {copying.Agreement}");
            Assert.True(copying.MetricAfter < 0.5, $"{mode}: {copying.MetricAfter}");
            var other = Ablation.Run(run, Heads, [1], mode, Answer, null, seed: 1);
            Assert.Equal(1.0, other.Agreement);
            Assert.Equal(2.0, other.MetricAfter, 3);
        }
        // head 0 writes nowhere W_U reads: its effect is all through the MLP, which direct attribution does not see
        var direct = DirectAttribution.Compute(run, Heads, Answer, null)!;
        Assert.All(direct.Units, u => Assert.Equal(0, u.Mean, 9));
    }

    [Fact]
    public void KeepingTheTopSixNeuronsPreservesTheBehaviourAndZeroingThemDestroysIt()
    {
        var run = Run;
        var ranking = DirectAttribution.Compute(run, Neurons, Answer, null)!.Ranked;
        var curve = Faithfulness.KeepTopK(run, Neurons, ranking, [0, 6, 12], AblationMode.Mean, Answer, null);
        Assert.True(curve[0].Agreement < 0.3, $"k=0: {curve[0].Agreement}");
        Assert.Equal(1.0, curve[1].Agreement);
        Assert.Equal(1.0, curve[2].Agreement);
        var zero = Ablation.Run(run, Neurons, [0, 1, 2, 3, 4, 5], AblationMode.Zero, Answer, null);
        Assert.Equal(0, zero.MetricAfter, 12);
        Assert.Equal(36.0 / 216, zero.Agreement, 12);   // every logit 0: the label falls to 0, right for the 36 answers 0
        Assert.Equal(36, zero.ChangeCount(1, 0));
    }

    [Fact]
    public void CoactivationGroupsSeparateTheAnswerNeuronsAndThePcaOfTheResidualHasTenDimensions()
    {
        var run = Run;
        var study = NeuronStudy.Run(run, new NeuronStudyOptions(Neurons, Answer, null), curve: false);
        Assert.Contains(study.Groups.Groups, g => g.Units.SequenceEqual([6, 7, 8]));
        Assert.Equal(15, study.Groups.NeverTogether().Count());   // the six answer neurons: never two on one sequence
        // position 2's residual varies with its own token and the copied one: 5 + 5 dimensions
        var pca = HookPca.Run(run, "blocks.0.hook_resid_post", 12);
        Assert.Equal(1.0, pca.Pca.ExplainedRatio.Take(10).Sum(), 6);
        Assert.True(pca.Pca.ExplainedRatio[9] > 0.01);
    }

    [Theory]
    [InlineData("blocks.1.mlp.hook_post")]
    [InlineData("blocks.1.attn.hook_z")]
    [InlineData("blocks.0.mlp.hook_post")]
    public void DirectAttributionThroughTheFinalLayerNormAddsUpToTheLogitDifferenceWithTheRestOfTheResidual(string hook)
    {
        var model = RandomLayerNormModel();
        var tokens = Tensor.RandInt(0, 11, [8, 5], new Generator(4));
        const int pos = 3, plus = 2, minus = 7;
        var run = new ModelOnDataset(TransformerClassifier.Of(model, pos), tokens, answers: null);
        var a = DirectAttribution.Compute(run, hook, plus, minus)!;
        Assert.False(a.Complete);
        var (logits, cache) = model.RunWithCache(tokens);
        // the rest: the final residual minus what the units wrote, through LN (centre, the model's own scale, w, b) and W_U
        int layer = hook[7] - '0';
        var written = hook.EndsWith("hook_z")
            ? Tensor.Einsum("bhe,hed->bd", cache[hook].Select(1, pos), model.Blocks[layer].Attn.W_O)
            : cache[hook].Select(1, pos).MatMul(model.Blocks[layer].Mlp!.W_out);
        var rest = (cache["blocks.1.hook_resid_post"].Select(1, pos) - written).To(DType.Float64);
        rest = (rest - rest.Mean(-1, keepDim: true)) / cache["ln_final.hook_scale"].Select(1, pos).To(DType.Float64);
        var wU = model.Unembed.W_U!.To(DType.Float64);
        var direction = (wU.Select(1, plus) - wU.Select(1, minus)) * model.LnFinal!.W!.To(DType.Float64);
        var restLogit = (rest * direction).Sum(-1).ToDoubleArray();
        double bias = (model.LnFinal.B!.To(DType.Float64) * (wU.Select(1, plus) - wU.Select(1, minus))).Sum().Item()
            + model.Unembed.b_U!.To(DType.Float64).Select(0, plus).Item() - model.Unembed.b_U!.To(DType.Float64).Select(0, minus).Item();
        Assert.Equal(bias, a.Bias, 5);
        var units = a.GroupSum(Enumerable.Range(0, a.Units.Length));
        var l = logits.To(DType.Float64).Select(1, pos);
        var diff = (l.Select(1, plus) - l.Select(1, minus)).ToDoubleArray();
        for (int i = 0; i < diff.Length; i++) Assert.Equal(diff[i], units[i] + restLogit[i] + a.Bias, 4);
        Assert.True(units.Select(Math.Abs).Max() > 0.01);   // the units do carry part of it
    }

    // 2 layers, LayerNorm with random weights and biases, GELU MLPs, biases everywhere
    static HookedTransformer RandomLayerNormModel()
    {
        var model = new HookedTransformer(new TransformerConfig
        {
            NLayers = 2, DModel = 16, NHeads = 2, DHead = 8, DMlp = 32, DVocab = 11, NCtx = 6, ActFn = "gelu", Seed = 5, InitRange = 0.3,
        });
        var state = model.StateDict();
        var gen = new Generator(6);
        foreach (var name in state.Keys.Where(k => k.StartsWith("ln") || k.Contains(".ln") || k.StartsWith("unembed.b") || k.Contains(".b_")).ToList())
            state[name] = name.EndsWith(".w") ? Tensor.Rand(state[name].ShapeArray, gen) + 0.5 : Tensor.Randn(state[name].ShapeArray, gen) * 0.3;
        model.LoadStateDict(state);
        return model;
    }
}
