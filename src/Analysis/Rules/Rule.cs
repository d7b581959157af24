namespace Interp.Analysis.Rules;

/// <summary>The four confusion counts of a rule against the model's labels, and the agreement.</summary>
public sealed record Confusion(int BothYes, int RuleOnly, int ModelOnly, int BothNo)
{
    public int Total => BothYes + RuleOnly + ModelOnly + BothNo;
    public double Agreement => Total == 0 ? double.NaN : (double)(BothYes + BothNo) / Total;
}

/// <summary>A rule checked on a dataset: the confusion counts and the images where rule and model disagree.</summary>
public sealed record RuleCheck(string Rule, int Label, Confusion Counts, int[] Wrong, bool[] Says);

/// <summary>
/// A labelling rule written as text, e.g. <c>l1(img, digit:1234) &lt; 90 or ink &gt; 0.3</c> (grammar:
/// <see cref="RuleParser"/>): true means "the model gives this image the label". Parse errors and bad references
/// are <see cref="RuleSyntaxError"/>s naming the column.
/// </summary>
public sealed class Rule
{
    Rule(string text, RuleNode root) => (Text, Root) = (text, root);

    public string Text { get; }
    public RuleNode Root { get; }

    public static Rule Parse(string text) => new(text, RuleParser.ParseTest(text));

    public bool[] Evaluate(RuleData data)
    {
        try { return Root.Evaluate(data).Select(v => v != 0).ToArray(); }
        catch (RuleSyntaxError e) { throw e.In(Text); }
    }

    /// <summary>The rule against the model's labels: "rule true" is compared with "model label == <paramref name="label"/>".</summary>
    public RuleCheck Check(RuleData data, int[] modelLabels, int label = 1)
    {
        if (modelLabels.Length != data.Count) throw new ArgumentException($"rule: {modelLabels.Length} model labels for {data.Count} images");
        var says = Evaluate(data);
        int bothYes = 0, ruleOnly = 0, modelOnly = 0, bothNo = 0;
        var wrong = new List<int>();
        for (int i = 0; i < says.Length; i++)
        {
            bool model = modelLabels[i] == label;
            if (says[i] && model) bothYes++;
            else if (says[i]) ruleOnly++;
            else if (model) modelOnly++;
            else bothNo++;
            if (says[i] != model) wrong.Add(i);
        }
        return new RuleCheck(Text, label, new Confusion(bothYes, ruleOnly, modelOnly, bothNo), wrong.ToArray(), says);
    }

    /// <summary>A numeric feature written as text (e.g. <c>l2(img, mean:3)</c>), evaluated on every image.</summary>
    public static double[] Feature(string expression, RuleData data)
    {
        var node = RuleParser.ParseNumber(expression);
        try { return node.Evaluate(data); }
        catch (RuleSyntaxError e) { throw e.In(expression); }
    }

    /// <summary>Several features by their expressions, each evaluated on every image (the form <see cref="Datasets.FeatureStudy"/> takes).</summary>
    public static IEnumerable<(string Name, double[] Values)> Features(IEnumerable<string> expressions, RuleData data) =>
        expressions.Select(e => (e, Feature(e, data)));

    /// <summary>The features every image has on its own (ink, the bounding box, the centre of mass): a first look.</summary>
    public static IReadOnlyList<string> BasicFeatures => [.. Datasets.ImageFeatures.Named.Keys];
}
