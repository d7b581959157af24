namespace Interp.Testing;

/// <summary>
/// One step of a view chain over a leaf (permute, transpose, step slice, narrow, expand, diagonal). A step is described
/// by what it does to the shape it produces, so a chain stays meaningful when a shrinker makes that shape smaller:
/// <see cref="InputShape"/> works backwards from the output to the shape the step needs as input.
/// </summary>
public abstract record ViewOp
{
    /// <summary>The input shape that gives <paramref name="output"/>, or null when this step cannot produce it.</summary>
    public abstract int[]? InputShape(int[] output);

    /// <summary>Applies the step to <paramref name="x"/>, whose view ends up as <paramref name="output"/>.</summary>
    public abstract Tensor Apply(Tensor x, int[] output);

    /// <summary>The call in C#, e.g. <c>.Permute(1, 0)</c>.</summary>
    public abstract string ToCSharp(int[] output);

    /// <summary>The same kind of step with simpler parameters (a smaller step, start 0).</summary>
    public virtual IEnumerable<ViewOp> Simpler() => [];

    /// <summary>
    /// This step adapted to an output (now <paramref name="output"/>) without dim <paramref name="dim"/>: the new step (null: the step is no longer
    /// needed) and the input dim that goes with it (-1: none); null when the step cannot lose that dim.
    /// </summary>
    public abstract (ViewOp? Op, int InputDim)? WithoutOutputDim(int dim, int[] output);

    /// <summary>d's index once dim <paramref name="removed"/> is gone.</summary>
    protected static int Shift(int d, int removed) => d > removed ? d - 1 : d;

    protected static string Args(params int[] values) => string.Join(", ", values);
}

/// <summary><c>x.Permute(Dims)</c>: output dim i is input dim Dims[i].</summary>
public sealed record PermuteView(int[] Dims) : ViewOp
{
    public override int[]? InputShape(int[] output)
    {
        if (Dims.Length != output.Length || !Dims.Order().SequenceEqual(Enumerable.Range(0, Dims.Length))) return null;
        var input = new int[output.Length];
        for (int i = 0; i < Dims.Length; i++) input[Dims[i]] = output[i];
        return input;
    }

    public override Tensor Apply(Tensor x, int[] output) => x.Permute(Dims);
    public override string ToCSharp(int[] output) => $".Permute({Args(Dims)})";
    public override (ViewOp? Op, int InputDim)? WithoutOutputDim(int dim, int[] output)
    {
        int input = Dims[dim];
        var dims = Dims.Where((_, i) => i != dim).Select(d => Shift(d, input)).ToArray();
        return (dims.Length < 2 ? null : new PermuteView(dims), input);
    }

    public override string ToString() => $"PermuteView([{Args(Dims)}])";
}

/// <summary><c>x.Transpose(Dim0, Dim1)</c>.</summary>
public sealed record TransposeView(int Dim0, int Dim1) : ViewOp
{
    public override int[]? InputShape(int[] output)
    {
        if (Dim0 == Dim1 || Math.Max(Dim0, Dim1) >= output.Length || Math.Min(Dim0, Dim1) < 0) return null;
        var input = (int[])output.Clone();
        (input[Dim0], input[Dim1]) = (input[Dim1], input[Dim0]);
        return input;
    }

    public override Tensor Apply(Tensor x, int[] output) => x.Transpose(Dim0, Dim1);
    public override string ToCSharp(int[] output) => $".Transpose({Dim0}, {Dim1})";

    public override (ViewOp? Op, int InputDim)? WithoutOutputDim(int dim, int[] output) =>
        dim == Dim0 || dim == Dim1 ? null : (new TransposeView(Shift(Dim0, dim), Shift(Dim1, dim)), dim);
}

/// <summary><c>x.Slice(Dim, Start, null, Step)</c>: every Step-th element from Start.</summary>
public sealed record StepSliceView(int Dim, int Start, int Step) : ViewOp
{
    public override int[]? InputShape(int[] output)
    {
        if (Dim >= output.Length || Step < 1 || Start < 0) return null;
        var input = (int[])output.Clone();
        input[Dim] = output[Dim] == 0 ? Start : Start + (output[Dim] - 1) * Step + 1;
        return input;
    }

    public override Tensor Apply(Tensor x, int[] output) => x.Slice(Dim, Start, null, Step);
    public override string ToCSharp(int[] output) => $".Slice({Dim}, {Start}, null, {Step})";

    public override (ViewOp? Op, int InputDim)? WithoutOutputDim(int dim, int[] output) => (dim == Dim ? null : this with { Dim = Shift(Dim, dim) }, dim);

    public override IEnumerable<ViewOp> Simpler()
    {
        if (Start > 0) yield return this with { Start = 0 };
        if (Step > 2) yield return this with { Step = Step - 1 };
    }
}

/// <summary><c>x.Narrow(Dim, Start, length)</c> of an input with <c>Start + length + Extra</c> elements along Dim.</summary>
public sealed record NarrowView(int Dim, int Start, int Extra) : ViewOp
{
    public override int[]? InputShape(int[] output)
    {
        if (Dim >= output.Length || Start < 0 || Extra < 0) return null;
        var input = (int[])output.Clone();
        input[Dim] = Start + output[Dim] + Extra;
        return input;
    }

    public override Tensor Apply(Tensor x, int[] output) => x.Narrow(Dim, Start, output[Dim]);
    public override string ToCSharp(int[] output) => $".Narrow({Dim}, {Start}, {output[Dim]})";

    public override (ViewOp? Op, int InputDim)? WithoutOutputDim(int dim, int[] output) => (dim == Dim ? null : this with { Dim = Shift(Dim, dim) }, dim);

    public override IEnumerable<ViewOp> Simpler()
    {
        if (Start > 0 && Extra > 0) yield return this with { Start = 0 };
        if (Start > 0 && Extra > 0) yield return this with { Extra = 0 };
        if (Start > 1) yield return this with { Start = 1 };
        if (Extra > 1) yield return this with { Extra = 1 };
    }
}

/// <summary>
/// <c>x.Expand(output)</c> of an input without the first Lead dims and with size 1 at the output dims OnesAt
/// (a broadcast view: stride 0 along the expanded dims).
/// </summary>
public sealed record ExpandView(int Lead, int[] OnesAt) : ViewOp
{
    public override int[]? InputShape(int[] output)
    {
        if (Lead > output.Length || OnesAt.Any(d => d < Lead || d >= output.Length)) return null;
        var input = output[Lead..];
        foreach (var d in OnesAt) input[d - Lead] = 1;
        return input;
    }

    public override Tensor Apply(Tensor x, int[] output) => x.Expand(output);
    public override string ToCSharp(int[] output) => $".Expand({Args(output)})";

    public override IEnumerable<ViewOp> Simpler()
    {
        if (Lead > 0 && OnesAt.Length > 0) yield return new ExpandView(0, OnesAt.Select(d => d - Lead).Where(d => d >= 0).ToArray());
        if (OnesAt.Length > 1 || (OnesAt.Length == 1 && Lead > 0))
            for (int i = 0; i < OnesAt.Length; i++) yield return this with { OnesAt = [.. OnesAt[..i], .. OnesAt[(i + 1)..]] };
    }

    public override (ViewOp? Op, int InputDim)? WithoutOutputDim(int dim, int[] output)
    {
        if (dim < Lead) return (new ExpandView(Lead - 1, OnesAt.Select(d => d - 1).ToArray()), -1);
        return (new ExpandView(Lead, OnesAt.Where(d => d != dim).Select(d => Shift(d, dim)).ToArray()), dim - Lead);
    }

    public override string ToString() => $"ExpandView({Lead}, [{Args(OnesAt)}])";
}

/// <summary>
/// <c>x.Diagonal(Offset, Dim1, Dim2)</c> (Dim1 &lt; Dim2): the two dims are removed and the diagonal, of the output's
/// last size n, appended; the input has sizes n and n + Offset at Dim1 and Dim2.
/// </summary>
public sealed record DiagonalView(int Offset, int Dim1, int Dim2) : ViewOp
{
    public override int[]? InputShape(int[] output)
    {
        if (output.Length == 0 || Offset < 0 || Dim1 < 0 || Dim1 >= Dim2 || Dim2 > output.Length) return null;
        int n = output[^1];
        var rest = new Queue<int>(output[..^1]);
        var input = new int[output.Length + 1];
        for (int i = 0; i < input.Length; i++) input[i] = i == Dim1 ? n : i == Dim2 ? n + Offset : rest.Dequeue();
        return input;
    }

    public override Tensor Apply(Tensor x, int[] output) => x.Diagonal(Offset, Dim1, Dim2);
    public override string ToCSharp(int[] output) => $".Diagonal({Offset}, {Dim1}, {Dim2})";

    /// <summary>The diagonal itself (the last output dim) cannot go; any other output dim is an input dim other than Dim1 and Dim2.</summary>
    public override (ViewOp? Op, int InputDim)? WithoutOutputDim(int dim, int[] output)
    {
        if (dim == output.Length - 1) return null;
        int input = Enumerable.Range(0, output.Length + 1).Where(i => i != Dim1 && i != Dim2).ElementAt(dim);
        return (new DiagonalView(Offset, Shift(Dim1, input), Shift(Dim2, input)), input);
    }

    public override IEnumerable<ViewOp> Simpler()
    {
        if (Offset > 0) yield return this with { Offset = 0 };
    }
}
