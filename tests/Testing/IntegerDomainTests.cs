using FsCheck;
using FsCheck.Fluent;
using Interp.Testing;
using Xunit;

namespace Interp.Tests.Testing;

/// <summary>The integer domains (masks, indices) draw whole numbers in range, shrink toward 0, and a shrink of a throw keeps its cause.</summary>
public class IntegerDomainTests
{
    [Fact]
    public void MaskAndIndicesDrawWholeNumbersInRange()
    {
        foreach (var (domain, high) in new[] { (Domain.Mask, 1.0), (Domain.IndicesBelow(5), 4.0) })
        {
            var values = Gen.Sample(domain.Values(40), 10, new Rnd(3), 1)[0];
            Assert.True(domain.IsInteger);
            Assert.All(values, v => Assert.True(v == Math.Round(v) && v >= 0 && v <= high, $"{domain}: {v}"));
            Assert.Equal(high, domain.High);
            Assert.All(domain.Shrink(values).First(), v => Assert.Equal(0, v));
        }
    }

    [Fact]
    public void FloatDomainsAreNotInteger() => Assert.False(Domain.Any.IsInteger || Domain.Positive.IsInteger);

    [Fact]
    public void AThrowOfAnotherExceptionTypeIsAnotherFailure()
    {
        var backward = new Failure(FailureKind.Threw, "InvalidOperationException in the gradient check: mul: backward gave ...");
        var forward = new Failure(FailureKind.Threw, "ArgumentException in the gradient check: permute: 3 dims given ...");
        Assert.False(forward.SameAs(backward));
        Assert.True(backward.SameAs(backward with { Message = "InvalidOperationException in the gradient check: other" }));
    }
}
