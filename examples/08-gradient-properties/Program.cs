// Walkthrough 8: property-based gradient testing. An op with a hand-written backward gets its broadcast reduction
// subtly wrong; an example-based gradcheck passes, and GradProperty finds and shrinks the smallest input that fails.
using Interp;
using Interp.Autograd;
using Interp.Testing;

// y = x·s, where s broadcasts against x (a per-channel scale). The backward must sum g·x over every dim that s was
// broadcast along. The buggy version flattens g·x into rows of s's size and sums the rows: right when s's dims are
// x's trailing ones (s [3] or [1, 3] against x [2, 3]), wrong when s has a size-1 dim inside the shape (s [2, 1]).
static Tensor Scale(Tensor x, Tensor s, bool correct)
{
    var (xd, sd) = (x.Detach(), s.Detach());                  // the forward pass, not recorded
    return Graph.Record("scale", xd * sd, [x, s], g =>           // the backward: one gradient per input
    [
        Graph.SumToShape(g * sd, xd.ShapeArray),
        correct ? Graph.SumToShape(g * xd, sd.ShapeArray)
                : (g * xd).Reshape(-1, sd.Numel).Sum(0).Reshape(sd.ShapeArray),
    ]);
}

// the example a person would write first passes
var x = Tensor.Randn([2, 3], new Generator(1), DType.Float64);
var s = Tensor.Randn([3], new Generator(2), DType.Float64);
GradCheck.Assert(xs => Scale(xs[0], xs[1], correct: false), [x, s]);
Console.WriteLine("gradcheck with x [2, 3] and s [3]: passes");

// the property: 100 random cases of broadcasting shapes, views (permute, slice, expand, ...), values and float32 runs;
// the first failure is shrunk to the smallest case that still fails and printed as C#
var buggy = GradProperty.Run(xs => Scale(xs[0], xs[1], correct: false), [Domain.Any, Domain.Any]);
Console.WriteLine(buggy);

// with the reduction fixed, the same property passes (GradProperty.Check would throw the report instead)
var fixedOp = GradProperty.Run(xs => Scale(xs[0], xs[1], correct: true), [Domain.Any, Domain.Any]);
Console.WriteLine($"fixed backward: {fixedOp}");
return !buggy.Passed && fixedOp.Passed ? 0 : 1;
