using Interp.Nn;
using Interp.Training;
using Xunit;

namespace Interp.Tests.Models.Training;

public class ToyTrainingTests
{
    [Fact]
    public void SmallInductionModelLearnsToPredictTheRepeatedHalf()
    {
        // vocabulary 16, L = 8, d_model 32, 2 heads: induction heads form within ~250 steps at lr 3e-3
        var options = new InductionOptions(Steps: 300, VocabSize: 16, Length: 8, DModel: 32, NHeads: 2, DHead: 16, BatchSize: 16,
            LearningRate: 3e-3, EvalEvery: 300, EvalBatch: 64);
        var result = ToyModels.TrainInduction(options);
        var final = result.Final;
        Assert.Equal(300, final.Step);
        Assert.InRange(final.FirstHalfLoss, Math.Log(16) - 0.3, Math.Log(16) + 0.3);   // random tokens stay unpredictable
        Assert.True(final.SecondHalfLoss < 0.5 * final.FirstHalfLoss,
            $"repeated-half loss {final.SecondHalfLoss:F3} should be far below the first half's {final.FirstHalfLoss:F3}");
    }

    [Fact]
    public void SmallModularAdditionModelGeneralises()
    {
        // p = 23 with 80% of the pairs for training: test accuracy ~87% within 100 full-batch steps
        var options = new ModAddOptions(MaxSteps: 100, P: 23, TrainFraction: 0.8, DModel: 64, NHeads: 4, DHead: 16, DMlp: 256,
            LearningRate: 3e-3, EvalEvery: 50);
        var result = ToyModels.TrainModularAddition(options);
        Assert.Equal(100, result.Final.Step);
        Assert.Equal(1.0, result.Final.TrainAccuracy);
        Assert.True(result.Final.TestAccuracy >= 0.8, $"test accuracy {result.Final.TestAccuracy:P1}");
        Assert.False(result.Reached);   // 99% is not claimed
    }

    [Fact]
    public void ModularAdditionStopsOnceTestAccuracyHoldsTheTarget()
    {
        var options = new ModAddOptions(MaxSteps: 1000, P: 7, TrainFraction: 0.9, DModel: 16, NHeads: 2, DHead: 8, DMlp: 32,
            LearningRate: 1e-2, EvalEvery: 10, TargetAccuracy: 0, Patience: 2);
        var result = ToyModels.TrainModularAddition(options);
        Assert.True(result.Reached);
        Assert.Equal(20, result.Final.Step);
        Assert.Equal(2, result.Curve.Count);
    }

    [Fact]
    public void ToyConfigsAreTheRequestedArchitectures()
    {
        var ind = new InductionOptions().ModelConfig;
        Assert.Equal((2, 0, "shortformer", "LN"), (ind.NLayers, ind.DMlp, ind.PositionalEmbedding, ind.Normalization));
        Assert.Equal(2 * 24 + 1, ind.NCtx);
        var mod = new ModAddOptions().ModelConfig;
        Assert.Equal((1, 128, 4, 32, 512, 114, 3), (mod.NLayers, mod.DModel, mod.NHeads, mod.DHead, mod.DMlp, mod.DVocab, mod.NCtx));
        Assert.Equal(("relu", "none", false, false), (mod.ActFn, mod.Normalization, mod.UseAttnBias, mod.UseUnembedBias));
    }

    [Fact]
    public void NonPositiveStepsAreRefused()
    {
        Assert.Contains("steps", Assert.Throws<ArgumentException>(() => ToyModels.TrainInduction(new InductionOptions(Steps: 0))).Message);
        Assert.Contains("steps", Assert.Throws<ArgumentException>(() => ToyModels.TrainModularAddition(new ModAddOptions(MaxSteps: -1))).Message);
    }
}

[Collection("Console")]
public class ToyCliTests
{
    [Theory]
    [InlineData("--steps")]
    [InlineData("--steps", "0")]
    [InlineData("--steps", "ten")]
    [InlineData("--seed", "-1")]
    [InlineData("--out")]
    [InlineData("--bogus")]
    [InlineData("--steps", "x", "--help")]
    public void BadArgumentsExitWithTwo(params string[] args)
    {
        Assert.Equal(2, InterpCli.Run(["train", "induction", .. args]).Exit);
        Assert.Equal(2, InterpCli.Run(["train", "modadd", .. args]).Exit);
    }

    [Fact]
    public void AnUnwritableOutputFolderIsRefusedBeforeTraining()
    {
        string file = Path.GetTempFileName();   // a file where the folder should go
        try
        {
            Assert.Equal(2, InterpCli.Run(["train", "induction", "--out", Path.Combine(file, "sub"), "--quiet"]).Exit);
            Assert.Equal(2, InterpCli.Run(["train", "modadd", "--out", Path.Combine(file, "sub"), "--quiet"]).Exit);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void HelpExitsWithZero()
    {
        Assert.Equal(0, InterpCli.Run(["train", "induction", "--help"]).Exit);
        Assert.Equal(0, InterpCli.Run(["train", "modadd", "-h"]).Exit);
    }
}

[Collection("Console")]
public class ToyCliRunTests
{
    [Fact]
    public void InductionRunSavesWeightsConfigAndFigures()
    {
        string dir = Path.Combine(Path.GetTempPath(), "interp-toy-" + Guid.NewGuid().ToString("N"));
        try
        {
            Assert.Equal(0, InterpCli.Run(["train", "induction", "--steps", "1", "--seed", "3", "--out", dir, "--quiet"]).Exit);
            foreach (var f in new[] { "model.safetensors", "config.json", "run.json" }) Assert.True(File.Exists(Path.Combine(dir, f)), f);
            var model = new Interp.Transformers.HookedTransformer(new InductionOptions().ModelConfig);
            model.LoadSafeTensors(Path.Combine(dir, "model.safetensors"));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
