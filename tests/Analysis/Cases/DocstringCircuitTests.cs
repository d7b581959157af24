using Interp.Analysis.Cases;
using Interp.Data.Tasks;
using Interp.Transformers;
using Xunit;

namespace Interp.Tests.Analysis.Cases;

public class DocstringCircuitTests
{
    static (HookedTransformer Model, DocstringTask Task, DocstringPrompt[] Prompts) Setup()
    {
        var model = new HookedTransformer(new TransformerConfig
        {
            NLayers = 2, DModel = 16, NHeads = 2, DHead = 8, DMlp = 0, DVocab = new DocstringTask().VocabSize, NCtx = 32,
            Normalization = "LN", PositionalEmbedding = "standard", Seed = 5,
        });
        var task = new DocstringTask(parameters: 3, descriptionLength: 1, seed: 2);
        return (model, task, task.Prompts(6));
    }

    [Fact]
    public void All_heads_together_restore_and_keep_the_whole_logit_difference()
    {
        // in an attention-only model the final position's residual is its embedding plus the heads' outputs there: with
        // every head's output taken from the clean run the logits at the final position are the clean ones
        var (model, task, prompts) = Setup();
        var r = DocstringCircuit.Analyse(model, task, prompts, threshold: 0);
        Assert.Equal(4, r.Circuit.Count);
        Assert.Equal(1.0, r.CircuitDenoised, 3);
        Assert.Equal(1.0, r.CircuitOnly, 3);
    }

    [Fact]
    public void No_heads_restore_nothing_and_the_grids_have_the_models_shape()
    {
        var (model, task, prompts) = Setup();
        var r = DocstringCircuit.Analyse(model, task, prompts, threshold: double.PositiveInfinity);
        Assert.Empty(r.Circuit);
        Assert.Equal(0.0, r.CircuitDenoised, 3);
        Assert.Equal(0.0, r.CircuitOnly, 3);
        Assert.Equal([2, 2], r.HeadsDenoising.ShapeArray);
        Assert.Equal([2, prompts[0].Clean.Length], r.ResidPreDenoising.ShapeArray);
        Assert.All(r.PathPatching.Values, g => Assert.Equal([2, 2], g.ShapeArray));
        Assert.Equal(prompts[0].Clean.Length, r.PositionLabels.Length);
        Assert.Equal(["def", "fn", "(", "self", ",", "P1", ",", "P2", ",", "P3", "):"], r.PositionLabels[..11]);
        Assert.Equal("D1", r.PositionLabels[Array.IndexOf(r.PositionLabels, ":param") + 1]);
    }
}
