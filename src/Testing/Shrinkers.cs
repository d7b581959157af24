namespace Interp.Testing;

/// <summary>
/// Simpler versions of a failing case, in the order a person would try them: fewer dims, fewer views, smaller sizes,
/// simpler views, float64 on the CPU, then values toward small integers. Every candidate is a valid case: view steps
/// that no longer fit a smaller shape are dropped and the leaf's values are cut or filled to its new size.
/// </summary>
public static class Shrinkers
{
    /// <summary>Simpler versions of one input (values from <paramref name="domain"/>).</summary>
    public static IEnumerable<TensorCase> TensorCase(TensorCase c, Domain domain, CaseOptions options) =>
        ShapesAndViews(c, options).Select(x => Refit(c, x.Shape, x.Views, domain))
            .Concat(TypedRun(c))
            .Concat(domain.Shrink(c.Values).Select(v => c with { Values = v }))
            .Where(x => Fits(x, options));

    /// <summary>Simpler versions of several inputs: each alone, then aligned dims of all together, then dtype and device of all.</summary>
    public static IEnumerable<TensorCase[]> Inputs(TensorCase[] inputs, IReadOnlyList<Domain> domains, CaseOptions options)
    {
        var candidates = Together(inputs, domains, options)
            .Concat(Enumerable.Range(0, inputs.Length).SelectMany(i =>
                TensorCase(inputs[i], domains[i], options).Select(x => Replace(inputs, i, x))))
            .Concat(TypedRunOfAll(inputs));
        return candidates.Where(xs => Related(xs, options.Pairing));
    }

    static IEnumerable<(int[] Shape, ViewOp[] Views)> ShapesAndViews(TensorCase c, CaseOptions options)
    {
        var s = c.Shape;
        if (s.Length > options.MinRank)
            for (int d = 0; d < s.Length; d++)
            {
                int[] smaller = [.. s[..d], .. s[(d + 1)..]];
                if (ViewsWithoutDim(c, d) is { } adapted) yield return (smaller, adapted);
                yield return (smaller, c.Views);
            }
        for (int i = 0; i < c.Views.Length; i++) yield return (s, [.. c.Views[..i], .. c.Views[(i + 1)..]]);
        for (int d = 0; d < s.Length; d++)
            foreach (var size in SmallerSizes(s[d])) yield return (With(s, d, size), c.Views);
        for (int i = 0; i < c.Views.Length; i++)
            foreach (var simpler in c.Views[i].Simpler()) yield return (s, Replace(c.Views, i, simpler));
    }

    /// <summary>The chain adapted step by step (last to first) to an output without dim <paramref name="dim"/>; null where a step cannot be.</summary>
    static ViewOp[]? ViewsWithoutDim(TensorCase c, int dim)
    {
        var shapes = Testing.TensorCase.StepShapes(c.Shape, c.Views);
        if (shapes is null || c.Views.Length == 0) return null;
        var adapted = new List<ViewOp>();
        for (int i = c.Views.Length - 1; i >= 0; i--)
        {
            if (dim < 0) { adapted.Insert(0, c.Views[i]); continue; }
            if (c.Views[i].WithoutOutputDim(dim, shapes[i + 1]) is not { } step) return null;
            if (step.Op is { } op) adapted.Insert(0, op);
            dim = step.InputDim;
        }
        return [.. adapted];
    }

    static IEnumerable<int> SmallerSizes(int size)
    {
        if (size > 1) yield return 1;
        if (size > 2) yield return size - 1;
    }

    static IEnumerable<TensorCase> TypedRun(TensorCase c)
    {
        if (c.DType != DType.Float64) yield return c with { DType = DType.Float64 };
        if (c.Device != Device.Cpu) yield return c with { Device = Device.Cpu };
    }

    static IEnumerable<TensorCase[]> TypedRunOfAll(TensorCase[] inputs)
    {
        if (inputs.Length < 2) yield break;
        if (inputs.Any(x => x.DType != DType.Float64)) yield return inputs.Select(x => x with { DType = DType.Float64 }).ToArray();
        if (inputs.Any(x => x.Device != Device.Cpu)) yield return inputs.Select(x => x with { Device = Device.Cpu }).ToArray();
    }

    /// <summary>The same dim (counted from the right, as broadcasting aligns them) removed or made smaller in every input.</summary>
    static IEnumerable<TensorCase[]> Together(TensorCase[] inputs, IReadOnlyList<Domain> domains, CaseOptions options)
    {
        if (inputs.Length < 2) yield break;
        int maxRank = inputs.Max(x => x.Shape.Length);
        for (int fromRight = maxRank; fromRight >= 1; fromRight--)
        {
            int p = fromRight;
            if (inputs.All(x => x.Shape.Length >= p && x.Shape.Length > options.MinRank))
                yield return Map(inputs, domains, s => [.. s[..^p], .. s[(s.Length - p + 1)..]]);
            int largest = inputs.Max(x => x.Shape.Length >= p ? x.Shape[^p] : 0);
            foreach (var size in SmallerSizes(largest))
                yield return Map(inputs, domains, s => s.Length >= p && s[^p] == largest ? With(s, s.Length - p, size) : s);
        }
    }

    static TensorCase[] Map(TensorCase[] inputs, IReadOnlyList<Domain> domains, Func<int[], int[]> shape) =>
        inputs.Select((x, i) => Refit(x, shape(x.Shape), x.Views, domains[i])).ToArray();

    /// <summary>A case of the new shape: the view steps that still fit, and the values cut or filled to the new leaf.</summary>
    public static TensorCase Refit(TensorCase c, int[] shape, ViewOp[] views, Domain domain)
    {
        var kept = new List<ViewOp>();
        var current = shape;
        for (int i = views.Length - 1; i >= 0; i--)
            if (views[i].InputShape(current) is { } input) { kept.Insert(0, views[i]); current = input; }
        return c with { Shape = shape, Views = [.. kept], Values = domain.Fit(c.Values, ShapeUtil.Numel(current)) };
    }

    static bool Fits(TensorCase c, CaseOptions options) =>
        c.Shape.Length >= options.MinRank && ShapeUtil.Numel(c.LeafShape) <= options.MaxElements;

    /// <summary>Whether the shapes still relate as the pairing asks.</summary>
    public static bool Related(TensorCase[] inputs, Pairing pairing)
    {
        if (pairing == Pairing.SameShape) return inputs.All(x => x.Shape.SequenceEqual(inputs[0].Shape));
        if (pairing == Pairing.Clashing) return inputs.Length >= 2 && !Related(inputs[..2], Pairing.Broadcast);
        int rank = inputs.Max(x => x.Shape.Length);
        for (int p = 1; p <= rank; p++)
        {
            var sizes = inputs.Where(x => x.Shape.Length >= p).Select(x => x.Shape[^p]).Where(s => s != 1).Distinct();
            if (sizes.Count() > 1) return false;
        }
        return true;
    }

    static int[] With(int[] s, int d, int size) { var r = (int[])s.Clone(); r[d] = size; return r; }
    static T[] Replace<T>(T[] xs, int i, T x) { var r = (T[])xs.Clone(); r[i] = x; return r; }
}
