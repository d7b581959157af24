using Interp.Testing;

namespace Interp.Tests.Autograd.Ops;

/// <summary>
/// A view step of a spec's own sample (<see cref="View"/>: permute, transpose, slice, expand) as an Interp.Testing
/// <see cref="ViewOp"/>, so that a sampled call shrinks like a generated one. Permute, transpose, expand and full
/// step slices become the library's steps; any other step stays fixed to the shapes it was drawn for, and a shrinker
/// that changes those shapes drops it.
/// </summary>
public static class SampledView
{
    /// <summary>The library step that turns <paramref name="input"/> into <paramref name="output"/> as <paramref name="view"/> does.</summary>
    public static ViewOp From(View view, int[] input, int[] output)
    {
        var step = Translate(view, input, output);
        return step?.InputShape(output) is { } made && made.SequenceEqual(input) ? step : new FixedView(view, input, output);
    }

    static ViewOp? Translate(View view, int[] input, int[] output) => view.Kind switch
    {
        "permute" => new PermuteView(view.Args.Select(d => Normalize(d, output.Length)).ToArray()),
        "transpose" => new TransposeView(Normalize(view.Args[0], output.Length), Normalize(view.Args[1], output.Length)),
        "slice" when view.Args[3] > 1 => new StepSliceView(Normalize(view.Args[0], output.Length), view.Args[1], view.Args[3]),
        "expand" => new ExpandView(output.Length - input.Length, OnesExpanded(input, output)),
        _ => null,
    };

    static int[] OnesExpanded(int[] input, int[] output)
    {
        int lead = output.Length - input.Length;
        return Enumerable.Range(lead, input.Length).Where(d => input[d - lead] == 1 && output[d] != 1).ToArray();
    }

    static int Normalize(int dim, int rank) => dim < 0 ? dim + rank : dim;
}

/// <summary>A step that only makes the one shape it was drawn for (a narrowing slice, say).</summary>
public sealed record FixedView(View View, int[] Input, int[] Output) : ViewOp
{
    public override int[]? InputShape(int[] output) => output.SequenceEqual(Output) ? Input : null;

    public override Tensor Apply(Tensor x, int[] output) => View.Apply(x);

    public override string ToCSharp(int[] output) => View.Kind switch
    {
        "permute" => $".Permute({Args(View.Args)})",
        "transpose" => $".Transpose({Args(View.Args)})",
        "slice" => $".Slice({Args(View.Args)})",
        _ => $".Expand({Args(View.Args)})",
    };

    public override (ViewOp? Op, int InputDim)? WithoutOutputDim(int dim, int[] output) => null;
}
