using Interp.Analysis.Datasets;
using Interp.Analysis.Rules;
using Xunit;

namespace Interp.Tests.Analysis.Datasets;

/// <summary>Band search and decile tables recover a planted dependence of a label on a scalar feature.</summary>
public class BandSearchTests
{
    [Fact]
    public void ASingleThresholdIsFoundExactly()
    {
        var x = Enumerable.Range(0, 100).Select(i => (double)i).ToArray();
        var (t, _) = BandSearch.Find(x, x.Select(v => v < 30).ToArray());
        Assert.Equal((29.5, false, 1.0), (t.Value, t.Above, t.Agreement));
        Assert.Equal("f < 29.5", t.Rule("f"));
    }

    [Fact]
    public void InsideAndOutsideBandsAreFoundWithTheirAgreement()
    {
        var x = Enumerable.Range(0, 100).Select(i => (double)i).ToArray();
        var inside = BandSearch.Find(x, x.Select(v => v is > 20 and < 60).ToArray()).Band;
        Assert.Equal((20.5, 59.5, true, 1.0), (inside.Low, inside.High, inside.Inside, inside.Agreement));
        // flip 5 labels inside the band: the best band stays and agrees on 95 of 100
        var noisy = x.Select(v => v is > 20 and < 60 ^ v is 30 or 35 or 40 or 45 or 50).ToArray();
        Assert.Equal((20.5, 59.5, 0.95), (BandSearch.Find(x, noisy).Band.Low, BandSearch.Find(x, noisy).Band.High, BandSearch.Find(x, noisy).Band.Agreement));
        var outside = BandSearch.Find(x, x.Select(v => v is < 10 or > 80).ToArray()).Band;
        Assert.Equal((9.5, 80.5, false, 1.0), (outside.Low, outside.High, outside.Inside, outside.Agreement));
        Assert.Equal("f < 9.5 or f > 80.5", outside.Rule("f"));
    }

    [Fact]
    public void TiedValuesAreNeverSplit()
    {
        double[] x = [1, 1, 1, 2, 2, 3];
        var (t, band) = BandSearch.Find(x, [true, true, false, false, false, false]);
        Assert.Equal((1.5, false), (t.Value, t.Above));
        Assert.Equal(5 / 6.0, t.Agreement, 12);
        Assert.True(band.Agreement >= t.Agreement);
    }

    [Fact]
    public void APlantedInkBandOnRealDigitsIsRecoveredAndItsRuleAgreesFully()
    {
        var digits = Digits.Every(10);
        var data = new RuleData(digits);
        var ink = data.Feature("ink");
        var sorted = ink.Order().ToArray();
        double low = sorted[300], high = sorted[700];   // the middle 40 % of the digits by ink
        var labels = ink.Select(v => v > low && v < high ? 1 : 0).ToArray();
        var (t, band) = BandSearch.Find(ink, labels.Select(l => l == 1).ToArray());
        Assert.True(band.Inside);
        Assert.Equal(1.0, band.Agreement);
        Assert.InRange(band.Low, low, sorted[301]);
        Assert.InRange(band.High, sorted[699], high);
        Assert.True(t.Agreement < 0.8, $"one threshold cannot cut out a band, got {t.Agreement}");
        Assert.Equal(1.0, Rule.Parse(band.Rule("ink")).Check(data, labels).Counts.Agreement);
        // the deciles show the band: the middle bins are all 1, the outer ones all 0
        var bins = DecileTable.Build(ink, labels, 1);
        Assert.Equal(10, bins.Length);
        Assert.Equal(digits.Count, bins.Sum(b => b.Count));
        Assert.Equal([0, 0, 0, 0.99, 1, 1, 1, 0, 0, 0], bins.Select(b => Math.Round(b.Fraction, 2)).ToArray());
    }

    [Fact]
    public void EqualValuesShareADecile()
    {
        // a constant feature over images whose labels follow their order: split by position its deciles showed 100 % .. 0 %
        var labels = Enumerable.Range(0, 100).Select(i => i < 50 ? 1 : 0).ToArray();
        var constant = DecileTable.Build(new double[100], labels, 1);
        Assert.Equal(100, constant[0].Count);
        Assert.Equal(0.5, constant[0].Fraction);
        Assert.All(constant[1..], b => Assert.Equal(0, b.Count));
        // a run of ties across the first cut (at 10) moves it to the run's end; the later bins keep their cuts
        var values = Enumerable.Range(0, 100).Select(i => i < 15 ? 0.0 : i).ToArray();
        var bins = DecileTable.Build(values, labels, 1);
        Assert.Equal([15, 5, 10, 10, 10, 10, 10, 10, 10, 10], bins.Select(b => b.Count).ToArray());
        Assert.Equal((0.0, 0.0), (bins[0].Low, bins[0].High));
        Assert.Equal((15.0, 19.0), (bins[1].Low, bins[1].High));
    }
}
