using System.CommandLine;
using System.Globalization;
using Interp.Analysis.Rules;

namespace Interp.Cli;

/// <summary><c>interp rule EXPR</c>: a labelling rule over image features against a model's labels.</summary>
public sealed class RuleCommand : Command
{
    readonly ModelInputs inputs = new(imagesOnly: true);
    readonly Argument<string?> rule = new("RULE") { Description = "the rule, e.g. \"l1(img, digit:1234) < 90 or ink > 0.3\" (quote it)", Arity = ArgumentArity.ZeroOrOne };
    readonly Option<int> show = Vocabulary.Int("--show", 20, "how many of the digits it gets wrong to list", min: 0);

    public RuleCommand() : base("rule", """
        Checks a labelling rule over image features against the model's labels.

        The rule is true where it says "the model gives --label". It is built from numbers, the features ink (mean
        pixel), top, bottom, left, right, height, width (bounding box of the pixels >= 0.5), row, col (centre of mass)
        and class (the dataset's label), the comparisons dot, cos, l1, l2 of two images - img (the digit judged),
        digit:N (dataset image N), mean:C (the mean image of class C) or file:PATH (H*W numbers, e.g. from interp
        readout) - abs(x) and px(row, col); with + - * /, < <= > >= == !=, not, and, or, and parentheses.
        Prints the agreement, the four confusion counts and the digits it gets wrong.
        """)
    {
        Add(rule);
        inputs.AddTo(this);
        Add(show);
        SetAction(Run);
    }

    int Run(ParseResult r)
    {
        string text = r.GetValue(rule) ?? throw new CliError("give the rule as an argument, e.g. interp rule --model M \"ink > 0.3\"");
        Rule parsed;
        try { parsed = Rule.Parse(text); }
        catch (RuleSyntaxError e) { throw Located(e); }
        var run = inputs.Load(r);
        int label = r.GetValue(inputs.Label);
        RuleCheck check;
        try { check = parsed.Check(new RuleData(run.Data), run.Labels, label); }
        catch (RuleSyntaxError e) { throw Located(e); }
        var c = check.Counts;
        Console.WriteLine($"rule: {parsed.Root}");
        Console.WriteLine($"agreement with the model: {100 * c.Agreement:F2} % of {c.Total} digits (label {label} vs not)");
        Console.WriteLine($"  rule yes, model yes: {c.BothYes,6}    rule yes, model no: {c.RuleOnly,6}");
        Console.WriteLine($"  rule no,  model yes: {c.ModelOnly,6}    rule no,  model no: {c.BothNo,6}");
        int n = Math.Min(r.GetValue(show), check.Wrong.Length);
        if (n == 0) return 0;
        var (plus, minus) = inputs.Metric(r, run);
        var metric = run.LogitDifference(plus, minus);
        Console.WriteLine($"{check.Wrong.Length} digits wrong; the first {n} (index, class, model label, {ModelInputs.MetricName((plus, minus))}):");
        foreach (int i in check.Wrong.Take(n))
            Console.WriteLine($"  {i,6}  class {run.Data.Labels[i]}  model {run.Labels[i]}  {metric[i].ToString("F3", CultureInfo.InvariantCulture),8}");
        return 0;
    }

    // the rule and a caret under the column on stderr, then the one-line error
    static CliError Located(RuleSyntaxError e)
    {
        Console.Error.WriteLine("  " + e.Pointer.Replace("\n", "\n  "));
        return new CliError(e.Message);
    }
}
