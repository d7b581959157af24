using System.Globalization;

namespace Interp.Analysis.Rules;

/// <summary>
/// A node of a parsed rule. A node is a test (true/false, stored as 1/0) or a number; it evaluates to one value per
/// image of a <see cref="RuleData"/>. <see cref="Column"/> is where it starts in the rule text.
/// </summary>
public abstract record RuleNode(int Column)
{
    public abstract bool IsTest { get; }
    public abstract double[] Evaluate(RuleData data);

    protected static double[] Map(double[] a, double[] b, Func<double, double, double> f)
    {
        var r = new double[a.Length];
        for (int i = 0; i < r.Length; i++) r[i] = f(a[i], b[i]);
        return r;
    }

    /// <summary>Runs f, reporting a bad reference or pixel (a missing file, an index out of range) at this node's column.</summary>
    protected static double[] At(int column, Func<double[]> f)
    {
        try { return f(); }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException && e is not RuleSyntaxError)
        {
            throw new RuleSyntaxError("", column, e.Message);
        }
    }

    protected static string Num(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
}

public sealed record NumberNode(int Column, double Value) : RuleNode(Column)
{
    public override bool IsTest => false;
    public override double[] Evaluate(RuleData data) => Enumerable.Repeat(Value, data.Count).ToArray();
    public override string ToString() => Num(Value);
}

/// <summary>A feature of the image alone: ink, top, ..., class.</summary>
public sealed record FeatureNode(int Column, string Name) : RuleNode(Column)
{
    public override bool IsTest => false;
    public override double[] Evaluate(RuleData data) => data.Feature(Name);
    public override string ToString() => Name;
}

/// <summary>dot, cos, l1 or l2 of two images (each <c>img</c> or a reference).</summary>
public sealed record CompareImagesNode(int Column, string Function, string A, string B) : RuleNode(Column)
{
    public override bool IsTest => false;
    public override double[] Evaluate(RuleData data) => At(Column, () => data.Compare(Function, A, B));
    public override string ToString() => $"{Function}({A}, {B})";
}

/// <summary>px(row, col): one pixel of the image.</summary>
public sealed record PixelNode(int Column, int Row, int Col) : RuleNode(Column)
{
    public override bool IsTest => false;
    public override double[] Evaluate(RuleData data) => At(Column, () => data.Pixel(Row, Col));
    public override string ToString() => $"px({Row}, {Col})";
}

/// <summary>abs(x).</summary>
public sealed record AbsNode(int Column, RuleNode Inner) : RuleNode(Column)
{
    public override bool IsTest => false;
    public override double[] Evaluate(RuleData data) => Inner.Evaluate(data).Select(Math.Abs).ToArray();
    public override string ToString() => $"abs({Inner})";
}

/// <summary>−x.</summary>
public sealed record NegateNode(int Column, RuleNode Inner) : RuleNode(Column)
{
    public override bool IsTest => false;
    public override double[] Evaluate(RuleData data) => Inner.Evaluate(data).Select(v => -v).ToArray();
    public override string ToString() => $"-{Inner}";
}

/// <summary>x + y, x − y, x · y, x / y.</summary>
public sealed record ArithmeticNode(int Column, string Op, RuleNode Left, RuleNode Right) : RuleNode(Column)
{
    public override bool IsTest => false;
    public override double[] Evaluate(RuleData data) => Map(Left.Evaluate(data), Right.Evaluate(data), Op switch
    {
        "+" => (a, b) => a + b,
        "-" => (a, b) => a - b,
        "*" => (a, b) => a * b,
        _ => (a, b) => a / b,
    });
    public override string ToString() => $"({Left} {Op} {Right})";
}

/// <summary>x &lt; y and the other comparisons: a test.</summary>
public sealed record CompareNode(int Column, string Op, RuleNode Left, RuleNode Right) : RuleNode(Column)
{
    public override bool IsTest => true;
    public override double[] Evaluate(RuleData data) => Map(Left.Evaluate(data), Right.Evaluate(data), (a, b) => Holds(a, b) ? 1 : 0);
    public override string ToString() => $"{Left} {Op} {Right}";

    bool Holds(double a, double b) => Op switch
    {
        "<" => a < b, "<=" => a <= b, ">" => a > b, ">=" => a >= b, "==" => a == b, _ => a != b,
    };
}

/// <summary>p and q, p or q.</summary>
public sealed record LogicNode(int Column, string Op, RuleNode Left, RuleNode Right) : RuleNode(Column)
{
    public override bool IsTest => true;
    public override double[] Evaluate(RuleData data) =>
        Map(Left.Evaluate(data), Right.Evaluate(data), Op == "and" ? (a, b) => a != 0 && b != 0 ? 1 : 0 : (a, b) => a != 0 || b != 0 ? 1 : 0);
    public override string ToString() => $"({Left} {Op} {Right})";
}

/// <summary>not p.</summary>
public sealed record NotNode(int Column, RuleNode Inner) : RuleNode(Column)
{
    public override bool IsTest => true;
    public override double[] Evaluate(RuleData data) => Inner.Evaluate(data).Select(v => v != 0 ? 0.0 : 1).ToArray();
    public override string ToString() => $"not {Inner}";
}
