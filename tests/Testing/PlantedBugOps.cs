using Interp.Autograd;

namespace Interp.Tests.Testing;

/// <summary>
/// Custom ops with a hand-written backward (Graph.Record, as a user writes one), each with one deliberate bug, and
/// the correct twin of each, so that a test can show the property tells them apart.
/// </summary>
public static class PlantedBugOps
{
    /// <summary>x·s, s broadcast to x: s's gradient sums (g·x) over rows of s.Numel elements, which is the broadcast
    /// reduction only when s's shape is a suffix of x's; a size-1 dim of s inside the shape is not reduced.</summary>
    public static Tensor ScaleMissingReduction(Tensor x, Tensor s) => Scale(x, s, correct: false);
    public static Tensor ScaleCorrect(Tensor x, Tensor s) => Scale(x, s, correct: true);

    static Tensor Scale(Tensor x, Tensor s, bool correct)
    {
        var (xd, sd) = (x.Detach(), s.Detach());
        return Graph.Record("scale", xd * sd, [x, s], g =>
        [
            Graph.SumToShape(g * sd, xd.ShapeArray),
            correct ? Graph.SumToShape(g * xd, sd.ShapeArray) : (g * xd).Reshape(-1, sd.Numel).Sum(0).Reshape(sd.ShapeArray),
        ]);
    }

    /// <summary>x + y whose backward returns g for both inputs: no broadcast reduction at all (the engine rejects the shape).</summary>
    public static Tensor AddWithoutReduction(Tensor x, Tensor y) =>
        Graph.Record("add", x.Detach() + y.Detach(), [x, y], g => [g, g]);

    /// <summary>x³ whose backward negates the first element of 3x²·g (an off-by-one loop would).</summary>
    public static Tensor CubeWrongSign(Tensor x) => Cube(x, correct: false);
    public static Tensor CubeCorrect(Tensor x) => Cube(x, correct: true);

    static Tensor Cube(Tensor x, bool correct)
    {
        var xd = x.Detach();
        return Graph.Record("cube", xd * xd * xd, [x], g =>
        {
            var grad = g * 3.0 * xd * xd;
            if (correct || grad.Numel == 0) return [grad];
            var values = grad.ToDoubleArray();
            values[0] = -values[0];
            return [Tensor.FromDoubles(values, grad.ShapeArray, grad.DType, grad.Device)];
        });
    }

    /// <summary>x² whose backward reads x's storage as if x were contiguous (from its offset, ignoring its strides).</summary>
    public static Tensor SquareIgnoringStrides(Tensor x) => Square(x, correct: false);
    public static Tensor SquareCorrect(Tensor x) => Square(x, correct: true);

    static Tensor Square(Tensor x, bool correct)
    {
        var xd = x.Detach();
        return Graph.Record("square", xd * xd, [x], g =>
        {
            var saved = correct ? xd : new Tensor(xd.Storage, xd.ShapeArray, null, xd.Offset);
            return [g * 2.0 * saved];
        });
    }

    /// <summary>exp(x) whose backward has a fast path for inputs with a size-1 dim (squeezed away first) that forgets
    /// the chain rule's factor exp(x).</summary>
    public static Tensor ExpSize1FastPath(Tensor x) => Exp(x, correct: false);
    public static Tensor ExpCorrect(Tensor x) => Exp(x, correct: true);

    static Tensor Exp(Tensor x, bool correct)
    {
        var y = x.Detach().Exp();
        var shape = x.ShapeArray;
        return Graph.Record("exp", y, [x], g =>
            !correct && shape.Contains(1) ? [g.Squeeze().Reshape(shape)] : [g * y]);
    }
}
