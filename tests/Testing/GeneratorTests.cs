using FsCheck;
using FsCheck.Fluent;
using Interp.Testing;
using Xunit;

namespace Interp.Tests.Testing;

/// <summary>The generators make valid cases, every shrink candidate is valid and simpler, and shrinking removes what does not matter.</summary>
public class GeneratorTests
{
    static readonly CaseOptions WithEmptyDims = new() { EmptyDims = true, MaxViews = 3 };

    /// <summary>The view chain makes the case's shape from a leaf holding exactly the case's values, all in the domain.</summary>
    static bool Valid(TensorCase c, Domain domain)
    {
        var leaf = c.Leaf(DType.Float64, Device.Cpu);
        return c.View(leaf).Shape.SequenceEqual(c.Shape) && c.Values.Length == leaf.Numel && domain.Allows(c.Values);
    }

    static void ForAll<T>(Arbitrary<T> arb, Func<T, bool> property, int runs = 200) =>
        FsCheck.Check.One(Config.QuickThrowOnFailure.WithMaxTest(runs).WithQuietOnSuccess(true), Prop.ForAll(arb, property));

    [Fact]
    public void GeneratedCasesAreValid()
    {
        foreach (var domain in new[] { Domain.Any, Domain.Positive, Domain.AwayFromZero, Domain.Distinct, Domain.Bounded(-0.5, 0.75) })
            ForAll(Arbitraries.TensorCase(domain, WithEmptyDims), c => Valid(c, domain));
    }

    [Fact]
    public void ShrinkCandidatesAreValidAndDifferent()
    {
        var domain = Domain.Distinct;
        ForAll(Arbitraries.TensorCase(domain, WithEmptyDims), c =>
            Shrinkers.TensorCase(c, domain, WithEmptyDims).Take(50).All(s => Valid(s, domain) && s != c), runs: 60);
    }

    [Fact]
    public void BroadcastPairsStayBroadcastableWhenShrunk()
    {
        Domain[] domains = [Domain.Any, Domain.Positive];
        var options = new CaseOptions();
        ForAll(Arbitraries.Inputs(domains, options), xs =>
            Shrinkers.Related(xs, Pairing.Broadcast) &&
            Shrinkers.Inputs(xs, domains, options).Take(50).All(s => Shrinkers.Related(s, Pairing.Broadcast) && Valid(s[1], Domain.Positive)), runs: 60);
    }

    [Fact]
    public void EveryViewKindIsGenerated()
    {
        var kinds = Gen.Sample(Generators.TensorCase(Domain.Any, new CaseOptions { MaxViews = 3 }), 10, new Rnd(5), 300)
            .SelectMany(c => c.Views).Select(v => v.GetType()).ToHashSet();
        Assert.Equal(6, kinds.Count);
    }

    [Fact]
    public void ShrinkingRemovesEverythingTheFailureDoesNotNeed()
    {
        // fails on every input of rank 2 or more, whatever its sizes, views and values
        var report = GradProperty.Run(xs => xs[0].Rank >= 2 ? throw new InvalidOperationException("rank") : xs[0], [Domain.Positive]);
        var shrunk = report.Shrunk!.Single();
        Assert.Equal([1, 1], shrunk.Shape);
        Assert.Empty(shrunk.Views);
        Assert.Equal([1.0], shrunk.Values);
        Assert.Equal(DType.Float64, shrunk.DType);
    }

    [Fact]
    public void TheReportRebuildsTheShrunkCaseInCSharp()
    {
        var c = new TensorCase([2], [new StepSliceView(0, 1, 2)], [1, 2, 3, 4], DType.Float64, Device.Cpu);
        string code = c.ToCSharp("x0");
        Assert.Contains("Tensor.FromArray(new double[] { 1, 2, 3, 4 }, [4])", code);
        Assert.Contains("t => t.Slice(0, 1, null, 2);", code);
        Assert.Contains("shape [2], strides [2], offset 1", code);
    }
}
