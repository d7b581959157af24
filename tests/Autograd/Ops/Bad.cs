namespace Interp.Tests.Autograd.Ops;

/// <summary>Shorthands for the spec files' bad inputs: zero tensors of a dtype and the exception types expected.</summary>
public static class Bad
{
    public static Tensor F(params int[] shape) => Tensor.Zeros(shape, DType.Float64);
    public static Tensor F32(params int[] shape) => Tensor.Zeros(shape, DType.Float32);
    public static Tensor I32(params int[] shape) => Tensor.Zeros(shape, DType.Int32);

    public static readonly Type Arg = typeof(ArgumentException), OutOfRange = typeof(ArgumentOutOfRangeException),
        BadIndex = typeof(IndexOutOfRangeException), Invalid = typeof(InvalidOperationException);
}
