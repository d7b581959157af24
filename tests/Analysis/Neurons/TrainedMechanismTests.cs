using Interp.Analysis.Datasets;
using Interp.Analysis.Neurons;
using Interp.Analysis.Rules;
using Interp.Data;
using Interp.Training;
using Xunit;

namespace Interp.Tests.Analysis.Neurons;

/// <summary>
/// An MLP trained here on real digits with a synthetic label — 1 when the left half of the image holds more ink than
/// the right half — and the tools reading that rule back out of it: the pixel readout of its logit difference puts
/// positive weight on the left and negative on the right, and the planted rule, written for `interp rule`, agrees with it.
/// </summary>
public class TrainedMechanismTests
{
    static int LeftHeavy(ImageDataset d, int i)
    {
        var p = ImageFeatures.Pixels(d, i);
        double left = 0, right = 0;
        for (int k = 0; k < p.Length; k++) if (k % 28 < 14) left += p[k]; else right += p[k];
        return left > right ? 1 : 0;
    }

    [Fact]
    public void TheReadoutAndARuleRecoverTheTrainedLabel()
    {
        var digits = Digits.Every(5);   // 2,000
        var relabelled = new ImageDataset(digits.Images, Enumerable.Range(0, digits.Count).Select(i => LeftHeavy(digits, i)).ToArray(), 28, 28);
        var mlp = MlpClassifier.Train(relabelled, new MlpOptions(Epochs: 8, BatchSize: 64, LearningRate: 3e-3, Hidden: 16, Seed: 1));
        var run = new ModelOnDataset(HookedClassifier.Of(mlp), relabelled);
        double accuracy = run.Labels.Zip(relabelled.Labels).Average(t => t.First == t.Second ? 1.0 : 0);
        Assert.True(accuracy > 0.9, $"the MLP learnt the label on {accuracy:P1} of the digits");

        var fit = PixelReadout.Fit(run.Data, run.LogitDifference(1, 0));
        Assert.True(fit.HeldOutR2 > 0.5, $"held-out R² {fit.HeldOutR2}");
        double Mean(int c0, int c1) => Enumerable.Range(6, 16).SelectMany(r => Enumerable.Range(c0, c1 - c0).Select(c => fit.Weights[r * 28 + c])).Average();
        Assert.True(Mean(6, 13) > 0 && Mean(15, 22) < 0, $"weights left {Mean(6, 13)}, right {Mean(15, 22)}");

        string map = Path.Combine(Path.GetTempPath(), $"interp-left-right-{Guid.NewGuid():N}.txt");
        try
        {
            ReferenceImage.Save(map, Enumerable.Range(0, 784).Select(p => p % 28 < 14 ? 1.0 : -1.0).ToArray(), 28);
            var check = Rule.Parse($"dot(img, file:{map}) > 0").Check(new RuleData(run.Data), run.Labels);
            Assert.True(check.Counts.Agreement > 0.9, $"the planted rule agrees on {check.Counts.Agreement:P1}");
        }
        finally { File.Delete(map); }
    }
}
