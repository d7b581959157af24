using Interp.Analysis.Cases;
using Interp.Data;
using Xunit;

namespace Interp.Tests.Analysis.Cases;

/// <summary>The challenge-1 tools on the real model and every 10th of the 10k real digits (1,000, all classes).</summary>
public class Eis7CnnTests
{
    static readonly Lazy<Eis7Cnn> Shared = new(() =>
    {
        Assert.True(Eis7Cnn.DefaultModelPath is string p && File.Exists(p), "../shared/data/eis7/mnist_model.pt not found");
        Assert.True(Mnist.IsAvailable, "../shared/data/mnist not found");
        return Eis7Cnn.Load(digits: Eis7Cnn.EveryNth(Mnist.Load10k(), 10));
    });

    static Eis7Cnn Cnn => Shared.Value;

    [Fact]
    public void AlwaysOneAgreesWithTheModelExactlyAsOftenAsItLabelsOne()
    {
        var cnn = Cnn;
        Assert.Equal(1000, cnn.Digits.Count);
        var fractions = cnn.ClassFractions();
        Assert.Equal(cnn.Digits.Count, fractions.Sum(c => c.Count));
        Assert.Equal(cnn.Predictions.Sum(), fractions.Sum(c => c.LabelledOne));
        var always = cnn.TestRule(_ => true);
        Assert.Equal(cnn.FractionOnes, always.Agreement, 12);
        Assert.Equal((0, 0), (always.ModelOnlyOne, always.BothZero));
        // the challenge labels "approximately half" of the digits 1
        Assert.InRange(cnn.FractionOnes, 0.35, 0.65);
    }

    [Fact]
    public void LoadTakesTheDataFolder()
    {
        string folder = Path.GetDirectoryName(Path.GetDirectoryName(Eis7Cnn.DefaultModelPath!))!;
        var cnn = Eis7Cnn.Load(folder, digits: Eis7Cnn.EveryNth(Mnist.Load10k(Path.Combine(folder, "mnist")), 100));
        Assert.Equal(100, cnn.Digits.Count);
        Assert.Equal(Cnn.Predictions.Where((_, i) => i % 10 == 0), cnn.Predictions);
        Assert.Throws<DirectoryNotFoundException>(() => Eis7Cnn.Load(Path.Combine(folder, "no-such-folder")));
    }

    [Fact]
    public void ARuleOnTheDigitClassAgreesAsTheClassFractionsSay()
    {
        var cnn = Cnn;
        var f = cnn.ClassFractions();
        var r = cnn.TestRule(Eis7CnnRules.ZeroOrOne.Rule);
        Assert.Equal(f[0].LabelledOne + f[1].LabelledOne, r.BothOne);
        Assert.Equal(f[0].Count + f[1].Count - r.BothOne, r.RuleOnlyOne);
        Assert.Equal(f.Skip(2).Sum(c => c.LabelledOne), r.ModelOnlyOne);
        Assert.Equal(cnn.Digits.Count, r.Total);
    }

    [Fact]
    public void RulesSeeTheImageRowByColumn()
    {
        var cnn = Cnn;
        int i = 123;
        var img = cnn.Image(i);
        Assert.Equal(cnn.Digits.Images[i * 784 + 5 * 28 + 17], img[5, 17]);
        var oneImage = cnn.TestRule((im, _) => im[5, 17] == img[5, 17] && Eis7CnnRules.CentralShare(im) == Eis7CnnRules.CentralShare(img), [i]);
        Assert.Equal(1, oneImage.BothOne + oneImage.RuleOnlyOne);
    }

    [Fact]
    public void ExamplesAreTheTopScoringAndTheMostConfusingDigits()
    {
        var cnn = Cnn;
        foreach (var hook in Eis7Cnn.UnitHooks)
        {
            var scores = cnn.UnitScores(hook);
            for (int unit = 0; unit < cnn.UnitCount(hook); unit += 3)
            {
                var e = cnn.Examples(hook, unit, 5);
                Assert.Equal(5, e.Top.Length);
                Assert.True(e.TopScores.Zip(e.TopScores.Skip(1)).All(t => t.First >= t.Second));
                double fifth = e.TopScores[^1];
                Assert.Equal(Enumerable.Range(0, cnn.Digits.Count).Count(i => scores[i, unit] > fifth) , e.Top.Count(i => scores[i, unit] > fifth));
                Assert.All(e.Confusing, i => Assert.NotEqual(e.PreferredLabel, cnn.Predictions[i]));
                // no digit of the other label scores higher than the confusing ones found
                var other = Enumerable.Range(0, cnn.Digits.Count).Where(i => cnn.Predictions[i] != e.PreferredLabel).Select(i => scores[i, unit]).OrderDescending().Take(5);
                Assert.Equal(other, e.ConfusingScores);
            }
        }
        // a logit's top digits are labelled that way and its confusing ones sit just across the boundary
        var logit1 = cnn.Examples("hook_logits", 1, 5);
        Assert.All(logit1.Top, i => Assert.Equal(1, cnn.Predictions[i]));
        Assert.All(logit1.ConfusingScores, s => Assert.True(s <= 0));
        Assert.Throws<ArgumentException>(() => cnn.UnitCount("hook_fc1"));
    }

    [Fact]
    public void SaliencyIsTheFirstOrderChangeOfTheLogitDifference()
    {
        // a ReLU/max-pool network is piecewise linear: f((1 + ε)x) − f(x) = ε·Σ x·∇f(x) while x stays in its linear region
        var cnn = Cnn;
        int[] rows = [3, 250, 777];
        var saliency = cnn.Saliency(rows).To(DType.Float64);
        var x = cnn.Images(rows).To(DType.Float64);
        var model = new Interp.Models.Cnn(Interp.Models.CnnConfig.Eis7, new Generator(0), DType.Float64);
        Interp.Nn.StateDictIO.LoadStateDict(model, Interp.IO.TorchStateDict.Load(Eis7Cnn.DefaultModelPath!, DType.Float64));
        model.Eval();
        const double eps = 1e-4;
        using var _ = Interp.Autograd.GradMode.NoGrad();
        double[] Diff(Tensor images)
        {
            var logits = model.Forward(images);
            return (logits.Select(1, 1) - logits.Select(1, 0)).ToDoubleArray();
        }
        var before = Diff(x);
        var after = Diff(x * (1 + eps));
        var total = saliency.Sum([1, 2]).ToDoubleArray();
        for (int i = 0; i < rows.Length; i++)
            Assert.True(Math.Abs((after[i] - before[i]) / eps - total[i]) < 1e-3 * (1 + Math.Abs(total[i])),
                $"digit {rows[i]}: finite difference {(after[i] - before[i]) / eps} vs Σ saliency {total[i]}");
        Assert.Equal([3, 28, 28], saliency.ShapeArray);
    }
}
