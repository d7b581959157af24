using FsCheck.Xunit;
using Xunit;

namespace Interp.Tests.Autograd;

/// <summary>
/// Einsum against the equivalent chain of matmul / permute / sum / broadcast ops on random sizes, its gradients against
/// finite differences (through non-contiguous inputs too), the diagonal view it builds on, and its errors.
/// </summary>
public class EinsumTests
{
    const int Runs = 25;

    static void AssertClose(Tensor expected, Tensor actual, string what = "")
    {
        Assert.True(ShapeUtil.SameShape(expected.ShapeArray, actual.ShapeArray),
            $"{what}: shape {ShapeUtil.Format(actual.ShapeArray)}, expected {ShapeUtil.Format(expected.ShapeArray)}");
        var e = expected.ToDoubleArray();
        var a = actual.ToDoubleArray();
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(a[i] - e[i]) <= 1e-10 + 1e-10 * Math.Abs(e[i]), $"{what}[{i}]: einsum {a[i]:G17}, expected {e[i]:G17}");
    }

    static void Same(string equation, Tensor expected, params Tensor[] operands) =>
        AssertClose(expected, Tensor.Einsum(equation, operands), equation);

    [Property(MaxTest = Runs)]
    public void MatrixProducts(int seed)
    {
        var d = new TestData(seed);
        int b = d.Int(1, 3), h = d.Int(1, 3), m = d.Int(1, 5), k = d.Int(1, 5), n = d.Int(1, 5);
        var x = d.Tensor([m, k]); var y = d.Tensor([k, n]);
        Same("ij,jk->ik", x.MatMul(y), x, y);
        Same("ij,jk", x.MatMul(y), x, y);
        Same("ik,kj", x.MatMul(y), x, y);   // implicit output is sorted: i, j
        Same("jk,ij->ik", x.MatMul(y), y, x);
        var bx = d.Tensor([b, m, k]); var by = d.Tensor([b, k, n]);
        Same("bij,bjk->bik", bx.MatMul(by), bx, by);
        var q = d.Tensor([b, h, m, k]); var kk = d.Tensor([b, h, n, k]);
        Same("bhqd,bhkd->bhqk", q.MatMul(kk.MT), q, kk);
        Same("bhqd,bhkd->bhkq", q.MatMul(kk.MT).Transpose(-2, -1), q, kk);
    }

    [Property(MaxTest = Runs)]
    public void SingleOperand(int seed)
    {
        var d = new TestData(seed);
        int m = d.Int(1, 5), n = d.Int(1, 5), p = d.Int(1, 4);
        var x = d.Tensor([m, n]);
        Same("ij->ji", x.T, x);
        Same("ji", x.T, x);
        Same("ij->", x.Sum(), x);
        Same("ij->j", x.Sum(0), x);
        Same("ij->i", x.Sum(1), x);
        var x3 = d.Tensor([m, n, p]);
        Same("ijk->kij", x3.Permute(2, 0, 1), x3);
        Same("ijk->ki", x3.Sum(1).T, x3);

        var sq = d.Tensor([n, n]);
        Same("ii->i", Diag(sq), sq);
        Same("ii", Diag(sq).Sum(), sq);
        Same("ii->", Diag(sq).Sum(), sq);

        // iji: the diagonal over dims 0 and 2, then the middle dim kept or summed.
        var c = d.Tensor([n, m, n]);
        var cv = c.ToDoubleArray();
        var ij = new double[m * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < m; j++) ij[j * n + i] = cv[(i * m + j) * n + i];
        Same("iji->ji", Tensor.FromArray(ij, [m, n]), c);
        Same("iji->i", Tensor.FromArray(ij, [m, n]).Sum(0), c);
        Same("iji", Tensor.FromArray(ij, [m, n]).Sum(1), c);   // implicit output: j alone
    }

    [Property(MaxTest = Runs)]
    public void VectorsAndElementwise(int seed)
    {
        var d = new TestData(seed);
        int m = d.Int(1, 6), n = d.Int(1, 6);
        var a = d.Tensor([m]); var a2 = d.Tensor([m]); var b = d.Tensor([n]);
        Same("i,i->", (a * a2).Sum(), a, a2);
        Same("i,i", (a * a2).Sum(), a, a2);
        Same("i,i->i", a * a2, a, a2);
        Same("i,j->ij", a.Unsqueeze(1) * b.Unsqueeze(0), a, b);
        Same("i,j", a.Unsqueeze(1) * b.Unsqueeze(0), a, b);
        Same("i,j->ji", b.Unsqueeze(1) * a.Unsqueeze(0), a, b);
        var x = d.Tensor([m, n]); var y = d.Tensor([m, n]);
        Same("ij,ij->ij", x * y, x, y);
        Same("ij,ij->", (x * y).Sum(), x, y);
        Same("ij,ji->ij", x * y, x, y.T.Contiguous());
        Same("ij,j->i", x.MatMul(b), x, b);
    }

    [Property(MaxTest = Runs)]
    public void EllipsisBroadcastsBatchDims(int seed)
    {
        var d = new TestData(seed);
        int m = d.Int(1, 4), k = d.Int(1, 4), n = d.Int(1, 4);
        var batch = d.Shape(0, 2, 3);
        var other = d.BroadcastPartner(batch);
        if (d.Int(0, 1) == 1) (batch, other) = (other, batch);
        var a = d.Tensor([.. batch, m, k]); var b = d.Tensor([.. other, k, n]);
        Same("...ij,...jk->...ik", a.MatMul(b), a, b);
        Same("...ij,...jk", a.MatMul(b), a, b);   // implicit: ellipsis dims first, then i, k
        Same("...ij,...jk->ik", a.MatMul(b).Reshape(-1, m, n).Sum(0), a, b);
        var x = d.Tensor([.. batch, m]);
        Same("...i->i...", x.Permute([x.Rank - 1, .. Enumerable.Range(0, x.Rank - 1)]), x);
        var mid = d.Tensor([m, .. batch, n]);
        Same("i...j->j...i", mid.Transpose(0, -1), mid);
    }

    [Property(MaxTest = Runs)]
    public void SizeOneDimsBroadcastAgainstTheSameLabel(int seed)
    {
        var d = new TestData(seed);
        int b = d.Int(2, 4), m = d.Int(1, 4), k = d.Int(2, 4), n = d.Int(1, 4);
        var a = d.Tensor([1, m, k]); var bb = d.Tensor([b, k, n]);
        Same("bij,bjk->bik", a.MatMul(bb), a, bb);
        var x = d.Tensor([m, 1]); var y = d.Tensor([k, n]);
        Same("ij,jk->ik", x.MatMul(y.Sum(0, keepDim: true)), x, y);   // contracted j: 1 against k
        var p = d.Tensor([m, 1]); var q = d.Tensor([1, n]);
        Same("ij,ij->ij", p * q, p, q);
    }

    [Property(MaxTest = Runs)]
    public void ThreeOperands(int seed)
    {
        var d = new TestData(seed);
        int b = d.Int(1, 4), i = d.Int(1, 4), j = d.Int(1, 4), k = d.Int(1, 4), l = d.Int(1, 4);
        var x = d.Tensor([b, i]); var y = d.Tensor([b, j]); var z = d.Tensor([b, k]);
        var outer = x.Reshape(b, i, 1, 1) * y.Reshape(b, 1, j, 1) * z.Reshape(b, 1, 1, k);
        Same("bi,bj,bk->ijk", outer.Sum(0), x, y, z);
        Same("bi,bj,bk->bijk", outer, x, y, z);
        Same("bi,bj,bk", outer.Sum(0), x, y, z);
        var p = d.Tensor([i, j]); var q = d.Tensor([j, k]); var r = d.Tensor([k, l]);
        Same("ij,jk,kl->il", p.MatMul(q).MatMul(r), p, q, r);
        Same("ij,jk,kl->li", p.MatMul(q).MatMul(r).T, p, q, r);
        var u = d.Tensor([i]); var v = d.Tensor([j]);
        Same("i,ij,j->", (u.MatMul(p) * v).Sum(), u, p, v);
        var sq = d.Tensor([i, i]);
        Same("ii,ij->j", Diag(sq).MatMul(p), sq, p);
    }

    static Tensor Diag(Tensor square)
    {
        int n = square.Shape[0];
        var v = square.ToDoubleArray();
        return Tensor.FromArray(Enumerable.Range(0, n).Select(i => v[i * n + i]).ToArray(), [n]);
    }

    [Fact]
    public void AcceptsSpacesAndUppercaseLabels()
    {
        var x = Tensor.Arange(6, DType.Float64).Reshape(2, 3);
        var y = Tensor.Arange(12, DType.Float64).Reshape(3, 4);
        AssertClose(x.MatMul(y), Tensor.Einsum(" iJ , Jk -> ik ", x, y));
        AssertClose(x.MatMul(y), Tensor.Einsum("bA,Ac", x, y), "bA,Ac");
        AssertClose(x.MatMul(y).T, Tensor.Einsum("ia,aJ", x, y), "ia,aJ (uppercase sorts first)");
    }

    [Fact]
    public void Float32Works()
    {
        var x = Tensor.Arange(6).Reshape(2, 3);
        var y = Tensor.Arange(12).Reshape(3, 4);
        var r = Tensor.Einsum("ij,jk->ik", x, y);
        Assert.Equal(DType.Float32, r.DType);
        Assert.Equal(x.MatMul(y).ToDoubleArray(), r.ToDoubleArray());
    }

    // ---- gradients ----

    static void GradCheckViews(int seed, string equation, params int[][] shapes)
    {
        var d = new TestData(seed);
        var views = shapes.Select(d.View).ToArray();
        var leaves = views.Select(v => d.Tensor(v.leafShape)).ToArray();
        GradCheck.Assert(xs => Tensor.Einsum(equation, xs.Select((x, i) => views[i].view(x)).ToArray()), leaves);
    }

    [Property(MaxTest = Runs)]
    public void GradMatMulAndAttention(int seed)
    {
        var d = new TestData(seed + 1);
        int b = d.Int(1, 3), m = d.Int(1, 4), k = d.Int(1, 4), n = d.Int(1, 4);
        GradCheckViews(seed, "ij,jk->ik", [m, k], [k, n]);
        GradCheckViews(seed, "bhqd,bhkd->bhqk", [b, 2, m, k], [b, 2, n, k]);
    }

    [Property(MaxTest = Runs)]
    public void GradDiagonalTraceAndReductions(int seed)
    {
        var d = new TestData(seed + 1);
        int m = d.Int(1, 4), n = d.Int(1, 4);
        GradCheckViews(seed, "ii->i", [n, n]);
        GradCheckViews(seed, "ii", [n, n]);
        GradCheckViews(seed, "iji->j", [n, m, n]);
        GradCheckViews(seed, "ij->ji", [m, n]);
        GradCheckViews(seed, "ijk->k", [m, n, 2]);
    }

    [Property(MaxTest = Runs)]
    public void GradOuterDotBroadcastAndThreeOperands(int seed)
    {
        var d = new TestData(seed + 1);
        int b = d.Int(1, 3), m = d.Int(1, 4), k = d.Int(1, 4), n = d.Int(1, 4);
        GradCheckViews(seed, "i,i->", [m], [m]);
        GradCheckViews(seed, "i,j->ij", [m], [n]);
        GradCheckViews(seed, "ij,ij->ij", [m, n], [m, n]);
        GradCheckViews(seed, "...ij,...jk->...ik", [b, 1, m, k], [2, k, n]);
        GradCheckViews(seed, "bij,bjk->bik", [1, m, k], [b, k, n]);
        GradCheckViews(seed, "bi,bj,bk->ijk", [b, m], [b, n], [b, k]);
    }

    // ---- diagonal ----

    [Property(MaxTest = Runs)]
    public void DiagonalMatchesIndexing(int seed)
    {
        var d = new TestData(seed);
        var shape = d.Shape(2, 4, 4);
        int d1 = d.Int(0, shape.Length - 1), d2 = d.Int(0, shape.Length - 2);
        if (d2 >= d1) d2++;
        int offset = d.Int(-3, 3);
        var x = d.Tensor(shape);
        var y = x.Diagonal(offset, d1, d2);

        var keep = Enumerable.Range(0, shape.Length).Where(i => i != d1 && i != d2).ToArray();
        int len = Math.Max(0, offset >= 0 ? Math.Min(shape[d1], shape[d2] - offset) : Math.Min(shape[d1] + offset, shape[d2]));
        Assert.Equal(keep.Select(i => shape[i]).Append(len).ToArray(), y.ShapeArray);
        var xv = x.ToDoubleArray(); var yv = y.ToDoubleArray();
        var strides = ShapeUtil.ContiguousStrides(shape);
        var outStrides = ShapeUtil.ContiguousStrides(y.ShapeArray);
        for (int o = 0; o < yv.Length; o++)
        {
            int at = 0;
            for (int j = 0; j < keep.Length; j++) at += (o / outStrides[j] % y.Shape[j]) * strides[keep[j]];
            int t = o % len;
            at += (t + Math.Max(0, -offset)) * strides[d1] + (t + Math.Max(0, offset)) * strides[d2];
            Assert.Equal(xv[at], yv[o]);
        }
    }

    [Property(MaxTest = Runs)]
    public void DiagonalGradient(int seed)
    {
        var d = new TestData(seed);
        var shape = d.Shape(2, 3, 4);
        int offset = d.Int(-2, 2);
        var (leaf, view, _) = d.View(shape);
        GradCheck.Assert(xs => view(xs[0]).Diagonal(offset, 0, -1), [d.Tensor(leaf)]);
    }

    [Fact]
    public void DiagonalDoubleBackward()
    {
        var x = Tensor.FromArray([1.0, 2, 3, 4], [2, 2], requiresGrad: true);
        var r = x.Diagonal();
        var g = Tensor.FromArray([5.0, 7], [2], requiresGrad: true);
        r.Backward(g, createGraph: true);
        (x.Grad! * x.Detach()).Sum().Backward();   // d/dg Σ (diag-scatter of g)·x = diag(x)
        Assert.Equal([1.0, 4], g.Grad!.ToDoubleArray());
    }

    [Fact]
    public void DiagonalErrors()
    {
        var x = Tensor.Zeros([3, 3]);
        Assert.Contains("rank >= 2", Assert.Throws<ArgumentException>(() => Tensor.Zeros([3]).Diagonal()).Message);
        Assert.Contains("same dim", Assert.Throws<ArgumentException>(() => x.Diagonal(0, 1, -1)).Message);
        Assert.Equal([0], x.Diagonal(5).ShapeArray);
    }

    // ---- errors ----

    static string Fails(string equation, params Tensor[] operands)
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Einsum(equation, operands));
        Assert.StartsWith("einsum: ", e.Message);
        return e.Message;
    }

    [Fact]
    public void BadInputsFailClearly()
    {
        var a = Tensor.Zeros([2, 3]); var b = Tensor.Zeros([3, 4]); var c = Tensor.Zeros([4, 4]);
        Assert.Contains("2 input terms but 1 operand", Fails("ij,jk->ik", a));
        Assert.Contains("1 input term but 2 operands", Fails("ij->ij", a, b));
        Assert.Contains("operand 1 has 3 subscripts 'jkl' but rank 2", Fails("ij,jkl->ik", a, b));
        Assert.Contains("at least 3 subscripts", Fails("...ijk->k", a));
        var sizes = Fails("ij,jk->ik", a, c);
        Assert.Contains("label 'j'", sizes);
        Assert.Contains("sizes 3", sizes);
        Assert.Contains("and 4", sizes);
        Assert.Contains("label 'i' has inconsistent sizes 2", Fails("ii->i", a));
        Assert.Contains("invalid subscript '1'", Fails("i1,jk->ik", a, b));
        Assert.Contains("invalid subscript '-'", Fails("ij-ik", a));
        Assert.Contains("not part of an ellipsis", Fails("..ij->ij", a));
        Assert.Contains("more than one ellipsis", Fails("...i...->i", a));
        Assert.Contains("output label 'z' does not appear in any input", Fails("ij,jk->iz", a, b));
        Assert.Contains("output label 'i' appears more than once", Fails("ij,jk->ii", a, b));
        Assert.Contains("more than one '->'", Fails("ij->ij->ij", a));
        Assert.Contains("no operands", Fails("ij->ij"));
        Assert.Contains("dtypes differ", Fails("ij,jk->ik", a, Tensor.Zeros([3, 4], DType.Float64)));
    }
}
