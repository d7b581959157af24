using Interp.Analysis.Rules;
using Xunit;

namespace Interp.Tests.Analysis.Rules;

/// <summary>The rule language on hand-made 4x4 images whose features are known, and its errors with their columns.</summary>
public class RuleTests
{
    // image 0: blank; image 1: the top-left 2x2 block lit; image 2: everything lit; image 3: one pixel at (3, 3)
    static readonly RuleData Data = new(Digits.Of([
        new float[16],
        [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        Enumerable.Repeat(1f, 16).ToArray(),
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    ], [0, 1, 2, 3], 4, 4));

    static bool[] Says(string rule) => Rule.Parse(rule).Evaluate(Data);
    static double[] Value(string expression) => Rule.Feature(expression, Data);

    [Fact]
    public void FeaturesHaveTheirDefinedValues()
    {
        Assert.Equal([0, 0.25, 1, 1 / 16.0], Value("ink"));
        Assert.Equal([-1, 0, 0, 3], Value("top"));
        Assert.Equal([0, 2, 4, 1], Value("width"));
        Assert.Equal([1.5, 0.5, 1.5, 3], Value("row"));
        Assert.Equal([0, 1, 2, 3], Value("class"));
        Assert.Equal([0, 1, 1, 0], Value("px(1, 1)"));
    }

    [Fact]
    public void ComparisonsWithReferenceImagesFollowTheirFormulas()
    {
        // against image 1 (4 lit pixels): L1 counts differing pixels, L2 is its square root here, dot the overlap
        Assert.Equal([4, 0, 12, 5], Value("l1(img, digit:1)"));
        Assert.Equal([2, 0, Math.Sqrt(12), Math.Sqrt(5)], Value("l2(img, digit:1)"), new Tolerance(1e-12));
        Assert.Equal([0, 4, 4, 0], Value("dot(img, digit:1)"));
        Assert.Equal(0.5, Value("cos(digit:1, img)")[2], 12);       // 4 / (2 · 4), either order
        Assert.Equal(Value("l1(img, digit:3)"), Value("l1(img, mean:3)"));   // class 3 is image 3 alone
    }

    [Fact]
    public void PrecedenceIsNotThenAndThenOr()
    {
        Assert.Equal([true, false, true, true], Says("ink == 0 or ink > 0.5 or class == 3"));
        Assert.Equal([true, false, false, true], Says("not ink > 0.2 and class != 2 or class == 0"));
        Assert.Equal([false, true, false, true], Says("1 + 2 * ink > 1.1 and not (class == 2)"));
        Assert.Equal([true, false, false, false], Says("-ink >= 0 and abs(top) == 1"));
        Assert.Equal([false, true, true, false], Says("(top + 1) * 2 / 2 == 1"));
    }

    [Fact]
    public void TheRuleIsCheckedAgainstTheModelLabels()
    {
        var check = Rule.Parse("ink > 0.2").Check(Data, [0, 1, 0, 1]);
        Assert.Equal(new Confusion(BothYes: 1, RuleOnly: 1, ModelOnly: 1, BothNo: 1), check.Counts);
        Assert.Equal(0.5, check.Counts.Agreement);
        Assert.Equal([2, 3], check.Wrong);
    }

    [Theory]
    [InlineData("ink >", 6, "ends too early")]
    [InlineData("ink > 0.3 or", 13, "ends too early")]
    [InlineData("ink + 1", 1, "is a number, not a test")]
    [InlineData("ink and top > 2", 1, "'and' joins tests")]
    [InlineData("inc > 0.3", 1, "unknown name 'inc'")]
    [InlineData("ink > 0.3 or l1(img, digit:1 < 9", 30, "takes two images")]
    [InlineData("ink = 0.3", 5, "compare with ==")]
    [InlineData("(ink > 0.3", 11, "'(' at column 1 is not closed")]
    [InlineData("l2(img, pixel:3) > 1", 9, "unknown image kind 'pixel:'")]
    [InlineData("0 < ink < 1", 9, "do not chain")]
    [InlineData("ink > 0.3 top", 11, "unexpected 'top'")]
    public void SyntaxErrorsNameTheColumn(string rule, int column, string problem)
    {
        var e = Assert.Throws<RuleSyntaxError>(() => Rule.Parse(rule));
        Assert.Equal(column, e.Column);
        Assert.Contains(problem, e.Problem);
        Assert.EndsWith(new string(' ', column - 1) + "^", e.Pointer);
    }

    [Fact]
    public void BadReferencesAreReportedAtTheirFunctionWhenEvaluated()
    {
        var e = Assert.Throws<RuleSyntaxError>(() => Says("ink > 0 and l2(img, digit:99) < 3"));
        Assert.Equal(13, e.Column);
        Assert.Contains("99", e.Problem);
        var missing = Assert.Throws<RuleSyntaxError>(() => Says("l2(img, file:\"no such map.txt\") < 3"));
        Assert.Equal(1, missing.Column);
        Assert.Contains("not found", missing.Problem);
    }

    [Theory]
    [InlineData("binary", "value 1 ('???")]
    [InlineData("nan", "value 2 ('NaN') is not a finite number")]
    [InlineData("overflow", "value 1 ('1e400') is not a finite number")]
    public void AReferenceFileOfNonNumbersIsRefusedWithAShortPrintableLine(string kind, string problem)
    {
        using var dir = new TempDir();
        string file = dir.File("map.txt");
        if (kind == "binary") File.WriteAllBytes(file, [1, 2, 3, .. Enumerable.Repeat((byte)'x', 400), 10, 0xC3, 0x28]);
        else File.WriteAllText(file, kind == "nan" ? "0 NaN" : "1e400");
        var e = Assert.Throws<RuleSyntaxError>(() => Says($"l2(img, file:\"{file}\") < 3"));
        Assert.Contains(problem, e.Problem);
        Assert.True(e.Problem.Length < 200 + file.Length, e.Problem);
        Assert.DoesNotContain('\n', e.Problem);
    }

    sealed class Tolerance(double eps) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= eps;
        public int GetHashCode(double v) => 0;
    }
}
