using FsCheck;
using FsCheck.Fluent;

namespace Interp.Testing;

/// <summary>FsCheck generators of shapes, broadcast partners, view chains, dtypes, devices and whole test inputs.</summary>
public static class Generators
{
    /// <summary>A dim size: 1 a quarter of the time (broadcasting and squeeze bugs live there), 0 too when asked.</summary>
    public static Gen<int> DimSize(int maxSize = 4, bool emptyDims = false)
    {
        var sizes = new List<(int, Gen<int>)> { (2, Gen.Constant(1)) };
        if (maxSize >= 2) sizes.Add((6, Gen.Choose(2, maxSize)));
        if (emptyDims) sizes.Add((1, Gen.Constant(0)));
        return Gen.Frequency(sizes);
    }

    public static Gen<int[]> Shape(int minRank = 0, int maxRank = 4, int maxSize = 4, bool emptyDims = false) =>
        Gen.Choose(minRank, maxRank).SelectMany(rank => Gen.ArrayOf(DimSize(maxSize, emptyDims), rank));

    public static Gen<int[]> Shape(CaseOptions o) => Shape(o.MinRank, o.MaxRank, o.MaxDimSize, o.EmptyDims);

    /// <summary>A shape that broadcasts against <paramref name="shape"/>: some leading dims dropped, some dims set to 1.</summary>
    public static Gen<int[]> BroadcastPartner(int[] shape, int minRank = 0) =>
        Gen.Choose(0, Math.Max(0, shape.Length - minRank)).SelectMany(drop =>
            Gen.ArrayOf(Gen.Elements(true, false, false), shape.Length - drop).Select(ones =>
                shape[drop..].Select((d, i) => ones[i] ? 1 : d).ToArray()));

    /// <summary>A view chain of at most <paramref name="maxViews"/> steps whose last step produces <paramref name="shape"/>.</summary>
    public static Gen<ViewOp[]> Views(int[] shape, int maxViews = 2) =>
        Gen.Choose(0, maxViews).SelectMany(n => ChainEndingAt(shape, n));

    static Gen<ViewOp[]> ChainEndingAt(int[] shape, int steps)
    {
        var last = ViewProducing(shape);
        if (steps == 0 || last is null) return Gen.Constant(Array.Empty<ViewOp>());
        return last.SelectMany(op => ChainEndingAt(op.InputShape(shape)!, steps - 1).Select(before => before.Append(op).ToArray()));
    }

    /// <summary>One view step that can produce <paramref name="shape"/>, or null when none can (rank 0).</summary>
    public static Gen<ViewOp>? ViewProducing(int[] shape)
    {
        int rank = shape.Length;
        var kinds = new List<Gen<ViewOp>>();
        if (rank >= 2)
        {
            kinds.Add(Gen.Shuffle(Enumerable.Range(0, rank)).Select(p => (ViewOp)new PermuteView(p)));
            kinds.Add(TwoDims(rank).Select(d => (ViewOp)new TransposeView(d.Item1, d.Item2)));
        }
        if (rank >= 1)
        {
            kinds.Add(Gen.Zip(Gen.Zip(Gen.Choose(0, rank - 1), Gen.Choose(0, 1)), Gen.Choose(2, 3), (ds, k) => (ViewOp)new StepSliceView(ds.Item1, ds.Item2, k)));
            kinds.Add(Gen.Zip(Gen.Choose(0, rank - 1), Gen.Elements((0, 1), (1, 0), (1, 1)), (d, se) => (ViewOp)new NarrowView(d, se.Item1, se.Item2)));
            kinds.Add(Expanding(shape));
        }
        if (rank is >= 1 and <= 3)
            kinds.Add(Gen.Zip(TwoDims(rank + 1), Gen.Choose(0, 1), (d, off) => (ViewOp)new DiagonalView(off, d.Item1, d.Item2)));
        return kinds.Count == 0 ? null : Gen.OneOf(kinds);
    }

    /// <summary>dim0 &lt; dim1 below rank.</summary>
    static Gen<(int, int)> TwoDims(int rank) =>
        Gen.Choose(0, rank - 2).SelectMany(a => Gen.Choose(a + 1, rank - 1).Select(b => (a, b)));

    /// <summary>An expand that does something: drops leading dims or broadcasts a dim of size ≥ 2 from 1.</summary>
    static Gen<ViewOp> Expanding(int[] shape) =>
        Gen.Choose(0, Math.Min(2, shape.Length)).SelectMany(lead =>
            Gen.SubListOf(Enumerable.Range(lead, shape.Length - lead).Where(d => shape[d] >= 2).ToArray())
                .Select(ones => (ViewOp)new ExpandView(lead, ones.ToArray())))
            .Where(e => e is ExpandView { Lead: > 0 } or ExpandView { OnesAt.Length: > 0 });

    public static Gen<DType> DType(params DType[] dtypes) => Gen.Elements(dtypes.Length == 0 ? [Interp.DType.Float64] : dtypes);

    public static Gen<Device> Device(params Device[] devices) => Gen.Elements(devices.Length == 0 ? [Interp.Device.Cpu] : devices);

    /// <summary>One input of the given shape: a view chain, values from <paramref name="domain"/>, a dtype and a device.</summary>
    public static Gen<TensorCase> TensorCase(int[] shape, Domain domain, CaseOptions options) =>
        Views(shape, options.MaxViews)
            .Where(views => ShapeUtil.Numel(Testing.TensorCase.StepShapes(shape, views)![0]) <= options.MaxElements)
            .SelectMany(views => domain.Values(ShapeUtil.Numel(Testing.TensorCase.StepShapes(shape, views)![0]))
                .SelectMany(values => Gen.Zip(DType(options.DTypes), Device(options.Devices),
                    (dtype, device) => new TensorCase(shape, views, values, dtype, device))));

    public static Gen<TensorCase> TensorCase(Domain domain, CaseOptions options) =>
        Shape(options).Where(s => ShapeUtil.Numel(s) <= options.MaxElements).SelectMany(s => TensorCase(s, domain, options));

    /// <summary>
    /// Inputs for an op of several tensors, one domain each: shapes related by <see cref="CaseOptions.Pairing"/>
    /// (under Broadcast, a random one of them is the full shape and the others its partners), one dtype and device for all.
    /// </summary>
    public static Gen<TensorCase[]> Inputs(IReadOnlyList<Domain> domains, CaseOptions options) =>
        Shape(options).Where(s => ShapeUtil.Numel(s) <= options.MaxElements && (options.Pairing != Pairing.Clashing || s.Length >= 1))
            .SelectMany(full => RelatedShapes(full, domains.Count, options))
            .SelectMany(shapes => Gen.Zip(DType(options.DTypes), Device(options.Devices))
                .SelectMany(td => Gen.CollectToArray(Enumerable.Range(0, shapes.Length),
                    i => TensorCase(shapes[i], domains[i], options with { DTypes = [td.Item1], Devices = [td.Item2] }))));

    static Gen<int[][]> RelatedShapes(int[] full, int count, CaseOptions options)
    {
        if (options.Pairing == Pairing.SameShape) return Gen.Constant(Enumerable.Repeat(full, count).ToArray());
        if (options.Pairing == Pairing.Clashing) return Clashing(full, count, options);
        return Gen.Choose(0, count - 1).SelectMany(fullAt => Gen.CollectToArray(Enumerable.Range(0, count),
            i => i == fullAt ? Gen.Constant(full) : BroadcastPartner(full, options.MinRank)));
    }

    /// <summary>
    /// Shapes whose first two do not broadcast: the second a partner of <paramref name="full"/> (rank ≥ 1), then one
    /// aligned dim set to sizes a ≠ b, both ≥ 2, in the two. Inputs after the second take the first's shape.
    /// </summary>
    static Gen<int[][]> Clashing(int[] full, int count, CaseOptions options) =>
        BroadcastPartner(full, minRank: 1).SelectMany(partner => Gen.Choose(0, partner.Length - 1).SelectMany(j =>
            Gen.Choose(2, Math.Max(2, options.MaxDimSize)).SelectMany(a =>
                Gen.Choose(2, Math.Max(3, options.MaxDimSize)).Where(b => b != a).Select(b =>
                {
                    var first = With(full, full.Length - partner.Length + j, a);
                    var second = With(partner, j, b);
                    return new[] { first, second }.Concat(Enumerable.Repeat(first, count - 2)).ToArray();
                }))));

    static int[] With(int[] s, int d, int size) { var r = (int[])s.Clone(); r[d] = size; return r; }
}
