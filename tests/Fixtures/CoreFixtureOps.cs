namespace Interp.Tests.Fixtures;

/// <summary>The fixture ops of the core: elementwise, basic reductions, matmul.</summary>
internal static class CoreFixtureOps
{
    [FixtureOp("add")] static Tensor Add(FixtureCase c) => c.In("a") + c.In("b");
    [FixtureOp("sub")] static Tensor Sub(FixtureCase c) => c.In("a") - c.In("b");
    [FixtureOp("mul")] static Tensor Mul(FixtureCase c) => c.In("a") * c.In("b");
    [FixtureOp("div")] static Tensor Div(FixtureCase c) => c.In("a") / c.In("b");
    [FixtureOp("matmul")] static Tensor MatMul(FixtureCase c) => c.In("a").MatMul(c.In("b"));
}
